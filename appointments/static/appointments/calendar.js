// The busy clinic's calendars show one line per appointment; a click opens its details
// (appointments:card, a fragment) in a dialog instead of the whole appointment page.
// Without script, or with a modifier key, the link opens the appointment page as usual.
(function () {
  "use strict";
  var dialog = document.getElementById("rc-card");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var body = dialog.querySelector("[data-body]");
  var title = document.getElementById("rc-card-title");
  dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".rc-daygrid:not(.rc-rich) .rc-appt > a, .rc-week-list a");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    var back = window.location.pathname + window.location.search;
    fetch(link.getAttribute("href") + "card/?next=" + encodeURIComponent(back), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        body.innerHTML = html;
        var named = body.querySelector("[data-title]");
        title.textContent = named ? named.textContent : "Appointment";
        dialog.showModal();
      })
      .catch(function () { window.location.href = link.getAttribute("href"); });
  });
})();
