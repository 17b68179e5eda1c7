// Keyboard handling for the review pages. The pages work without it (every
// action is a button); this only maps keys to those buttons.
(function () {
  "use strict";
  var form = document.getElementById("item-form");
  var busy = false;

  // No decision before the item's picture is on screen: a reviewer pressing Enter while the crop still
  // loads would save the machine's doubtful read unseen. "shown" when the page has no picture to wait for
  // (an online answer, a page item); else "loading" until the crop is drawn (complete, naturalWidth > 0),
  // "failed" if it cannot load, "failed-confirmed" once the reviewer ticks that they decide without it
  // (then a chosen button saves; accepting the machine's read never does). The hidden field tells the
  // server which (omr.web.views._check_image_shown refuses a save without it).
  var crop = document.getElementById("crop");
  var shownField = document.getElementById("image-shown");
  var stateLine = document.getElementById("image-state");
  var failedBox = document.getElementById("image-failed");
  var withoutImage = document.getElementById("decide-without-image");
  var imageState = (form && crop && shownField) ? "loading" : "shown";

  function enableSaving(exceptAccept) {
    if (!form) { return; }
    var buttons = form.querySelectorAll("button[type=submit]:not(.no-implicit)");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = imageState === "loading" || imageState === "failed" ||
        (exceptAccept && buttons[i].id === "accept");
    }
  }

  function setImageState(state) {
    imageState = state;
    if (shownField) { shownField.value = state === "shown" ? "1" : state === "failed-confirmed" ? state : ""; }
    if (stateLine) { stateLine.hidden = state !== "loading"; }
    if (failedBox) { failedBox.hidden = state !== "failed" && state !== "failed-confirmed"; }
    enableSaving(state === "failed-confirmed");
  }

  function mayDecide(button) {
    if (imageState === "shown") { return true; }
    if (imageState === "failed-confirmed") { return !(button && button.id === "accept"); }
    var warn = imageState === "loading" ? stateLine : failedBox;
    if (warn) { warn.classList.add("attention"); }
    return false;
  }

  if (imageState === "loading") {
    var drawn = function () { setImageState(crop.naturalWidth > 0 ? "shown" : "failed"); };
    if (crop.complete && crop.naturalWidth > 0) {
      setImageState("shown");
    } else {
      setImageState("loading");
      crop.addEventListener("load", drawn);
      crop.addEventListener("error", function () { setImageState("failed"); });
      if (crop.complete) { setImageState("failed"); }  // finished before this script ran, and broken
    }
    if (withoutImage) {
      withoutImage.addEventListener("change", function () {
        if (imageState === "failed" || imageState === "failed-confirmed") {
          setImageState(withoutImage.checked ? "failed-confirmed" : "failed");
        }
      });
    }
  }
  if (form) {
    // Every way a form is sent (a click, Enter in a text field, the keys below) passes here.
    form.addEventListener("submit", function (e) {
      if (!mayDecide(e.submitter)) { e.preventDefault(); busy = false; document.body.classList.remove("busy"); }
    });
  }

  function submitWith(button) {
    if (busy || !form) { return; }
    if (!mayDecide(button)) { return; }
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

  // A comment's text is kept in this tab (sessionStorage, gone when the tab closes) as it is sent. A save
  // refused because the session had ended goes to the login page, which sends the reviewer back to this
  // item (omr.web.views._return_to); arriving from the login page, the typed text is put back, with a
  // note. Any other arrival drops what was kept (a save that went through, a stale-write page showing
  // another reviewer's newer text: never overwritten with ours).
  var commentBox = document.getElementById("comment-text");
  if (form && commentBox) {
    var keepKey = "omr-comment-typed:" + location.pathname;
    var kept = null;
    try { kept = sessionStorage.getItem(keepKey); sessionStorage.removeItem(keepKey); } catch (err) { kept = null; }
    var fromLogin = false;
    try { fromLogin = new URL(document.referrer).pathname === "/login"; } catch (err) { fromLogin = false; }
    if (kept && fromLogin && kept !== commentBox.value) {
      commentBox.value = kept;
      var note = document.createElement("p");
      note.className = "flash info";
      note.id = "comment-restored";
      note.textContent = "Đã điền lại nội dung bạn gõ trước khi phiên làm việc hết hạn (chưa được lưu): " +
        "hãy kiểm tra rồi lưu.";
      commentBox.parentNode.parentNode.insertBefore(note, commentBox.parentNode);
    }
    form.addEventListener("submit", function (e) {
      if (e.defaultPrevented) { return; }
      try { sessionStorage.setItem(keepKey, commentBox.value); } catch (err) { /* private mode: nothing kept */ }
    });
  }

  // A picture that cannot be loaded (the crop, a sheet, the whole page): a message in its place, never the
  // browser's broken-image icon. The crop's own state (no decision without it) is kept above.
  function showMissing(img) {
    if (img.hidden) { return; }
    var note = document.createElement("span");
    note.className = "image-missing";
    note.setAttribute("role", "alert");
    // "Ảnh câu B2 trên bản quét" -> "Không tải được ảnh câu B2 trên bản quét"; "Tờ 1, trang 2" -> "…ảnh: tờ 1, trang 2".
    var alt = img.alt || "";
    var what = /^Ảnh /.test(alt) ? " " + alt.charAt(4).toLowerCase() + alt.slice(5) :
      alt ? ": " + alt.charAt(0).toLowerCase() + alt.slice(1) : "";
    // The crop's own box under it says what to do (reload, skip, or decide without it).
    note.textContent = "Không tải được ảnh" + what + "." +
      (img === crop ? "" : " Hãy tải lại trang (F5); nếu vẫn không được, báo cho quản trị viên.");
    img.hidden = true;
    img.parentNode.insertBefore(note, img);
  }
  var pictures = document.querySelectorAll("main img");
  for (var p = 0; p < pictures.length; p++) {
    (function (img) {
      img.addEventListener("error", function () { showMissing(img); });
      if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) { showMissing(img); }
    }(pictures[p]));
  }

  // Next and previous item: → / ← outside a text field, PageDown / PageUp from anywhere (in a text field
  // the arrows move the caret, so they are not taken there).
  function goNext() {
    var skip = document.getElementById("skip-form");
    if (!skip || busy) { return; }
    busy = true;
    skip.submit();
  }
  function goPrevious() {
    var previous = document.getElementById("previous");
    if (previous) { window.location = previous.getAttribute("href"); }
  }

  document.addEventListener("keydown", function (e) {
    if ((e.key === "PageDown" || e.key === "PageUp") && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey &&
        document.getElementById("skip-form")) {
      e.preventDefault();
      if (e.key === "PageDown") { goNext(); } else { goPrevious(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "F2" && useDraft) { e.preventDefault(); takeDraft(); return; }
    var target = e.target;
    // Escape in a text field first leaves the field (then the page's keys work); a second one goes back.
    if (e.key === "Escape" && isTextField(target)) { e.preventDefault(); target.blur(); return; }
    var back = document.getElementById("back");
    if (back && e.key === "Escape") { window.location = back.getAttribute("href"); return; }
    if (!form) { return; }
    if (target && target.tagName === "TEXTAREA") {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submitWith(document.getElementById("save")); }
      return;
    }
    if (isTextField(target)) {
      if (e.key === "Enter") {
        // Never the browser's way: it sends the form's first button, which on a choice item is option 1
        // (a reason typed, then Enter, saved «1» as sure). Enter in a field does what Enter does on the
        // page: accept the machine's read, save what was typed, or assign the typed serial; else nothing.
        e.preventDefault();
        if (imageState === "loading" || imageState === "failed") { mayDecide(null); return; }
        var byEnter = document.getElementById("accept") || document.getElementById("save") ||
          document.getElementById("assign");
        if (byEnter) { submitWith(byEnter); return; }
        var chooseHint = document.getElementById("choose-hint");
        if (chooseHint) { chooseHint.classList.add("attention"); chooseHint.setAttribute("role", "alert"); }
      }
      return;
    }
    if (e.key === "ArrowRight") { e.preventDefault(); goNext(); return; }
    if (e.key === "ArrowLeft") { e.preventDefault(); goPrevious(); return; }
    if (e.key === "Enter") {
      e.preventDefault();
      if (imageState === "loading" || imageState === "failed") { mayDecide(null); return; }  // says why
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
