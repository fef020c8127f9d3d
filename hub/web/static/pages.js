// Every page: after a failed submit, focus moves to the summary of what went wrong, so that a
// screen reader reads it and a keyboard user starts there. The page works without it.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) {
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.focus();
  }
}());
// A print link where the page has one (the case page): shown only where scripts run.
(function () {
  "use strict";
  var wrapper = document.querySelector("[data-print]");
  if (wrapper) {
    wrapper.hidden = false;
    wrapper.querySelector("a").addEventListener("click", function (event) {
      event.preventDefault();
      window.print();
    });
  }
}());
