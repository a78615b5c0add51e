// Cocreate's own small script: the phone menu toggle, confirmations before destructive
// actions and self-submitting filters. Everything else is htmx. No inline handlers
// anywhere, so the Content-Security-Policy can forbid inline script.
document.documentElement.classList.remove("no-js");

// A form (or the button that submits it) with data-confirm asks first.
document.addEventListener("submit", (event) => {
  const source = event.submitter?.closest("[data-confirm]") || event.target.closest("[data-confirm]");
  if (source && !window.confirm(source.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// A select with data-autosubmit submits its form when it changes.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("site-nav");
  if (!toggle || !nav) return;
  toggle.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      nav.classList.remove("open");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
});

// A table wider than a phone scrolls in the box that holds it (app.css): a box that
// scrolls takes the keyboard focus, so it can be scrolled without a mouse.
function focusScrollingTables() {
  for (const table of document.querySelectorAll("table")) {
    const box = table.parentElement;
    const scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.scrollFocus = "";
    } else if (!scrolls && "scrollFocus" in box.dataset) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrollFocus;
    }
  }
}
window.addEventListener("load", focusScrollingTables);
window.addEventListener("resize", focusScrollingTables);
document.addEventListener("htmx:afterSettle", focusScrollingTables);
