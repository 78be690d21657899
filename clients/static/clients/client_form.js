// Intake form: when "Serious back injury" is ticked, point the practitioner at the
// physician referral/clearance fields. The server shows the same warning after saving,
// so this is only a convenience and the form works without it.
(function () {
  "use strict";
  var box = document.querySelector('input[name="medical_flags"][value="serious_back_injury"]');
  var fields = document.getElementById("clearance-fields");
  var text = document.getElementById("id_physician_clearance");
  if (!box || !fields || !text) return;
  var note = document.createElement("p");
  note.className = "alert alert-warning py-2 mb-2";
  note.setAttribute("role", "status");
  note.textContent = "Serious back injury: please record the physician's referral or clearance below.";
  fields.insertBefore(note, fields.firstChild);
  function update() {
    var needed = box.checked && !text.value.trim();
    note.hidden = !needed;
    fields.classList.toggle("clearance-needed", needed);
  }
  box.addEventListener("change", update);
  text.addEventListener("input", update);
  update();
})();
