// The console's only hand-written script: selecting stories for bulk actions (htmx does the rest).
(function () {
  "use strict";
  function picks() { return Array.prototype.slice.call(document.querySelectorAll("input.pick")); }
  function refresh() {
    var chosen = picks().filter(function (box) { return box.checked; }).length;
    var label = document.getElementById("selected-count");
    if (label) { label.textContent = chosen + " selected"; }
    document.querySelectorAll("button.bulk-action").forEach(function (button) { button.disabled = chosen === 0; });
    var all = document.getElementById("select-all");
    if (all) { all.checked = chosen > 0 && chosen === picks().length; }
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.id === "select-all") {
      picks().forEach(function (box) { box.checked = target.checked; });
    }
    refresh();
  });
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();
