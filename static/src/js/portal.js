// Small progressive enhancements; every page works without them.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-nav-toggle]");
  if (toggle) {
    const sidebar = document.getElementById("sidebar");
    const open = sidebar.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  }
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
