// The "Needs attention" count in the navigation, fetched once the page has loaded so that
// rendering a page costs no query for it (attention/views.py, count).
(function () {
  var badge = document.getElementById("attention-count");
  if (!badge || !window.fetch) return;
  fetch(badge.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data || !data.count) return;
      badge.textContent = data.count;
      badge.hidden = false;
    })
    .catch(function () {});
})();
