// Intake form: when a flag that asks for a physician's referral or clearance is ticked
// (the flags listed in the clearance fields' data-clearance-flags, from their specs in
// clients/health_flags.py), point the practitioner at those fields. The server shows
// the same warning after saving, so this is only a convenience and the form works
// without it.
(function () {
  "use strict";
  var fields = document.getElementById("clearance-fields");
  var text = document.getElementById("id_physician_clearance");
  if (!fields || !text) return;
  var boxes = (fields.getAttribute("data-clearance-flags") || "").split(" ").map(function (value) {
    return document.querySelector('input[name="medical_flags"][value="' + value + '"], input[name="local_flags"][value="' + value + '"]');
  }).filter(Boolean);
  if (!boxes.length) return;
  var note = document.createElement("p");
  note.className = "alert alert-warning py-2 mb-2";
  note.setAttribute("role", "status");
  fields.insertBefore(note, fields.firstChild);
  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; });
    var needed = ticked.length > 0 && !text.value.trim();
    if (needed) {
      var names = ticked.map(function (box) { return box.labels.length ? box.labels[0].textContent.trim() : box.value; });
      note.textContent = names.join(", ") + ": please record the physician's referral or clearance below.";
    }
    note.hidden = !needed;
    fields.classList.toggle("clearance-needed", needed);
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  text.addEventListener("input", update);
  update();
})();
