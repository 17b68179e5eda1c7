"""Links from a form's questions to the standard survey's, so that its answers count in the report.

A form an office made itself (a pinned template, ``omr template from-blank`` or the web editor)
has its own question ids and option codes: Q4 with options 1-5. The period report computes its
indicators on the standard survey's questions (form_templates/motcua-2026.yaml: scale questions
B1..H1, the yes/no H2). A link says which standard question a question answers and which standard
code each of its option codes is, the same notion as an online import's mapping
(:mod:`omr.online.mapping`: a column -> a question, a label -> a code). It is written in the
template as::

    standard:
      form: "motcua-2026"
      questions:
        "Q4": {question: "D3", codes: {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5"}}
        "Q8": {question: "H2", codes: {"1": "Y", "2": "N"}}

Links change no box, so they are left out of the template's content hash (like ``join`` and
``labels``): linking needs no new version and pages already read count as soon as it is saved.
The stored answers keep the form's own ids and codes; the report translates them
(:mod:`omr.reports.cache`).
"""

from __future__ import annotations

from omr.text.normalise import fold

LINK_TYPES = ("single", "scale", "yesno")  # one answer per question: a multiple choice cannot be one code
# The mark omr.scan.catalogue puts in the ``extra`` of a template rebuilt from a frozen layout whose pages
# are pinned (a form designed elsewhere): such a template has no ``pinned`` section of its own.
PINNED_LAYOUT = "pinned_layout"


def counts_under_own_ids(template) -> bool:
    """True when the template's questions count in the report under their own ids: a form omr printed
    (the standard survey, its versions). A form designed elsewhere (``pinned``: the web editor,
    ``omr template from-blank``, OMRChecker) has ids of its own choosing: an "H1" there is not the
    standard H1, so its answers count only through its links (``standard`` section)."""
    extra = getattr(template, "extra", None) or {}
    return not extra.get("pinned") and not extra.get(PINNED_LAYOUT)


def check_standard(doc, data: dict, groups) -> dict | None:
    """The template's ``standard`` section checked against its own questions.

    Returns ``{"form": str, "questions": {qid: {"question": str, "codes": {code: code}}}}`` or None.
    Raises the template loader's error (file, line, field) when a linked question is not in the
    template, is not a one-answer question, or maps a code that is not one of its options. Whether
    the target question exists in the standard form is checked where both are at hand (the web
    editor on saving; the report leaves out a link whose target it does not compute).
    """
    raw = data.get("standard")
    if raw is None:
        return None
    line = doc.line_of(raw) if isinstance(raw, dict) else doc.line_of(data)
    if not isinstance(raw, dict) or not isinstance(raw.get("form"), str) or not isinstance(
            raw.get("questions"), dict) or set(raw) - {"form", "questions"}:
        raise doc.error(line, "standard", "cần hai trường: form (mã phiếu chuẩn) và questions "
                                          "(mã câu -> {question: mã câu phiếu chuẩn, codes: {mã: mã chuẩn}})")
    own = {q.id: q for g in groups for q in g.questions}
    links = {}
    for qid, link in raw["questions"].items():
        qid = str(qid)
        where = f"standard.questions.{qid}"
        question = own.get(qid)
        if question is None:
            raise doc.error(line, where, f"câu «{qid}» không có trong mẫu phiếu")
        if question.type not in LINK_TYPES:
            raise doc.error(line, where, f"câu «{qid}» là câu nhiều lựa chọn hoặc ô viết: chỉ câu một lựa chọn "
                                         "mới gắn được với câu của phiếu chuẩn")
        if not isinstance(link, dict) or not isinstance(link.get("question"), str) or not isinstance(
                link.get("codes"), dict) or set(link) - {"question", "codes"}:
            raise doc.error(line, where, "cần {question: mã câu phiếu chuẩn, codes: {mã lựa chọn: mã chuẩn}}")
        codes = {str(k): str(v) for k, v in link["codes"].items()}
        known = {o.code for o in question.options}
        unknown = sorted(set(codes) - known)
        if unknown:
            raise doc.error(line, where, f"mã «{unknown[0]}» không phải lựa chọn của câu {qid} "
                                         f"({', '.join(sorted(known))})")
        links[qid] = {"question": link["question"], "codes": codes}
    shared = shared_link_problems({qid: link["question"] for qid, link in links.items()})
    if shared:
        raise doc.error(line, "standard.questions", shared[0])
    return {"form": raw["form"], "questions": links}


def proposed_codes(own: list[tuple[str, str]], standard) -> dict[str, str] | None:
    """The form's options ``(code, label)`` mapped onto a standard question's codes, or None when they do not fit.

    ``standard``: an omr.forms.template.Question (scale: 1..5, and "KYK" when it has "Không ý kiến";
    yes/no: Y "Có", N "Không"). When every option's label is one of the standard labels (accents and
    case aside: "Không", "Có" printed in that order) the labels decide; otherwise the options map in
    print order. A form printing the five levels without "Không ý kiến" maps onto 1..5. Any other
    count cannot be mapped in order: the person chooses each code (the editor shows them).
    """
    by_label = {fold(o.label): o.code for o in standard.options}
    named = [by_label.get(fold(label)) for _, label in own]
    if all(named) and len(set(named)) == len(named):
        return {code: target for (code, _), target in zip(own, named)}
    targets = [o.code for o in standard.options]
    if standard.type == "scale" and len(own) == len(targets) - 1:
        targets = targets[:-1]
    if len(own) != len(targets):
        return None
    return {code: target for (code, _), target in zip(own, targets)}


def check_link(question_id: str, own_codes: list[str], link: dict, standard_template) -> list[str]:
    """Problems (Vietnamese) of one link against the standard template; empty when it is valid.

    ``link``: {"question": standard id, "codes": {own code: standard code}}. Every own option must map
    to a code of the standard question (no option left uncounted), two options never to one code.
    """
    problems = []
    try:
        target = standard_template.question(link.get("question", ""))
    except KeyError:
        return [f"Câu «{question_id}»: câu «{link.get('question')}» không có trong phiếu chuẩn "
                f"{standard_template.form_id}"]
    if target.type not in ("scale", "yesno"):
        return [f"Câu «{question_id}»: câu {target.id} của phiếu chuẩn không được tính vào chỉ số nào"]
    codes = link.get("codes") or {}
    allowed = {o.code: o.label for o in target.options}
    missing = [c for c in own_codes if c not in codes]
    if missing:
        problems.append(f"Câu «{question_id}»: lựa chọn mã {', '.join(missing)} chưa có mã tương ứng của câu "
                        f"{target.id}")
    wrong = [v for v in codes.values() if v not in allowed]
    if wrong:
        problems.append(f"Câu «{question_id}»: «{wrong[0]}» không phải mã của câu {target.id} "
                        f"({', '.join(allowed)})")
    values = [codes[c] for c in own_codes if c in codes]
    if len(set(values)) != len(values):
        problems.append(f"Câu «{question_id}»: hai lựa chọn cùng gắn một mã của câu {target.id}")
    return problems


def shared_link_problems(targets: dict[str, str]) -> list[str]:
    """Problems (Vietnamese) of links of one form that point at the same standard question.

    ``targets``: own question id -> standard question id, in the form's order. A sheet would then
    give that standard question two answers and the report could count only one of them, so two
    questions never link to one standard question.
    """
    by_target: dict[str, list[str]] = {}
    for qid, target in targets.items():
        by_target.setdefault(target, []).append(qid)
    return [f"Câu «{qids[0]}» và câu «{qids[1]}» cùng gắn với câu {target} của phiếu chuẩn: mỗi câu của "
            "phiếu chuẩn chỉ nhận câu trả lời của một câu; hãy bỏ một liên kết"
            + (f" (còn {', '.join(f'«{q}»' for q in qids[2:])} cũng gắn với câu này)" if len(qids) > 2 else "")
            for target, qids in by_target.items() if len(qids) > 1]
