"""Vietnamese words people build guessable passwords from (omr.data.users.password_score).

zxcvbn ships English dictionaries only: "Hà Nội 2026" or "xinchao2026" scored as strong. These words
are given to it as known to an attacker, each also without diacritics and without spaces (people type
"hanoi", "ha noi" and "Hà Nội" alike); the unit registry's names are added at run time (a unit's own name
is the first guess against its staff).
"""

from __future__ import annotations

# The 63 provinces and cities before the 2025 merger, and the common short names of the largest ones.
PROVINCES = (
    "An Giang", "Bà Rịa", "Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre", "Bình Định",
    "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau", "Cần Thơ", "Cao Bằng", "Đà Nẵng", "Đắk Lắk",
    "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh",
    "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum",
    "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị",
    "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Huế",
    "Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái", "Hồ Chí Minh", "Sài Gòn",
    "Thành phố Hồ Chí Minh", "Cao Lãnh", "Sa Đéc", "Nha Trang", "Đà Lạt", "Vũng Tàu", "Biên Hòa", "Vinh",
)

# Words of this application's domain and greetings people reach for first.
COMMON = (
    "một cửa", "bộ phận một cửa", "xã", "phường", "thị trấn", "huyện", "quận", "tỉnh", "thành phố",
    "hành chính", "cải cách hành chính", "ủy ban", "ủy ban nhân dân", "nhân dân", "cán bộ", "công chức",
    "khảo sát", "phiếu", "phiếu khảo sát", "hài lòng", "sự hài lòng", "dịch vụ", "dịch vụ công", "hồ sơ",
    "mật khẩu", "đăng nhập", "quản trị", "kiểm tra", "nhân viên", "xin chào", "chào", "anh yêu em",
    "em yêu anh", "yêu em", "yêu anh", "việt nam", "tổ quốc", "hạnh phúc", "độc lập", "tự do", "gia đình",
    "cộng hòa", "xã hội chủ nghĩa", "chúc mừng", "năm mới", "tết", "mùa xuân", "bình an", "may mắn",
    "một cửa xã", "một cửa phường", "một cửa liên thông",
)

# Years people put in passwords (birth years, this year): zxcvbn's own year pattern stops at 2019, so
# "2026" counted as four random digits.
YEARS = tuple(str(year) for year in range(1940, 2040))
