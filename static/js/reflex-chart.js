/* Reflex charts: small helpers for the zone picker drawn by {% reflex_chart_picker %}.
 *
 * The session form's own script handles click / Enter / Space on .rc-zone and reads
 * data-zone-id, data-zone-code, data-zone-name, data-side and data-map. It can call:
 *   ReflexChart.markSelected(zoneId, side, true|false)  highlight a zone (and set aria-pressed)
 *   ReflexChart.clearSelected([root])                    un-highlight every zone
 *   ReflexChart.selected([root])                         [{zoneId, side}] currently highlighted
 */
(function () {
  "use strict";
  if (window.ReflexChart) return;

  function zonesFor(zoneId, side, root) {
    var sel = '.rc-zone[data-zone-id="' + String(zoneId) + '"]';
    if (side) sel += '[data-side="' + side + '"]';
    return (root || document).querySelectorAll(sel);
  }

  function setState(el, on) {
    el.classList.toggle("rc-zone--selected", !!on);
    el.setAttribute("aria-pressed", on ? "true" : "false");
  }

  window.ReflexChart = {
    markSelected: function (zoneId, side, on, root) {
      zonesFor(zoneId, side, root).forEach(function (el) { setState(el, on); });
    },
    clearSelected: function (root) {
      (root || document).querySelectorAll(".rc-zone--selected").forEach(function (el) { setState(el, false); });
    },
    selected: function (root) {
      return Array.prototype.map.call((root || document).querySelectorAll(".rc-zone--selected"), function (el) {
        return { zoneId: el.dataset.zoneId, side: el.dataset.side };
      });
    }
  };
})();
