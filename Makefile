# Two commands for a new user: `make demo` and `make test`.
# Both install what is missing first (Debian packages, a virtualenv, the project).

PYTHON ?= python3
# bash for `set -o pipefail` (pip's output is filtered, its exit status kept: see pip_install).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := fonts-dejavu-core fonts-liberation2 tesseract-ocr tesseract-ocr-vie poppler-utils
# Only the tests need these: a browser for the web app's tests, LibreOffice to open the DOCX report and make
# the office blanks, Symbola and STIX for the circled letters (Ⓐ) of tests/data/office-blanks/circled-letters.docx.
TEST_APT_PACKAGES := chromium libreoffice-writer-nogui fonts-symbola fonts-stix
# apt waits this long (s) for another apt or unattended-upgrades to release its lock instead of failing at once.
APT_LOCK_TIMEOUT_S := 600
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT := outputs/demo
TEMPLATE := form_templates/motcua-2026.yaml
# Port of `make serve` (another one: `make serve PORT=8080`).
PORT ?= 8000
# Database `make serve` shows: the demo's; your own scans (`omr scan` writes outputs/omr.sqlite by default):
# `make serve DB=outputs/omr.sqlite`.
DB ?= $(OUT)/omr.sqlite
# Processes `make test` runs the tests in (pytest-xdist): one per core (`make test TEST_WORKERS=1`: one only).
# Each test file stays in one worker (--dist loadfile), so a module's fixtures are built once.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 1)

.PHONY: demo test install apt apt-test clean serve
# Demo logins for the review app (printed by `make demo`; change them for real use).
DEMO_PASSWORD_ADMIN := quantri-demo
DEMO_PASSWORD_SCANNER := nhanvien-demo
DEMO_PASSWORD_REVIEWER := kiemtra-demo
# Printed after the demo's online import, under its «Bị từ chối: 1 dòng …» (see the demo recipe).
DEMO_REJECT_NOTE := Ghi chú demo: dòng bị từ chối ở trên là CỐ Ý, không phải lỗi. Tệp mẫu google-forms-vi.csv có một câu trả lời «Khác» do người trả lời tự gõ («Cấp đổi giấy phép lái xe»), chưa có mã trong tệp ánh xạ mẫu, để cho thấy omr báo dòng không nhập được như thế nào. Xem dòng đó ở $(OUT)/online-rejects.csv. Demo vẫn chạy tiếp bình thường.

install: apt $(VENV)/.installed

# Installs the Debian packages of $(1) that are missing.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Cài gói hệ thống:$$missing"; \
		$(SUDO) apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_TIMEOUT_S) update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_TIMEOUT_S) install -y -qq $$missing; \
	fi
endef

apt:
	$(call apt_install,$(APT_PACKAGES))

apt-test:
	$(call apt_install,$(TEST_APT_PACKAGES))

# A pip configuration may name local package folders as extra indexes (file:///…/simple) that hold
# only some packages; pip then warns twice for every other package ("WARNING: Location
# 'file:///…/simple/segno/' is ignored: it is neither a file nor a directory") although it takes the
# package from the next index. Those lines alone are dropped; every other line pip prints is shown
# and its exit status kept (pipefail).
PIP_UNFOUND_LOCAL := ^WARNING: Location 'file://[^']*' is ignored: it is neither a file nor a directory\.$$
# The install takes minutes (~5 on a loaded machine): pip says each package it collects, one line each
# («Collecting …», then «Installing collected packages» and «Successfully installed …»), so the user sees
# it working (with -q it was silent for minutes: a fresh user's trial). Its per-file lines (downloads,
# cache hits, packages already there) would be hundreds: dropped. Errors and warnings stay.
PIP_NOISE := ^(  Downloading |  Using cached |Requirement already satisfied: |  Obtaining dependency |Downloading |Using cached )
define pip_install
	@set -o pipefail; $(BIN)/python -m pip install --progress-bar off $(1) 2>&1 | { grep -Ev "$(PIP_NOISE)" | grep -v "$(PIP_UNFOUND_LOCAL)" || true; }
endef

$(VENV)/.installed: pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@echo "Cài các gói Python vào $(VENV): lần đầu có thể mất khoảng 5 phút; mỗi gói hiện một dòng «Collecting …»..."
	$(call pip_install,--upgrade pip)
	$(call pip_install,-e ".[test]")
	@touch $@

demo: install
	@mkdir -p $(OUT)
	@# The demo's database, exports, reports and sheet images hold (simulated) personal data: its folder is
	@# its owner's only, as real outputs should be (docs/guide.md).
	@chmod 700 $(OUT)
	$(BIN)/omr forms print $(TEMPLATE) --count 20 --unit 30001 --units examples/units/caolanh.csv -o $(OUT)/forms.pdf
	$(BIN)/omr forms layout $(TEMPLATE) -o $(OUT)/layout.json
	$(BIN)/omr forms simulate $(TEMPLATE) --count 20 --seed 1 --profile office --unit 30001 --units examples/units/caolanh.csv --survey-from 2025-09-15 --survey-to 2025-12-14 -o $(OUT)/scans.pdf --truth $(OUT)/truth.jsonl
	rm -f $(OUT)/omr.sqlite*
	$(BIN)/omr scan $(OUT)/scans.pdf --db $(OUT)/omr.sqlite --batch "Đợt quét mẫu" --collected-from 2025-09-15 --collected-to 2025-12-14
	@echo "Ý kiến viết tay đọc được (bản nháp OCR, dấu hiệu tiêu cực):"
	$(BIN)/omr comments --db $(OUT)/omr.sqlite
	$(BIN)/omr units import examples/units/caolanh.csv --db $(OUT)/omr.sqlite
	$(BIN)/omr online import examples/online/google-forms-vi.csv --source google-forms-fb --mapping examples/online/google-forms-vi.mapping.yaml --db $(OUT)/omr.sqlite --rejects $(OUT)/online-rejects.csv
	@# The example export holds, on purpose, one answer typed in "Other" that no option code fits (its label is
	@# null in the mapping): the import above reports it rejected. Said here so nobody takes it for a failure.
	@echo "$(DEMO_REJECT_NOTE)"
	$(BIN)/omr export --db $(OUT)/omr.sqlite --format csv -o $(OUT)/export.csv
	$(BIN)/omr export --db $(OUT)/omr.sqlite --format xlsx -o $(OUT)/export.xlsx
	$(BIN)/omr export --db $(OUT)/omr.sqlite --format parquet -o $(OUT)/export.parquet
	$(BIN)/omr show 1 --db $(OUT)/omr.sqlite -o $(OUT)/sheet-000001.png
	# The demo's paper forms are dated in 2025-Q4 (15/09/2025 - 14/12/2025), as are some online answers;
	# the online answers of 2025-Q3 are the previous period the report compares with.
	$(BIN)/omr report --period 2025-Q4 --all-units --roll-up --db $(OUT)/omr.sqlite -o $(OUT)/report-2025-Q4.xlsx
	$(BIN)/omr report --period 2025-Q4 --all-units --roll-up --db $(OUT)/omr.sqlite -o $(OUT)/report-2025-Q4.docx
	$(BIN)/omr report --period 2025-Q4 --all-units --roll-up --db $(OUT)/omr.sqlite -o $(OUT)/report-2025-Q4.html
	@echo
	@echo "Kết quả demo nằm trong $(OUT)/:"
	@echo "  forms.pdf          phiếu để in (20 tờ, có mã QR và số phiếu)"
	@echo "  layout.json        bố cục phiếu (toạ độ mm)"
	@echo "  scans.pdf          bản quét mẫu đã điền; truth.jsonl: đáp án của từng phiếu"
	@echo "  omr.sqlite         cơ sở dữ liệu sau khi đọc bản quét"
	@echo "  export.csv/.xlsx   dữ liệu xuất (phiếu giấy và trực tuyến), một dòng cho mỗi phiếu; .xlsx có bảng mã"
	@echo "  export_crops/      ảnh ý kiến viết tay đã làm sạch (cột H3_crop, H4_crop của bản xuất)"
	@echo "  export.parquet     cùng dữ liệu cho phân tích (pandas: omr.reports.dataset.load)"
	@echo "  online-rejects.csv dòng trực tuyến bị từ chối (tệp, dòng, cột, lý do): một dòng cố ý, để minh hoạ"
	@echo "  sheet-000001.png   phiếu số 000001 với kết quả đọc vẽ lên ảnh"
	@echo "  report-2025-Q4.xlsx/.docx/.html  báo cáo mức độ hài lòng quý IV/2025 (kỳ chốt 15/09/2025 – 14/12/2025)"
	@OMR_PASSWORD=$(DEMO_PASSWORD_ADMIN) $(BIN)/omr users add admin --role admin --db $(OUT)/omr.sqlite
	@OMR_PASSWORD=$(DEMO_PASSWORD_SCANNER) $(BIN)/omr users add scanner --role scanner --db $(OUT)/omr.sqlite
	@OMR_PASSWORD=$(DEMO_PASSWORD_REVIEWER) $(BIN)/omr users add reviewer --role reviewer --db $(OUT)/omr.sqlite
	@echo
	@echo "Ứng dụng web kiểm tra phiếu trên cơ sở dữ liệu demo:"
	@echo "  chạy:  make serve   (cổng khác: make serve PORT=8080; hoặc: $(BIN)/omr review serve --db $(OUT)/omr.sqlite --uploads $(OUT)/uploads)"
	@echo "  mở:    http://127.0.0.1:$(PORT)/"
	@echo "  đăng nhập: admin / $(DEMO_PASSWORD_ADMIN)  (quản trị)"
	@echo "             scanner / $(DEMO_PASSWORD_SCANNER)  (nhân viên quét)"
	@echo "             reviewer / $(DEMO_PASSWORD_REVIEWER)  (người kiểm tra)"

serve: install
	$(BIN)/omr review serve --db $(DB) --uploads $(dir $(DB))uploads --port $(PORT)

test: install apt-test
	@# The stage packages stay layered, without import cycles (contracts in pyproject.toml).
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) outputs/demo
