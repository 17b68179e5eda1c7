// The template editor (issue #16). The edit lives here, in the browser, until "Lưu": then the whole
// form goes to the server as JSON (with the CSRF token), which checks every field and writes the YAML.
// Coordinates are millimetres on the page, as in the template; the SVG's viewBox is the page in mm.
// Every text the user or the print supplied is set with textContent / value, never as HTML.
(function () {
  "use strict";
  var holder = document.getElementById("editor-state");
  if (!holder) { return; }
  var S = JSON.parse(holder.textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#d7263d", "#1b998b", "#2e86de", "#f46036", "#8e44ad", "#2a9d3a", "#c0392b", "#0e6ba8",
                 "#b8860b", "#e84393", "#16a085", "#6c5ce7"];
  var counter = 0;
  var selected = {};  // box uid -> true
  var current = null;  // uid of the question being edited
  var dirty = false;
  var replaceVersion = null;

  function nid() { counter += 1; return counter; }
  var colours = 0;  // each question keeps its colour while others are split, merged or removed
  function newQuestion(q) { q.uid = nid(); q.colour = PALETTE[colours % PALETTE.length]; colours += 1; return q; }
  S.questions.forEach(function (q) {
    newQuestion(q);
    // The id the question has in the draft's template: sent with every save, so that a rename carries the
    // labels and page join naming it (the server renames them; omr.web.template_drafts.renames).
    q.was = q.id;
    if (q.type === "text") { q.frame.uid = nid(); } else { q.options.forEach(function (o) { o.uid = nid(); }); }
  });

  // Numbers marked one digit per column (the template's ``labels``: a date's day = its tens and units
  // questions): {name, was (its name in the draft), parts: [question uid, in order]}. Shown as one question
  // with its digit columns; sent with every save (omr.web.template_drafts.check_edit).
  function numbersFrom(list) {
    var byId = {};
    S.questions.forEach(function (q) { byId[q.id] = q; });
    return (list || []).map(function (n) {
      return {name: n.name, was: n.was === undefined ? n.name : n.was,
              parts: n.parts.filter(function (id) { return byId[id] && byId[id].type !== "text"; })
                            .map(function (id) { return byId[id].uid; })};
    }).filter(function (n) { return n.parts.length >= 2; });
  }
  S.numbers = numbersFrom(S.numbers);

  // Ids of the saved version this edit started from (none for a new blank), then of each save: answers
  // stored under them, so they never change and are never given to another question. Only questions
  // never saved may be renumbered (renumberNew).
  var savedIds = {};
  function rememberSaved(questions) { savedIds = {}; questions.forEach(function (q) { savedIds[q.id] = true; }); }
  if (S.base_version) { rememberSaved(S.questions); }

  var pagesBox = document.getElementById("pages");
  var panel = document.getElementById("questions");
  var message = document.getElementById("editor-message");
  var formId = document.getElementById("form-id");
  var formTitle = document.getElementById("form-title");
  formId.value = S.form_id;
  formTitle.value = S.title;
  formId.addEventListener("input", function () { S.form_id = formId.value.trim(); changed(); });
  formTitle.addEventListener("input", function () { S.title = formTitle.value; changed(); });

  // The unsaved edit is kept in this tab's sessionStorage (keyed by draft id), so that a session that
  // ends while editing, a reload or a re-login loses nothing: the page restores it when opened again.
  var KEPT = "omr-template-edit:" + S.draft;
  var keepPending = false;
  function keepEdit() {
    try {
      window.sessionStorage.setItem(KEPT, JSON.stringify({
        base_version: S.base_version, form_id: S.form_id, title: S.title, questions: payload().questions,
        numbers: payload().numbers, replace_version: replaceVersion}));
    } catch (e) { /* storage full or off: the edit stays on this page only */ }
  }
  function forgetEdit() { try { window.sessionStorage.removeItem(KEPT); } catch (e) { /* off */ } }
  function changed() {
    dirty = true;
    if (!keepPending) {  // once per burst of changes, after the change is made
      keepPending = true;
      window.setTimeout(function () { keepPending = false; if (dirty) { keepEdit(); } }, 300);
    }
  }
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { keepEdit(); event.preventDefault(); event.returnValue = ""; }
  });
  var restored = false;
  (function restore() {
    var kept = null;
    try { kept = JSON.parse(window.sessionStorage.getItem(KEPT) || "null"); } catch (e) { kept = null; }
    // Only an edit of the same saved version: one made before a newer save would undo it.
    if (!kept || kept.base_version !== S.base_version || !Array.isArray(kept.questions)) { return; }
    S.form_id = kept.form_id;
    S.title = kept.title;
    S.questions = kept.questions.map(function (q) {
      newQuestion(q);
      if (q.type === "text") { q.frame.uid = nid(); } else { q.options.forEach(function (o) { o.uid = nid(); }); }
      return q;
    });
    S.numbers = numbersFrom(kept.numbers || []);
    replaceVersion = kept.replace_version || null;
    formId.value = S.form_id;
    formTitle.value = S.title;
    dirty = true;
    restored = true;
  }());

  // --- the model ---------------------------------------------------------------------------
  function questionOf(uid) {
    for (var i = 0; i < S.questions.length; i++) {
      var q = S.questions[i];
      if (q.uid === uid) { return q; }
      if (q.type === "text" && q.frame.uid === uid) { return q; }
      if (q.type !== "text") {
        for (var j = 0; j < q.options.length; j++) { if (q.options[j].uid === uid) { return q; } }
      }
    }
    return null;
  }
  function colourOf(q) { return q.colour; }
  function boxesOf(q) { return q.type === "text" ? [q.frame] : q.options; }
  function selectedUids() { return Object.keys(selected).map(Number); }
  function selectedQuestions() {
    var found = [];
    selectedUids().forEach(function (uid) {
      var q = questionOf(uid);
      if (q && found.indexOf(q) < 0) { found.push(q); }
    });
    return found.sort(function (a, b) { return S.questions.indexOf(a) - S.questions.indexOf(b); });
  }
  function freeId(prefix) {  // never the id of a saved question, even deleted: its answers are stored under it
    var n = 1;
    var taken = {};
    Object.keys(savedIds).forEach(function (id) { taken[id] = true; });
    S.questions.forEach(function (q) { taken[q.id] = true; });
    while (taken[prefix + n]) { n += 1; }
    return prefix + n;
  }
  function freeCode(q) {
    var n = 1;
    var taken = {};
    q.options.forEach(function (o) { taken[o.code] = true; });
    while (taken[String(n)]) { n += 1; }
    return String(n);
  }
  function addOption(q, option) {
    if (q.options.some(function (o) { return o.code === option.code; })) { option.code = freeCode(q); }
    q.options.push(option);
  }
  function dropEmpty() {
    S.questions = S.questions.filter(function (q) { return q.type === "text" || q.options.length > 0; });
    if (current !== null && !questionOf(current)) { current = null; }
    tidyNumbers();
  }
  // A number keeps only its columns still here as choice questions; with fewer than two it is no number:
  // it is dropped (its questions stay) and the next message says so.
  var numbersDropped = [];
  function tidyNumbers() {
    S.numbers = S.numbers.filter(function (n) {
      n.parts = n.parts.filter(function (uid) {
        var q = questionOf(uid);
        return q && q.uid === uid && q.type !== "text";
      });
      if (n.parts.length < 2) { numbersDropped.push(n.name); return false; }
      return true;
    });
  }
  function numberOf(q) {
    for (var i = 0; i < S.numbers.length; i++) { if (S.numbers[i].parts.indexOf(q.uid) >= 0) { return S.numbers[i]; } }
    return null;
  }
  function freeNumberName() {
    var taken = {};
    S.questions.forEach(function (q) { taken[q.id] = true; });
    S.numbers.forEach(function (n) { taken[n.name] = true; });
    var k = 1;
    while (taken["So" + k]) { k += 1; }
    return "So" + k;
  }
  // A digit's place, counted from the right: the last column is the units.
  var PLACES = ["hàng đơn vị", "hàng chục", "hàng trăm", "hàng nghìn"];
  function placeOf(n, k) {
    var fromRight = n.parts.length - 1 - k;
    return fromRight < PLACES.length ? PLACES[fromRight] : "cột " + (k + 1);
  }
  function makeNumber() {
    var qs = selectedQuestions().filter(function (q) { return q.type !== "text"; });
    if (qs.length < 2) {
      say("Chọn ô của ít nhất hai câu (mỗi câu một cột chữ số, giữ Shift khi bấm) để ghép thành một số.", "error");
      return;
    }
    if (qs.some(function (q) { return q.page !== qs[0].page; })) { say("Chỉ ghép được các cột cùng một trang.", "error"); return; }
    var taken = qs.filter(function (q) { return numberOf(q); });
    if (taken.length) {
      say("Câu " + taken[0].id + " đã thuộc số «" + numberOf(taken[0]).name + "»: bỏ ghép số đó trước.", "error");
      return;
    }
    // Columns in reading order: left to right (a row of digit columns), then top to bottom.
    qs.sort(function (a, b) { return (a.options[0].x - b.options[0].x) || (a.options[0].y - b.options[0].y); });
    var n = {name: freeNumberName(), was: null, parts: qs.map(function (q) { return q.uid; })};
    S.numbers.push(n);
    current = qs[0].uid;
    changed();
    render();
    say("Đã ghép " + qs.length + " câu thành số «" + n.name + "» (" + qs.map(function (q) { return q.id; }).join(" + ") +
        "): khi xuất, các chữ số được ghép thành một cột. Hãy đặt tên cho số.", "ok");
  }
  function unmakeNumber(n) {
    S.numbers.splice(S.numbers.indexOf(n), 1);
    changed();
    render();
    say("Đã bỏ ghép số «" + n.name + "»; các câu của nó vẫn giữ nguyên.", "ok");
  }
  function say(text, kind, problems) {
    if (numbersDropped.length) {
      text += " Số «" + numbersDropped.join("», «") + "» không còn đủ hai cột chữ số nên đã bỏ ghép (các câu vẫn giữ).";
      numbersDropped = [];
    }
    message.textContent = "";
    var p = document.createElement("p");
    p.className = "flash " + (kind || "info");
    p.textContent = text;
    if (problems && problems.length) {
      var list = document.createElement("ul");
      problems.forEach(function (line) {
        var li = document.createElement("li");
        li.textContent = line;
        list.appendChild(li);
      });
      p.appendChild(list);
    }
    message.appendChild(p);
  }

  // --- drawing the pages ----------------------------------------------------------------------
  var svgs = [];
  function svgEl(name, attrs) {
    var el = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    return el;
  }
  // Millimetres as Vietnamese writes a number: to 0.1 mm, decimal comma (210,01 -> "210", 12.5 -> "12,5").
  function vnMm(v) { return String(Math.round(Number(v) * 10) / 10).replace(".", ","); }
  function buildPages() {
    S.pages.forEach(function (page) {
      var wrap = document.createElement("section");
      wrap.className = "editor-page";
      var h = document.createElement("h2");
      h.textContent = "Trang " + page.number + " (" + vnMm(page.width) + " × " + vnMm(page.height) + " mm)";
      wrap.appendChild(h);
      var svg = svgEl("svg", {viewBox: "0 0 " + page.width + " " + page.height, "data-page": page.number,
                              role: "img", "aria-label": "Trang " + page.number + " của phiếu trắng"});
      svg.appendChild(svgEl("image", {href: page.image, x: 0, y: 0, width: page.width, height: page.height}));
      var layer = svgEl("g", {"class": "boxes"});
      svg.appendChild(layer);
      wrap.appendChild(svg);
      pagesBox.appendChild(wrap);
      svgs.push({page: page, svg: svg, layer: layer});
      listenForDrawing(svg, page);
    });
  }
  function drawBoxes() {
    svgs.forEach(function (item) {
      var layer = item.layer;
      while (layer.firstChild) { layer.removeChild(layer.firstChild); }
      S.numbers.forEach(function (n) {  // a number: one dashed outline round its digit columns, named
        var boxes = [];
        n.parts.forEach(function (uid) {
          var q = questionOf(uid);
          if (q && q.page === item.page.number) { boxes = boxes.concat(q.options); }
        });
        if (!boxes.length) { return; }
        var x0 = Math.min.apply(null, boxes.map(function (b) { return b.x; })) - 1.2;
        var y0 = Math.min.apply(null, boxes.map(function (b) { return b.y; })) - 1.2;
        var x1 = Math.max.apply(null, boxes.map(function (b) { return b.x + b.w; })) + 3.5;
        var y1 = Math.max.apply(null, boxes.map(function (b) { return b.y + b.h; })) + 1.2;
        layer.appendChild(svgEl("rect", {x: x0, y: y0, width: x1 - x0, height: y1 - y0, "class": "number-outline",
                                         "data-number": n.name}));
        var name = svgEl("text", {x: x1, y: Math.max(y0 - 0.6, 3), "class": "number-name", "text-anchor": "end"});
        name.textContent = "Số " + n.name;
        layer.appendChild(name);
      });
      S.questions.forEach(function (q) {
        if (q.page !== item.page.number) { return; }
        var colour = colourOf(q);
        boxesOf(q).forEach(function (b, i) {
          var cls = "box" + (q.type === "text" ? " frame" : "") + (selected[b.uid] ? " selected" : "") +
                    (q.uid === current ? " current" : "");
          var rect = svgEl("rect", {x: b.x, y: b.y, width: b.w, height: b.h, stroke: colour, fill: colour,
                                    "class": cls, "data-uid": b.uid, "data-question": q.id,
                                    "data-code": q.type === "text" ? "" : b.code});
          var title = svgEl("title", {});
          title.textContent = q.id + (q.type === "text" ? " (khung viết)" : " – " + b.code + ": " + b.label);
          rect.appendChild(title);
          layer.appendChild(rect);
          if (i === 0) {
            var label = svgEl("text", {x: b.x, y: Math.max(b.y - 0.8, 3), fill: colour, "class": "qid"});
            label.textContent = q.id;
            layer.appendChild(label);
          }
          if (q.type !== "text") {
            var code = svgEl("text", {x: b.x + b.w + 0.4, y: b.y + b.h, fill: colour});
            code.textContent = b.code;
            layer.appendChild(code);
          }
        });
      });
    });
  }
  function toMm(svg, event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var mm = point.matrixTransform(svg.getScreenCTM().inverse());
    return {x: mm.x, y: mm.y};
  }
  function listenForDrawing(svg, page) {
    var start = null;
    var rubber = null;
    svg.addEventListener("mousedown", function (event) {
      if (event.button !== 0) { return; }
      var uid = Number(event.target.getAttribute && event.target.getAttribute("data-uid"));
      if (uid) { clickBox(uid, event.shiftKey || event.ctrlKey || event.metaKey); event.preventDefault(); return; }
      start = toMm(svg, event);
      rubber = svgEl("rect", {x: start.x, y: start.y, width: 0, height: 0, "class": "rubber"});
      svg.appendChild(rubber);
      event.preventDefault();
    });
    svg.addEventListener("mousemove", function (event) {
      if (!start) { return; }
      var at = toMm(svg, event);
      rubber.setAttribute("x", Math.min(start.x, at.x));
      rubber.setAttribute("y", Math.min(start.y, at.y));
      rubber.setAttribute("width", Math.abs(at.x - start.x));
      rubber.setAttribute("height", Math.abs(at.y - start.y));
    });
    function finish(event) {
      if (!start) { return; }
      var at = toMm(svg, event);
      var r = {x: Math.max(0, Math.min(start.x, at.x)), y: Math.max(0, Math.min(start.y, at.y))};
      r.w = Math.min(Math.abs(at.x - start.x), page.width - r.x);
      r.h = Math.min(Math.abs(at.y - start.y), page.height - r.y);
      svg.removeChild(rubber);
      start = null;
      rubber = null;
      if (r.w < 1 && r.h < 1) { selected = {}; render(); return; }  // a click on the paper: nothing selected
      addBox(page.number, r);
    }
    svg.addEventListener("mouseup", finish);
    svg.addEventListener("mouseleave", function (event) { if (start) { finish(event); } });
  }
  function round2(v) { return Math.round(v * 100) / 100; }

  // --- editing ----------------------------------------------------------------------------------
  function clickBox(uid, add) {
    if (!add) { selected = {}; }
    if (selected[uid]) { delete selected[uid]; } else { selected[uid] = true; }
    var q = questionOf(uid);
    current = q ? q.uid : null;
    render();
    var card = panel.querySelector('[data-uid="' + current + '"]');
    if (card && card.scrollIntoView) { card.scrollIntoView({block: "nearest"}); }
  }
  function addBox(pageNumber, r) {
    var kind = document.querySelector("input[name=draw-kind]:checked").value;
    var box = {x: round2(r.x), y: round2(r.y), w: round2(r.w), h: round2(r.h), uid: nid()};
    var lim = S.limits;
    if (kind === "frame") {
      if (box.w < lim.frame_min || box.h < lim.frame_min) {
        say("Khung viết phải rộng và cao ít nhất " + vnMm(lim.frame_min) + " mm.", "error"); return;
      }
      var t = newQuestion({id: freeId("Y"), text: "Ý kiến (đặt tên)", type: "text", page: pageNumber, frame: box});
      S.questions.push(t);
      current = t.uid;
    } else {
      if (box.w < lim.box_min || box.h < lim.box_min || box.w > lim.box_max || box.h > lim.box_max) {
        say("Ô đánh dấu phải rộng và cao từ " + vnMm(lim.box_min) + " đến " + vnMm(lim.box_max) +
            " mm; ô lớn hơn là khung viết (chọn «khung viết» rồi kéo lại).", "error");
        return;
      }
      var q = current !== null ? questionOf(current) : null;
      if (!q || q.type === "text" || q.page !== pageNumber) {
        q = newQuestion({id: freeId("Q"), text: "Câu mới (đặt tên)", type: "multiple", page: pageNumber, options: []});
        S.questions.push(q);
      }
      box.code = freeCode(q);
      box.label = "";
      q.options.push(box);
      if (q.type === "multiple" && q.options.length === 2 && q.text === "Câu mới (đặt tên)") { q.type = "single"; }
      current = q.uid;
    }
    selected = {};
    selected[box.uid] = true;
    changed();
    render();
    say("Đã thêm " + (kind === "frame" ? "khung viết" : "ô") + " vào câu " + questionOf(box.uid).id + ".", "ok");
  }
  function removeSelected() {
    var uids = selectedUids();
    if (!uids.length) { say("Chưa chọn ô nào: bấm vào ô trên ảnh phiếu.", "error"); return; }
    S.questions = S.questions.filter(function (q) { return !(q.type === "text" && selected[q.frame.uid]); });
    S.questions.forEach(function (q) {
      if (q.type !== "text") { q.options = q.options.filter(function (o) { return !selected[o.uid]; }); }
    });
    selected = {};
    dropEmpty();
    changed();
    render();
    say("Đã xoá " + uids.length + " ô.", "ok");
  }
  function mergeSelected() {
    var qs = selectedQuestions().filter(function (q) { return q.type !== "text"; });
    if (qs.length < 2) { say("Chọn ô của ít nhất hai câu hỏi (giữ Shift khi bấm) để gộp.", "error"); return; }
    var target = qs[0];
    if (qs.some(function (q) { return q.page !== target.page; })) { say("Chỉ gộp được các câu cùng một trang.", "error"); return; }
    qs.slice(1).forEach(function (q) {
      q.options.forEach(function (o) { addOption(target, o); });
      q.options = [];
    });
    if (target.options.length > 1 && target.type === "multiple" && qs.every(function (q) { return q.type !== "multiple"; })) {
      target.type = "single";
    }
    dropEmpty();
    current = target.uid;
    changed();
    render();
    say("Đã gộp " + qs.length + " câu thành câu " + target.id + ".", "ok");
  }
  function splitSelected() {
    var uids = selectedUids().filter(function (uid) { var q = questionOf(uid); return q && q.type !== "text"; });
    if (!uids.length) { say("Chọn các ô sẽ thành câu mới (giữ Shift khi bấm).", "error"); return; }
    var first = questionOf(uids[0]);
    if (uids.some(function (uid) { return questionOf(uid).page !== first.page; })) {
      say("Các ô của một câu phải cùng một trang.", "error"); return;
    }
    var fresh = newQuestion({id: freeId("Q"), text: "Câu mới (đặt tên)", type: uids.length > 1 ? "single" : "multiple",
                             page: first.page, options: []});
    var moved = [];
    S.questions.forEach(function (q) {
      if (q.type === "text") { return; }
      q.options = q.options.filter(function (o) { if (selected[o.uid]) { moved.push(o); return false; } return true; });
    });
    moved.forEach(function (o, i) { o.code = String(i + 1); fresh.options.push(o); });  // a new question: codes from 1
    S.questions.splice(S.questions.indexOf(first) + 1, 0, fresh);
    dropEmpty();
    current = fresh.uid;
    changed();
    render();
    say("Đã tách " + moved.length + " ô thành câu mới " + fresh.id + ".", "ok");
  }
  function moveSelected() {
    var target = questionOf(Number(document.getElementById("move-target").value));
    var uids = selectedUids().filter(function (uid) { var q = questionOf(uid); return q && q.type !== "text"; });
    if (!target || !uids.length) { say("Chọn ô trên ảnh và câu hỏi nhận ô.", "error"); return; }
    if (target.type === "text") { say("Câu ô viết không nhận ô đánh dấu.", "error"); return; }
    if (uids.some(function (uid) { return questionOf(uid).page !== target.page; })) {
      say("Các ô của một câu phải cùng một trang.", "error"); return;
    }
    var moved = [];
    S.questions.forEach(function (q) {
      if (q === target || q.type === "text") { return; }
      q.options = q.options.filter(function (o) { if (selected[o.uid]) { moved.push(o); return false; } return true; });
    });
    moved.forEach(function (o) { addOption(target, o); });
    dropEmpty();
    current = target.uid;
    changed();
    render();
    say("Đã chuyển " + moved.length + " ô vào câu " + target.id + ".", "ok");
  }
  function moveQuestion(q, step) {  // the order of the questions is the order of the export's columns
    var at = S.questions.indexOf(q);
    var to = at + step;
    if (to < 0 || to >= S.questions.length) { return; }
    S.questions.splice(at, 1);
    S.questions.splice(to, 0, q);
    current = q.uid;
    changed();
    render();
  }
  // Q1, Q3, Q5 after deleting Q2 and Q4: the questions never saved get the lowest free numbers again, in
  // the panel's order (Q… for choice questions, Y… for writing frames); saved ids, and ids the user
  // typed in another form, are kept.
  var AUTO_ID = /^([QY])(\d+)$/;
  function renumberNew() {
    var movable = S.questions.filter(function (q) { return !savedIds[q.id] && AUTO_ID.test(q.id); });
    var taken = {};
    Object.keys(savedIds).forEach(function (id) { taken[id] = true; });
    S.questions.forEach(function (q) { if (movable.indexOf(q) < 0) { taken[q.id] = true; } });
    var renamed = 0;
    movable.forEach(function (q) {
      var prefix = AUTO_ID.exec(q.id)[1];
      var n = 1;
      while (taken[prefix + n]) { n += 1; }
      taken[prefix + n] = true;
      if (q.id !== prefix + n) { q.id = prefix + n; renamed += 1; }
    });
    if (renamed) { changed(); }
    render();
    say(renamed ? "Đã đánh số lại " + renamed + " câu chưa lưu lần nào; mã các câu đã lưu giữ nguyên." :
        "Các câu mới đã được đánh số liền nhau; mã các câu đã lưu không đổi.", "ok");
  }
  function removeQuestion(q) {
    S.questions.splice(S.questions.indexOf(q), 1);
    boxesOf(q).forEach(function (b) { delete selected[b.uid]; });
    if (current === q.uid) { current = null; }
    tidyNumbers();
    changed();
    render();
    say("Đã xoá câu " + q.id + " và các ô của nó.", "ok");
  }

  // --- the question panel -----------------------------------------------------------------------
  function input(cls, value, label, onInput) {
    var el = document.createElement("input");
    el.className = cls;
    el.value = value;
    el.setAttribute("aria-label", label);
    el.addEventListener("input", function () { onInput(el.value); changed(); });
    return el;
  }
  var TYPES = [["single", "Một lựa chọn"], ["multiple", "Nhiều lựa chọn"]];
  function buildPanel() {
    panel.textContent = "";
    var heading = document.createElement("h2");
    heading.textContent = S.questions.length + " câu hỏi";
    panel.appendChild(heading);
    S.questions.forEach(function (q) {
      var n = numberOf(q);
      if (!n) { panel.appendChild(questionCard(q)); return; }
      var first = n.parts.map(questionOf).sort(function (a, b) { return S.questions.indexOf(a) - S.questions.indexOf(b); })[0];
      if (first === q) { panel.appendChild(numberCard(n)); }
    });
  }
  // A number: one card, its name (the export's column) and its digit columns inside, each a question card.
  function numberCard(n) {
    var card = document.createElement("div");
    card.className = "number-card";
    card.setAttribute("data-number", n.name);
    var head = document.createElement("div");
    head.className = "row";
    var tag = document.createElement("strong");
    tag.textContent = "Số ghi theo cột chữ số";
    head.appendChild(tag);
    var name = input("number-name", n.name, "Tên số (tên cột khi xuất dữ liệu)", function (v) {
      n.name = v.trim();
      card.setAttribute("data-number", n.name);
      drawBoxes();
    });
    name.maxLength = 40;
    head.appendChild(name);
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "unmake-number";
    drop.textContent = "Bỏ ghép số";
    drop.title = "Các câu (cột chữ số) vẫn giữ nguyên, chỉ không ghép thành một số khi xuất";
    drop.addEventListener("click", function () { unmakeNumber(n); });
    head.appendChild(drop);
    card.appendChild(head);
    var parts = document.createElement("p");
    parts.className = "number-parts muted";
    parts.textContent = "Mỗi cột một chữ số, ghép theo thứ tự: " + n.parts.map(function (uid, k) {
      return questionOf(uid).id + " (" + placeOf(n, k) + ")";
    }).join(" + ") + ". Một cột để trống hay có hai dấu: số được đưa đi kiểm tra.";
    card.appendChild(parts);
    n.parts.forEach(function (uid) { card.appendChild(questionCard(questionOf(uid))); });
    return card;
  }
  function questionCard(q) {
    {
      var card = document.createElement("div");
      card.className = "question-card" + (q.uid === current ? " current" : "");
      card.setAttribute("data-uid", q.uid);
      card.setAttribute("data-qid", q.id);
      card.style.borderLeftColor = colourOf(q);
      card.addEventListener("mousedown", function () {
        if (current !== q.uid) { current = q.uid; drawBoxes(); markCurrent(); }
      });
      var head = document.createElement("div");
      head.className = "row";
      head.appendChild(input("qid", q.id, "Mã câu hỏi", function (v) { q.id = v.trim(); card.setAttribute("data-qid", q.id); drawBoxes(); fillMoveTargets(); }));
      head.appendChild(input("qtext", q.text, "Nội dung câu hỏi", function (v) { q.text = v; fillMoveTargets(); }));
      card.appendChild(head);
      head = document.createElement("div");
      head.className = "row";
      var tag = document.createElement("span");
      tag.className = "page-tag";
      tag.textContent = "Trang " + q.page + (q.type === "text" ? "" : ", " + q.options.length + " ô");
      head.appendChild(tag);
      if (q.type !== "text") {
        var type = document.createElement("select");
        type.className = "qtype";
        type.setAttribute("aria-label", "Loại câu hỏi");
        TYPES.forEach(function (t) {
          var opt = document.createElement("option");
          opt.value = t[0];
          opt.textContent = t[1];
          opt.selected = q.type === t[0];
          type.appendChild(opt);
        });
        type.addEventListener("change", function () { q.type = type.value; changed(); buildPanel(); });
        head.appendChild(type);
      } else {
        var kind = document.createElement("span");
        kind.textContent = "khung viết";
        head.appendChild(kind);
      }
      [["up", "↑", "Đưa câu lên trước", -1], ["down", "↓", "Đưa câu xuống sau", 1]].forEach(function (m) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "move-" + m[0];
        button.textContent = m[1];
        button.title = m[2];
        button.setAttribute("aria-label", m[2]);
        button.addEventListener("click", function () { moveQuestion(q, m[3]); });
        head.appendChild(button);
      });
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "remove-question";
      drop.textContent = "Xoá câu";
      drop.addEventListener("click", function () { removeQuestion(q); });
      head.appendChild(drop);
      card.appendChild(head);
      if (q.type !== "text") { card.appendChild(linkRow(q)); }
      if (q.type !== "text") {
        var table = document.createElement("table");
        var target = q.type === "single" && q.link ? standardQuestion(q.link.question) : null;
        q.options.forEach(function (o) {
          var tr = document.createElement("tr");
          tr.className = selected[o.uid] ? "selected" : "";
          tr.setAttribute("data-uid", o.uid);
          var c1 = document.createElement("td");
          c1.appendChild(input("code", o.code, "Mã lựa chọn", function (v) { o.code = v.trim(); drawBoxes(); }));
          var c2 = document.createElement("td");
          var label = input("label", o.label, "Nhãn lựa chọn", function (v) { o.label = v; });
          label.placeholder = "nhãn in cạnh ô (bắt buộc)";
          c2.appendChild(label);
          tr.appendChild(c1);
          tr.appendChild(c2);
          if (target) { tr.appendChild(codeCell(q, o, target)); }
          tr.addEventListener("click", function (event) {
            if (event.target.tagName !== "INPUT") { clickBox(o.uid, event.shiftKey || event.ctrlKey); }
          });
          table.appendChild(tr);
        });
        card.appendChild(table);
      }
      return card;
    }
  }
  // --- links to the standard survey (omr.forms.links): which indicator a question counts in ---------
  function standardQuestion(id) {
    var found = null;
    (S.standard ? S.standard.questions : []).forEach(function (t) { if (t.id === id) { found = t; } });
    return found;
  }
  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }
  function proposedCodes(q, target) {  // by the printed labels when they are the standard's, else in order
    var byLabel = {};
    target.codes.forEach(function (c) { byLabel[fold(c.label)] = c.code; });
    var named = {}, seen = {}, all = true;
    q.options.forEach(function (o) {
      var c = byLabel[fold(o.label)];
      if (!c || seen[c]) { all = false; } else { seen[c] = true; named[o.code] = c; }
    });
    if (all && q.options.length) { return named; }
    var codes = target.codes.map(function (c) { return c.code; });
    if (q.options.length === codes.length - 1 && target.type === "scale") { codes = codes.slice(0, -1); }
    if (q.options.length !== codes.length) { return null; }
    var out = {};
    q.options.forEach(function (o, i) { out[o.code] = codes[i]; });
    return out;
  }
  function linkProblem(q) {
    if (!q.link) { return ""; }
    var target = standardQuestion(q.link.question);
    if (!target) { return "Câu " + q.link.question + " không có trong phiếu chuẩn."; }
    var used = {};
    var missing = q.options.filter(function (o) { return !q.link.codes[o.code]; });
    if (missing.length) {
      return "Câu này có " + q.options.length + " ô, câu " + target.id + " có " + target.codes.length +
        " mức: chọn mã chuẩn cho từng ô.";
    }
    var twice = q.options.some(function (o) { var c = q.link.codes[o.code]; if (used[c]) { return true; } used[c] = true; return false; });
    return twice ? "Hai ô cùng một mã chuẩn: mỗi ô một mã." : "";
  }
  function linkRow(q) {
    var row = document.createElement("div");
    row.className = "row link-row";
    var label = document.createElement("label");
    label.textContent = "Tính vào chỉ số: ";
    var select = document.createElement("select");
    select.className = "qlink";
    select.setAttribute("aria-label", "Câu của phiếu khảo sát chuẩn");
    var none = document.createElement("option");
    none.value = "";
    none.textContent = S.standard ? "— không tính vào chỉ số nào —" : "— không có phiếu chuẩn —";
    select.appendChild(none);
    var group = null, optgroup = null;
    (S.standard ? S.standard.questions : []).forEach(function (t) {
      if (t.group !== group) {
        group = t.group;
        optgroup = document.createElement("optgroup");
        optgroup.label = t.group;
        select.appendChild(optgroup);
      }
      var opt = document.createElement("option");
      opt.value = t.id;
      opt.textContent = t.id + " (" + t.scale + "). " + t.text;  // the scale first: a long text is cut
      opt.selected = !!(q.link && q.link.question === t.id);
      optgroup.appendChild(opt);
    });
    select.disabled = q.type !== "single" || !S.standard;
    if (q.type !== "single") { select.title = "Chỉ câu một lựa chọn mới tính được vào chỉ số"; }
    select.addEventListener("change", function () {
      var target = standardQuestion(select.value);
      q.link = target ? {question: target.id, codes: proposedCodes(q, target) || {}} : null;
      changed();
      buildPanel();
    });
    label.appendChild(select);
    row.appendChild(label);
    var hint = q.suggest && !q.link && q.type === "single" ? standardQuestion(q.suggest.question) : null;
    if (hint) {  // as an online import proposes a column's question: shown, never chosen for the admin
      var take = document.createElement("button");
      take.type = "button";
      take.className = "link-suggest";
      take.textContent = "Gợi ý: " + hint.id + " (giống " + String(q.suggest.score.toFixed(2)).replace(".", ",") + ")";
      take.title = hint.id + ". " + hint.text;
      take.addEventListener("click", function () {
        q.link = {question: hint.id, codes: proposedCodes(q, hint) || {}};
        changed();
        buildPanel();
      });
      row.appendChild(take);
    }
    var problem = q.type === "single" ? linkProblem(q) : "";
    if (problem) {
      var note = document.createElement("span");
      note.className = "link-problem";
      note.textContent = problem;
      row.appendChild(note);
    }
    return row;
  }
  function codeCell(q, o, target) {
    var cell = document.createElement("td");
    var select = document.createElement("select");
    select.className = "std-code";
    select.setAttribute("aria-label", "Mã chuẩn của ô " + o.code);
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = "→ ?";
    select.appendChild(blank);
    target.codes.forEach(function (c) {
      var opt = document.createElement("option");
      opt.value = c.code;
      opt.textContent = "→ " + c.code + " " + c.label;
      opt.selected = q.link.codes[o.code] === c.code;
      select.appendChild(opt);
    });
    select.addEventListener("change", function () {
      if (select.value) { q.link.codes[o.code] = select.value; } else { delete q.link.codes[o.code]; }
      changed();
      buildPanel();
    });
    cell.appendChild(select);
    return cell;
  }
  function markCurrent() {
    Array.prototype.forEach.call(panel.querySelectorAll(".question-card"), function (card) {
      card.classList.toggle("current", Number(card.getAttribute("data-uid")) === current);
    });
  }
  function fillMoveTargets() {
    var select = document.getElementById("move-target");
    var keep = select.value;
    select.textContent = "";
    S.questions.forEach(function (q) {
      if (q.type === "text") { return; }
      var opt = document.createElement("option");
      opt.value = q.uid;
      opt.textContent = q.id + " – " + q.text.slice(0, 40);
      select.appendChild(opt);
    });
    if (current !== null && questionOf(current) && questionOf(current).type !== "text") { select.value = String(current); }
    else if (keep) { select.value = keep; }
  }
  function render() { drawBoxes(); buildPanel(); fillMoveTargets(); }

  // --- saving -----------------------------------------------------------------------------------
  function payload() {
    return {
      form_id: S.form_id, title: S.title, base_version: S.base_version, replace_version: replaceVersion,
      questions: S.questions.map(function (q) {
        var out = {id: q.id, text: q.text, type: q.type, page: q.page};
        if (q.was) { out.was = q.was; }
        if (q.type === "text") { out.frame = {x: q.frame.x, y: q.frame.y, w: q.frame.w, h: q.frame.h}; }
        else {
          out.options = q.options.map(function (o) { return {code: o.code, label: o.label, x: o.x, y: o.y, w: o.w, h: o.h}; });
          if (q.link && q.type === "single") { out.link = {question: q.link.question, codes: q.link.codes}; }
        }
        return out;
      }),
      numbers: S.numbers.map(function (n) {
        return {name: n.name, was: n.was, parts: n.parts.map(function (uid) { return questionOf(uid).id; })};
      })
    };
  }
  var saving = false;
  function save() {
    if (saving) { return; }
    saving = true;
    document.body.classList.add("busy");
    var token = document.querySelector("meta[name=csrf-token]").getAttribute("content");
    fetch(S.save_url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                       body: JSON.stringify(payload())})
      .then(function (response) {
        if (response.status === 413) {
          return {ok: false, problems: ["Bản sửa quá lớn để gửi lên máy chủ; hãy bớt câu hỏi hoặc ô rồi lưu lại."]};
        }
        return response.json().catch(function () {
          // Not the editor's answer: the login page or the CSRF refusal of a session that ended.
          return {ok: false, session_ended: response.redirected || response.status === 400 || response.status === 401,
                  problems: ["Máy chủ trả lời " + response.status]};
        });
      })
      .then(function (answer) {
        saving = false;
        document.body.classList.remove("busy");
        if (answer.ok) {
          dirty = false;
          forgetEdit();
          replaceVersion = null;
          S.base_version = answer.version;
          rememberSaved(S.questions);
          say(answer.message, "ok");
          var link = document.createElement("a");
          link.href = answer.try_url;
          link.id = "try-link";
          link.className = "button";
          link.textContent = "Thử trên phiếu đã điền";
          message.firstChild.appendChild(document.createTextNode(" "));
          message.firstChild.appendChild(link);
          return;
        }
        if (answer.conflict && answer.current_version && window.confirm(answer.problems.join("\n"))) {
          replaceVersion = answer.current_version;
          save();
          return;
        }
        keepEdit();
        if (answer.session_ended) {
          say("Phiên đăng nhập đã hết; mẫu phiếu chưa được lưu. Bản sửa vẫn được giữ trong trình duyệt: "
              + "hãy đăng nhập lại trong thẻ mới, rồi tải lại trang này và bấm «Lưu».", "error");
          var login = document.createElement("a");
          login.href = "/login?next=" + encodeURIComponent(window.location.pathname);
          login.target = "_blank";
          login.rel = "noopener";
          login.id = "login-again";
          login.className = "button";
          login.textContent = "Đăng nhập lại (thẻ mới)";
          message.firstChild.appendChild(document.createTextNode(" "));
          message.firstChild.appendChild(login);
          return;
        }
        say("Chưa lưu được mẫu phiếu:", "error", answer.problems || []);
      })
      .catch(function () {
        saving = false;
        document.body.classList.remove("busy");
        say("Không gửi được tới máy chủ; mẫu phiếu chưa được lưu (các sửa đổi vẫn còn trên trang này).", "error");
      });
  }

  document.getElementById("remove-boxes").addEventListener("click", removeSelected);
  document.getElementById("merge-questions").addEventListener("click", mergeSelected);
  document.getElementById("split-question").addEventListener("click", splitSelected);
  document.getElementById("move-boxes").addEventListener("click", moveSelected);
  document.getElementById("renumber").addEventListener("click", renumberNew);
  document.getElementById("make-number").addEventListener("click", makeNumber);
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("zoom").addEventListener("change", function (event) {
    svgs.forEach(function (item) { item.svg.style.width = event.target.value + "%"; });
  });
  document.addEventListener("keydown", function (event) {
    var tag = event.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      removeSelected();
    } else if (event.key === "Escape") {
      selected = {};
      render();
    }
  });
  buildPages();
  render();
  if (restored) {
    say("Đã khôi phục bản sửa chưa lưu của mẫu phiếu này (từ trước khi tải lại trang). Bấm «Lưu» để lưu.", "ok");
  }
}());
