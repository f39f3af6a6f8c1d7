// Small progressive enhancements; every page works without them.

// The phone menu is a drawer: the Menu button opens it (focus moves into it), the backdrop, a
// link, Escape or the button close it (focus back on the button).
function setDrawer(open) {
  const sidebar = document.getElementById("sidebar");
  const toggle = document.querySelector("[data-nav-toggle]");
  if (!sidebar || !toggle) return;
  sidebar.classList.toggle("open", open);
  document.querySelector("[data-drawer-backdrop]")?.classList.toggle("open", open);
  toggle.setAttribute("aria-expanded", String(open));
  if (open) sidebar.querySelector("a")?.focus();
  else if (sidebar.contains(document.activeElement)) toggle.focus();
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.getElementById("sidebar")?.classList.contains("open")) setDrawer(false);
});

document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-nav-toggle]");
  if (toggle) {
    setDrawer(!document.getElementById("sidebar").classList.contains("open"));
  }
  if (event.target.closest("[data-drawer-backdrop]")) setDrawer(false);
  const opener = event.target.closest("[data-dialog-open]");
  if (opener) {
    document.getElementById(opener.dataset.dialogOpen)?.showModal();
  }
  const closer = event.target.closest("[data-dialog-close]");
  if (closer) {
    const dialog = closer.closest("dialog");
    if (dialog) {
      event.preventDefault(); // a Cancel link leads back to the list only on the full page
      dialog.close();
    }
  }
  const copy = event.target.closest("[data-copy]");
  if (copy && navigator.clipboard) {
    navigator.clipboard.writeText(document.getElementById(copy.dataset.copy).textContent.trim());
    copy.textContent = "Copied";
  }
});

// Forms loaded into the shared dialog open it; a 422 answer re-renders the form in place.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id === "modal-body") {
    const modal = document.getElementById("modal");
    if (!modal.open) modal.showModal();
  }
});
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A server answer that finished a dialog's job says so (`HX-Trigger: closeDialog`): no inline
// script in the fragment, which the Content-Security-Policy would block.
document.addEventListener("closeDialog", () => {
  document.querySelectorAll("dialog[open]").forEach((dialog) => dialog.close());
});

// Confirmation before a plain form posts (`data-confirm` on the form or its submit button), and
// selects that submit their form on change (`data-autosubmit`): no inline handlers under the CSP.
document.addEventListener("submit", (event) => {
  const question = event.submitter?.dataset.confirm || event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});

// Polling regions (`data-poll-quiet`) skip a refresh while the tab is hidden or a row is ticked:
// htmx trigger filters would need eval, which the CSP forbids.
document.addEventListener("htmx:beforeRequest", (event) => {
  const region = event.detail.elt;
  if (!region.hasAttribute?.("data-poll-quiet")) return;
  if (document.visibilityState !== "visible" || region.querySelector("input:checked")) event.preventDefault();
});

// Stacked table cards on phones name each cell's column (`data-label`); templates write it, and
// this fills it for any cell rendered without one (a fragment swapped in, a newer table).
function labelCells(root) {
  root.querySelectorAll?.("table").forEach((table) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!heads.length) return;
    table.querySelectorAll("tbody tr").forEach((row) => {
      [...row.children].forEach((cell, i) => {
        if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && heads[i] !== undefined) cell.dataset.label = heads[i];
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", () => labelCells(document));
document.addEventListener("htmx:afterSettle", (event) => labelCells(event.detail.elt));

// A step-by-step form that moved to another step (or back to one with problems) puts focus on
// the step's heading, so keyboard and screen-reader users start at the top of the new step.
function focusStep() {
  const heading = document.querySelector("[data-step-focus]");
  if (!heading) return;
  heading.removeAttribute("data-step-focus");
  heading.focus();
}
document.addEventListener("DOMContentLoaded", focusStep);
document.addEventListener("htmx:afterSettle", focusStep);
