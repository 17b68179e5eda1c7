"""Plain phrasings of bribery and of being sent back again and again are flagged (omr.text.lexicon.PATTERNS),
with and without diacritics, and their negations and ordinary payments are not."""

import pytest

from omr.text.lexicon import find_terms, flags_of


# A fresh user's review of the lexicon against the domain brief (task hleft): waiting long, making things
# difficult, bribes by other names and a rude attitude were not flagged.
WAITING_DIFFICULTIES_MONEY_RUDENESS = [
    ("Phải chờ lâu mới được tiếp nhận", ["chờ lâu"]),
    ("phai cho lau moi duoc tiep nhan", ["chờ lâu"]),  # typed without diacritics
    ("Chờ đợi quá lâu", ["chờ lâu"]),
    ("Ngồi chờ cả buổi sáng", ["chờ lâu"]),
    ("Đợi 2 tiếng mới tới lượt", ["chờ lâu"]),
    ("Cán bộ gây khó dễ cho người dân", ["gây khó dễ"]),
    ("can bo gay kho de", ["gây khó dễ"]),
    ("Thái độ hách dịch", ["hách dịch"]),
    ("thai do hach dich", ["hách dịch"]),
    ("Thái độ phục vụ rất kém", ["thái độ không tốt"]),
    ("thai do khong tot", ["thái độ không tốt"]),
    ("Muốn nhanh thì cần bôi trơn", ["bôi trơn"]),
    ("Bị hẹn lại nhiều lần", ["hẹn lại nhiều lần"]),
    ("bi hen lai nhieu lan", ["hẹn lại nhiều lần"]),
    ("Cán bộ nhũng nhiễu, đòi phong bì", ["nhũng nhiễu", "đòi tiền"]),
    ("Trả kết quả trễ, không có thư xin lỗi", ["chậm trễ"]),
    ("Nhân viên quát tháo, thô lỗ", ["quát tháo", "thô lỗ"]),
    ("Cán bộ hạch họe", ["hạch họe"]),
]


@pytest.mark.parametrize("text, terms", [
    ("Phải đưa tiền mới được nhận hồ sơ sớm.", ["đưa tiền"]),
    ("phai dua tien moi duoc nhan ho so som", ["đưa tiền"]),  # typed or read without diacritics
    ("Muốn nhanh thì phải chi tiền cho cán bộ.", ["đưa tiền"]),
    ("Phải có tiền mới làm được sổ đỏ", ["đưa tiền"]),
    ("Cán bộ gợi ý phải biếu thêm phong bì", ["đưa tiền"]),  # a bribe, not an envelope to read closely
    ("Nhân viên đòi thêm tiền mới trả kết quả", ["đòi tiền"]),
    ("Không đưa tiền thì không được nhận hồ sơ", ["đưa tiền"]),  # a condition, not praise
    ("Hồ sơ bị trả lại nếu không đưa tiền", ["đưa tiền"]),
    ("Tôi bị bắt đi lại ba lần.", ["đi lại nhiều lần"]),
    ("bat di lai ba lan moi xong", ["đi lại nhiều lần"]),
    ("Phải lên xã tới 3-4 lần", ["đi lại nhiều lần"]),
    ("Đi đi lại lại mà vẫn chưa xong", ["đi lại nhiều lần"]),
    ("Bị hẹn tới hẹn lui, bắt bổ sung hồ sơ nhiều lần", ["hẹn lên hẹn xuống", "bổ sung nhiều lần"]),
    ("Hồ sơ phải sửa đi sửa lại", ["bổ sung nhiều lần"]),
    ("Phải đưa tiền trà nước thì mới xong", ["tiền trà nước"]),  # the listed term still wins
] + WAITING_DIFFICULTIES_MONEY_RUDENESS)
def test_plain_phrasings_of_bribery_and_repeated_trips_are_flagged(text, terms):
    for source in ("text", "draft", "online"):
        assert [m.term for m in flags_of(text, source=source)] == terms, source


@pytest.mark.parametrize("text", [
    "Không phải đưa tiền, cán bộ rất nhiệt tình.",
    "khong phai dua tien",
    "Không phải đi lại nhiều lần, rất hài lòng.",
    "Chưa bao giờ bị bắt đi lại hai lần",
    "Không ai đòi tiền cả",
    "Phải có tiền mặt để nộp lệ phí",  # cash for the fee
    "Chúng tôi nộp tiền lệ phí đúng quy định",
    "Gửi tiền lệ phí qua bưu điện",
    "Nộp hồ sơ 1 lần là xong",
    "Tôi đến đây 2 lần, lần nào cũng được hướng dẫn tận tình",
    "Tôi đi lại bà Lan ở xã bên",  # typed with diacritics: a visit, not three trips
])
def test_negations_and_ordinary_payments_are_not_flagged(text):
    assert flags_of(text, source="text") == []


def test_negated_phrasings_are_kept_as_negated_with_their_span():
    text = "Không phải đưa tiền, không phải đi lại nhiều lần."
    matches = find_terms(text, source="text")
    assert [(m.term, text[m.start:m.end], m.negated) for m in matches] == [
        ("đưa tiền", "đưa tiền", True), ("đi lại nhiều lần", "đi lại nhiều lần", True)]


@pytest.mark.parametrize("text", [
    "Không phải chờ lâu, cán bộ nhiệt tình.",
    "khong phai cho lau",
    "Chờ không lâu",
    "Chờ 3 ngày là có kết quả",  # the dossier's time, no complaint
    "Không gây khó dễ gì",
    "Thái độ tốt, không hách dịch",
    "Thái độ không tệ",
    "Trả kết quả đúng hẹn",
    "Không có tình trạng chậm trễ",
    "nen cho lau nha ve sinh thuong xuyen",  # «cho lau nhà», let someone mop, typed without diacritics
    "Chỗ ngồi chờ rộng rãi",
])
def test_their_negations_and_innocent_look_alikes_are_not_flagged(text):
    for source in ("text", "online"):
        assert flags_of(text, source=source) == [], source


def test_waiting_long_negated_is_kept_as_negated():
    text = "Không phải chờ lâu."
    assert [(m.term, text[m.start:m.end], m.negated) for m in find_terms(text, source="online")] == [
        ("chờ lâu", "phải chờ lâu", True)]
