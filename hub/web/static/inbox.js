// Keeps the inbox's tab counts current without a reload; the page works without it.
(function () {
  "use strict";
  var note = document.querySelector("[data-live-note]");
  function refresh() {
    fetch("/api/v1/cases/counts", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        var grew = false;
        Object.keys(counts).forEach(function (tab) {
          var element = document.querySelector('[data-count="' + tab + '"]');
          if (element && element.textContent !== String(counts[tab])) {
            if (tab === "new" && counts[tab] > Number(element.textContent)) { grew = true; }
            element.textContent = String(counts[tab]);
          }
        });
        if (grew && note) { note.textContent = "Er zijn nieuwe signalen binnengekomen."; }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  var every = note ? Number(note.getAttribute("data-refresh-ms")) : 0;
  window.setInterval(refresh, every > 0 ? every : 15000);
}());
