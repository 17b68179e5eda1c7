// Keyboard handling for the review pages. The pages work without it (every
// action is a button); this only maps keys to those buttons.
(function () {
  "use strict";
  var form = document.getElementById("item-form");
  var busy = false;

  function submitWith(button) {
    if (busy || !form) { return; }
    busy = true;  // one decision per page: a second key press before the next item loads is ignored
    document.body.classList.add("busy");
    if (form.requestSubmit) { form.requestSubmit(button || undefined); } else if (button) { button.click(); } else { form.submit(); }
  }

  function isTextField(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && el.type !== "checkbox" && el.type !== "radio");
  }

  // A low-confidence handwriting draft is not put in the box; F2 (or the button) puts it there.
  var useDraft = document.getElementById("use-draft");
  function takeDraft() {
    var box = document.getElementById("comment-text");
    if (!useDraft || !box) { return; }
    box.value = useDraft.getAttribute("data-draft");
    box.focus();
  }
  if (useDraft) { useDraft.addEventListener("click", takeDraft); }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "F2" && useDraft) { e.preventDefault(); takeDraft(); return; }
    var target = e.target;
    var back = document.getElementById("back");
    if (back && e.key === "Escape") { window.location = back.getAttribute("href"); return; }
    if (!form) { return; }
    if (target && target.tagName === "TEXTAREA") {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submitWith(document.getElementById("save")); }
      return;
    }
    if (isTextField(target)) {
      if (e.key === "Escape") { target.blur(); }
      return;  // typing: Enter submits the form the browser's way
    }
    if (e.key === "ArrowRight") { e.preventDefault(); if (!busy) { busy = true; document.getElementById("skip-form").submit(); } return; }
    if (e.key === "ArrowLeft") { e.preventDefault(); window.location = document.getElementById("previous").getAttribute("href"); return; }
    if (e.key === "Enter") {
      e.preventDefault();
      var accept = document.getElementById("accept") || document.getElementById("save");
      if (accept) { submitWith(accept); return; }
      // No machine value to accept (two boxes marked on a one-answer question): a key must choose; say so.
      var hint = document.getElementById("choose-hint");
      if (hint) { hint.classList.add("attention"); hint.setAttribute("role", "alert"); }
      return;
    }
    if (e.key === "Insert") {  // two boxes really ticked on a one-answer question: not valid, not blank
      var invalid = document.getElementById("invalid");
      if (invalid) { e.preventDefault(); submitWith(invalid); }
      return;
    }
    if (e.key === "Delete" || e.key === "Backspace") {
      var blank = document.getElementById("blank");
      if (blank) { e.preventDefault(); submitWith(blank); }
      return;
    }
    if (e.key.length !== 1) { return; }
    var option = form.querySelector('[data-key="' + e.key.toLowerCase().replace(/["\\]/g, "") + '"]');
    if (!option) { return; }
    e.preventDefault();
    if (option.type === "checkbox") { option.checked = !option.checked; } else { submitWith(option); }
  });
}());
