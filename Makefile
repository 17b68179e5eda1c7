# Two commands for a new user: `make demo` and `make test`.
# Both install what is missing first (Debian packages, a virtualenv, the project).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := fonts-dejavu-core tesseract-ocr tesseract-ocr-vie poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT := outputs/demo
TEMPLATE := form_templates/motcua-2026.yaml

.PHONY: demo test install apt clean

install: apt $(VENV)/.installed

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Cài gói hệ thống:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	@touch $@

demo: install
	@mkdir -p $(OUT)
	$(BIN)/omr forms print $(TEMPLATE) --count 20 --unit 30001 -o $(OUT)/forms.pdf
	$(BIN)/omr forms layout $(TEMPLATE) -o $(OUT)/layout.json
	$(BIN)/omr forms simulate $(TEMPLATE) --count 20 --seed 1 --profile office -o $(OUT)/scans.pdf --truth $(OUT)/truth.jsonl
	rm -f $(OUT)/omr.sqlite*
	$(BIN)/omr scan $(OUT)/scans.pdf --db $(OUT)/omr.sqlite --batch demo --collected-from 2026-09-15 --collected-to 2026-10-14
	$(BIN)/omr export --db $(OUT)/omr.sqlite --format csv -o $(OUT)/export.csv
	$(BIN)/omr export --db $(OUT)/omr.sqlite --format xlsx -o $(OUT)/export.xlsx
	$(BIN)/omr show 1 --db $(OUT)/omr.sqlite -o $(OUT)/sheet-000001.png
	@echo
	@echo "Kết quả demo nằm trong $(OUT)/:"
	@echo "  forms.pdf          phiếu để in (20 tờ, có mã QR và số phiếu)"
	@echo "  layout.json        bố cục phiếu (toạ độ mm)"
	@echo "  scans.pdf          bản quét mẫu đã điền; truth.jsonl: đáp án của từng phiếu"
	@echo "  omr.sqlite         cơ sở dữ liệu sau khi đọc bản quét"
	@echo "  export.csv/.xlsx   dữ liệu xuất, một dòng cho mỗi phiếu"
	@echo "  sheet-000001.png   phiếu số 000001 với kết quả đọc vẽ lên ảnh"

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) outputs/demo
