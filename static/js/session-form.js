/*
 * Session form: record pressure notes by tapping zones on the reflex charts.
 *
 * Progressive enhancement. Without JavaScript the page is a plain Django formset
 * (prefix "notes") and works on its own. This script only adds a faster way to fill
 * that same formset: a tap (or Enter/Space) on a chart zone opens a dialog; Save
 * writes into the row for that zone and side, or a spare row, or a new row cloned
 * from the empty-form <template>. The formset rows stay the single source of truth;
 * the chips and the chart highlights are redrawn from them after every change.
 */
(function () {
  "use strict";

  var form = document.getElementById("session-form");
  if (!form) return;

  var prefix = form.getAttribute("data-prefix") || "notes";
  var rowsBox = document.getElementById("note-rows");
  var template = document.getElementById("note-empty-row");
  var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
  var chips = document.getElementById("note-chips");
  var chipsHeading = document.getElementById("chips-heading");
  var picker = document.getElementById("chart-picker");
  var addRowsButton = document.getElementById("add-rows");
  var modalEl = document.getElementById("zone-modal");
  var modal = modalEl && window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(modalEl) : null;

  var DEFAULTS = { pressure: "3", response: "none", minutes: "2", note: "" };
  var current = null; // { zoneId, side, name, trigger } while the dialog is open

  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function rows() {
    return Array.prototype.slice.call(rowsBox.querySelectorAll("[data-note-row]"));
  }

  function isDeleted(row) {
    var del = field(row, "DELETE");
    return !!(del && del.checked);
  }

  function selectedText(select) {
    var option = select && select.options[select.selectedIndex];
    return option ? option.text : "";
  }

  function findRow(zoneId, side) {
    return rows().find(function (row) {
      return field(row, "zone").value === zoneId && field(row, "side").value === side;
    });
  }

  function spareRow() {
    return rows().find(function (row) {
      return !field(row, "zone").value && !isDeleted(row);
    });
  }

  function addRow() {
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("[data-note-row]");
    var number = row.querySelector("[data-row-number]");
    if (number) number.textContent = String(rows().length + 1);
    rowsBox.appendChild(row);
    total.value = String(index + 1);
    return row;
  }

  function zoneElement(zoneId, side) {
    if (!picker) return null;
    return picker.querySelector('.rc-zone[data-zone-id="' + zoneId + '"][data-side="' + side + '"]');
  }

  function mapLabel(zoneId) {
    var option = template.content.querySelector('select[name$="-zone"] option[value="' + zoneId + '"]');
    return option && option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
  }

  function setRadio(name, value) {
    var radio = modalEl.querySelector('input[name="' + name + '"][value="' + value + '"]');
    if (radio) radio.checked = true;
  }

  function radioValue(name) {
    var radio = modalEl.querySelector('input[name="' + name + '"]:checked');
    return radio ? radio.value : "";
  }

  function pressureWords(row) {
    // The option reads "4 · Firm"; chips and labels use the words.
    return selectedText(field(row, "pressure")).replace(/^\d+\s*·\s*/, "");
  }

  function sideLabel(side) {
    return side === "left" ? "Left" : "Right";
  }

  /* ---------- the dialog ---------- */

  function openDialog(zoneId, side, name, trigger) {
    if (!modal) return;
    var row = findRow(zoneId, side);
    var live = row && !isDeleted(row);
    current = { zoneId: zoneId, side: side, name: name, trigger: trigger };
    document.getElementById("zone-modal-title").textContent = name + ", " + side + " side";
    var where = mapLabel(zoneId);
    document.getElementById("zone-modal-where").textContent =
      (where ? where + " · " : "") + (live ? "Already recorded: change it below." : "New pressure note.");
    setRadio("zm-pressure", live ? field(row, "pressure").value : DEFAULTS.pressure);
    setRadio("zm-response", live ? field(row, "response").value : DEFAULTS.response);
    document.getElementById("zm-minutes").value = live ? field(row, "minutes").value : DEFAULTS.minutes;
    document.getElementById("zm-note").value = live ? field(row, "note").value : DEFAULTS.note;
    document.getElementById("zm-error").textContent = "";
    document.getElementById("zm-remove").hidden = !live;
    modal.show();
  }

  function saveDialog() {
    var minutesInput = document.getElementById("zm-minutes");
    var minutes = Number(minutesInput.value);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
      document.getElementById("zm-error").textContent = "Minutes must be a whole number between 1 and 60.";
      minutesInput.focus();
      return;
    }
    var row = findRow(current.zoneId, current.side) || spareRow() || addRow();
    field(row, "zone").value = current.zoneId;
    field(row, "side").value = current.side;
    field(row, "pressure").value = radioValue("zm-pressure") || DEFAULTS.pressure;
    field(row, "response").value = radioValue("zm-response") || DEFAULTS.response;
    field(row, "minutes").value = String(minutes);
    field(row, "note").value = document.getElementById("zm-note").value;
    var del = field(row, "DELETE");
    if (del) del.checked = false;
    modal.hide();
    refresh();
  }

  function removeNote(row) {
    var del = field(row, "DELETE");
    if (del) {
      del.checked = true;
    } else {
      field(row, "zone").value = "";
    }
    refresh();
  }

  /* ---------- chips and chart highlights, redrawn from the rows ---------- */

  function liveRows() {
    return rows().filter(function (row) {
      return field(row, "zone").value && !isDeleted(row);
    });
  }

  function chip(row) {
    var zoneSelect = field(row, "zone");
    var zoneId = zoneSelect.value;
    var side = field(row, "side").value;
    var name = selectedText(zoneSelect);
    var text = [
      name,
      sideLabel(side),
      pressureWords(row),
      selectedText(field(row, "response")),
      field(row, "minutes").value + " min",
    ].join(" · ");

    var li = document.createElement("li");
    li.className = "note-chip d-inline-flex align-items-center border rounded-pill bg-white ps-1 pe-1";
    var edit = document.createElement("button");
    edit.type = "button";
    edit.className = "btn btn-link text-decoration-none text-body py-1";
    edit.textContent = text;
    edit.setAttribute("aria-label", "Change " + text);
    edit.addEventListener("click", function () {
      var el = zoneElement(zoneId, side);
      if (modal && el) {
        openDialog(zoneId, side, name, el);
      } else {
        zoneSelect.focus();
      }
    });
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn-close ms-1 me-2";
    remove.setAttribute("aria-label", "Remove " + name + ", " + side + " side");
    remove.addEventListener("click", function () {
      var next = li.nextElementSibling || li.previousElementSibling;
      removeNote(row);
      var target = next && chips.contains(next) ? next.querySelector("button") : picker || chips;
      if (target && target.focus) target.focus();
    });
    li.appendChild(edit);
    li.appendChild(remove);
    return li;
  }

  function refresh() {
    var live = liveRows();
    chips.textContent = "";
    live.forEach(function (row) {
      chips.appendChild(chip(row));
    });
    if (chipsHeading) chipsHeading.hidden = live.length === 0;
    if (!picker) return;
    var recorded = {};
    live.forEach(function (row) {
      recorded[field(row, "zone").value + ":" + field(row, "side").value] = pressureWords(row);
    });
    picker.querySelectorAll(".rc-zone").forEach(function (el) {
      var key = el.getAttribute("data-zone-id") + ":" + el.getAttribute("data-side");
      if (!el.hasAttribute("data-label")) el.setAttribute("data-label", el.getAttribute("aria-label") || "");
      var on = Object.prototype.hasOwnProperty.call(recorded, key);
      el.classList.toggle("rc-zone--selected", on);
      el.setAttribute("aria-pressed", on ? "true" : "false");
      el.setAttribute("aria-label", el.getAttribute("data-label") + (on ? ", recorded: " + recorded[key] : ""));
    });
  }

  /* ---------- wiring ---------- */

  if (picker && modal) {
    picker.hidden = false;
    var open = function (el) {
      // A map the client's health flag rules out: ask first, and say why (the flag's warning).
      var pane = el.closest("[data-caution]");
      if (pane && !window.confirm(pane.getAttribute("data-caution") + "\n\nWork this zone anyway?")) return;
      openDialog(el.getAttribute("data-zone-id"), el.getAttribute("data-side"), el.getAttribute("data-zone-name"), el);
    };
    picker.addEventListener("click", function (event) {
      var el = event.target.closest(".rc-zone");
      if (el) open(el);
    });
    picker.addEventListener("keydown", function (event) {
      var el = event.target.closest(".rc-zone");
      if (el && (event.key === "Enter" || event.key === " " || event.key === "Spacebar")) {
        event.preventDefault();
        open(el);
      }
    });
    document.getElementById("zone-modal-form").addEventListener("submit", function (event) {
      event.preventDefault();
      saveDialog();
    });
    document.getElementById("zm-remove").addEventListener("click", function () {
      var row = findRow(current.zoneId, current.side);
      if (row) removeNote(row);
      modal.hide();
    });
    modalEl.addEventListener("shown.bs.modal", function () {
      var checked = modalEl.querySelector('input[name="zm-pressure"]:checked');
      if (checked) checked.focus();
    });
    modalEl.addEventListener("hidden.bs.modal", function () {
      // Back to the zone that opened the dialog, so keyboard users keep their place.
      if (current && current.trigger && document.contains(current.trigger)) current.trigger.focus();
      current = null;
    });
  }

  if (addRowsButton && template && total) {
    addRowsButton.textContent = "Add a row";
    addRowsButton.addEventListener("click", function (event) {
      event.preventDefault();
      var row = addRow();
      field(row, "zone").focus();
    });
  }

  rowsBox.addEventListener("change", refresh);
  refresh();
})();
