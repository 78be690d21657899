// The "Print" buttons of the report pages (no inline script, so a strict CSP stays possible).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
