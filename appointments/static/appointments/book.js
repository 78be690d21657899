// The desk's booking forms (appointments/forms.py, BookForm): choosing a treatment sets the
// length to the treatment's, which the practitioner can still change. Without script the
// length "As long as the treatment" does the same on the server.
(function () {
  "use strict";
  var treatment = document.getElementById("id_treatment_type");
  var length = document.getElementById("id_duration");
  if (!treatment || !length) return;
  var lengths = JSON.parse(treatment.getAttribute("data-lengths") || "{}");
  treatment.addEventListener("change", function () {
    var minutes = lengths[treatment.value];
    if (minutes !== undefined) length.value = String(minutes);
  });
})();
