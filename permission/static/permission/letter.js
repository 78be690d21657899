// The letter page's "Print the letter" button (no inline handlers: the CSP refuses them).
document.getElementById("print-letter")?.addEventListener("click", function () {
  window.print();
});
