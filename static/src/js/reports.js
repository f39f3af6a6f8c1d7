// Report charts: each <canvas data-chart> reads its data from the JSON block named by
// data-source (json_script; no inline script runs under the CSP) and draws it with Chart.js.
// Every chart has a table beside it, so nothing depends on this.
(() => {
  const palette = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#64748b"];

  function draw(canvas) {
    if (canvas.dataset.drawn || !window.Chart) return;
    const source = document.getElementById(canvas.dataset.source);
    if (!source) return;
    const data = JSON.parse(source.textContent);
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

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", () => drawAll());
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.detail.elt));
})();
