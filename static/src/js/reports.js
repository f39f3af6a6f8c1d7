// Report charts: each <canvas data-chart> carries its data as JSON in data-values (no inline
// script under the CSP, and htmx drops <script> blocks from swapped fragments) and is drawn
// with Chart.js.
// Every chart has a table beside it, so nothing depends on this.
(() => {
  const palette = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#64748b"];

  function draw(canvas) {
    if (canvas.dataset.drawn || !window.Chart) return;
    if (!canvas.dataset.values) return;
    const data = JSON.parse(canvas.dataset.values);
    data.datasets.forEach((set, i) => {
      set.backgroundColor = palette[i % palette.length];
      set.borderColor = palette[i % palette.length];
    });
    const stacked = canvas.dataset.chart === "stacked";
    const line = canvas.dataset.chart === "line";
    new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: data.datasets.length > 1, position: "bottom" } },
        scales: { x: { stacked }, y: { stacked, beginAtZero: true } },
      },
    });
    canvas.dataset.drawn = "1";
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  // After an outerHTML swap the event's element is the one replaced: look at the whole page
  // (charts already drawn are skipped).
  document.addEventListener("htmx:afterSettle", drawAll);
})();
