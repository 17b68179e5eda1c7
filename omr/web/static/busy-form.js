// A form that takes a while on the server (reading a blank form or a filled scan: a few seconds to tens of
// seconds a page on a busy server): once submitted, its button is disabled (no second submit) and its
// status line (data-busy-status = the id of an aria-live element) says it is being read, so the page
// never looks hung. Forms opt in with data-busy-status.
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy-status]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var status = document.getElementById(form.getAttribute("data-busy-status"));
      if (status) { status.hidden = false; }
      document.body.classList.add("busy");
      // Disabled after the browser has taken the form's data (a disabled button at submit time is left out).
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
