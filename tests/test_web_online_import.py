"""The admin's page «Nhập phiếu trực tuyến»: an online export uploaded, imported by the CLI's importer, audited."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from db_fixtures import SQLITE_ONLY
from web_helpers import csrf_token, logged_in, review_app

from omr.data.schema import changes, responses
from omr.web import body_limit
from omr import tuning as T

PASSWORDS = {"quan": "mat-khau-admin", "thu": "mat-khau-scanner", "lan": "mat-khau-lan"}
ROLES = {"quan": "admin", "thu": "scanner", "lan": "reviewer"}
pytestmark = pytest.mark.usefixtures("quick_hashes")


@pytest.fixture
def app(store_url, tmp_path, repo_root, catalogue):
    people = {name: (PASSWORDS[name], role) for name, role in ROLES.items()}
    with review_app(store_url, tmp_path, repo_root, catalogue, people) as application:
        yield application


@pytest.fixture
def example(repo_root):
    return (repo_root / "examples" / "online" / "google-forms-vi.csv").read_bytes()


def _post(client, data: bytes, name="google-forms-vi.csv", source="google-forms-fb", **extra):
    form = {"csrf_token": csrf_token(client, "/admin/online"), "source": source,
            "file": (io.BytesIO(data), name), **extra}
    return client.post("/admin/online", data=form, content_type="multipart/form-data")


def _online_count(app) -> int:
    with app.extensions["omr_store"].reading() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(responses)
                            .where(responses.c.channel == "online")).scalar()


def test_an_admin_imports_an_export_once_even_when_uploaded_twice(app, example):
    client = logged_in(app, "quan", PASSWORDS["quan"])
    response = _post(client, example)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    imported = _online_count(app)
    assert imported > 30
    assert f'id="n-imported">{imported}<' in text
    # The rejected row and its Vietnamese reason, and the rejects CSV to download.
    assert 'id="n-rejected">1<' in text and "chưa được gán mã" in text
    link = next(part.split('"')[0] for part in text.split('href="')[1:] if "rejects.csv" in part)
    rejects = client.get(link)
    rows = rejects.get_data(as_text=True).splitlines()
    assert rejects.status_code == 200 and "lý do" in rows[0]
    assert rows[1].startswith("google-forms-vi.csv,")  # the file as the admin named it, not the server's path
    # The same file again adds nothing, and says so.
    again = _post(client, example).get_data(as_text=True)
    assert _online_count(app) == imported
    assert 'id="n-imported">0<' in again and f'id="n-already">{imported}<' in again
    # Audited: who, which file, the counts; shown in the page's history.
    with app.extensions["omr_store"].reading() as conn:
        rows = conn.execute(sa.select(changes.c.who, changes.c.new_value)
                            .where(changes.c.entity == "online_import")).all()
    assert [r.who for r in rows] == ["quan", "quan"] and all("google-forms-vi.csv" in r.new_value for r in rows)
    assert again.count("<td>quan</td>") == 2


@SQLITE_ONLY
def test_reviewers_and_scanners_are_refused(app, example):
    for name in ("thu", "lan"):
        client = logged_in(app, name, PASSWORDS[name])
        assert client.get("/admin/online").status_code == 403
        token = csrf_token(client, "/account/password")
        response = client.post("/admin/online", data={"csrf_token": token, "source": "x",
                                                     "file": (io.BytesIO(example), "a.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 403
        assert client.get("/admin/online/1/rejects.csv").status_code == 403
    assert _online_count(app) == 0


@SQLITE_ONLY
def test_a_post_without_the_csrf_token_is_refused(app, example):
    client = logged_in(app, "quan", PASSWORDS["quan"])
    response = client.post("/admin/online", data={"source": "x", "file": (io.BytesIO(example), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and _online_count(app) == 0


@SQLITE_ONLY
def test_a_scan_or_an_oversized_file_is_refused_in_vietnamese(app, example, monkeypatch):
    client = logged_in(app, "quan", PASSWORDS["quan"])
    response = _post(client, b"%PDF-1.4 ...", name="ban-quet.pdf")
    assert response.status_code == 400 and "«ban-quet.pdf» không phải tệp xuất trực tuyến" in \
        response.get_data(as_text=True)
    monkeypatch.setattr(T, "ONLINE_MAX_ROWS", 10)
    response = _post(client, example)
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "quá giới hạn 10 dòng" in text and "google-forms-vi.csv" in text
    assert "/online/" not in text.replace("/admin/online/", "")  # the server's folder is never shown
    assert _online_count(app) == 0
    assert not list((app.config["UPLOADS_DIR"] / "online").glob("*.csv"))  # a refused file is not kept
    assert body_limit("/admin/online", "admin") < body_limit("/batches", "admin")


@SQLITE_ONLY
def test_cells_with_html_and_formulas_are_shown_as_text(app, repo_root):
    lines = (repo_root / "examples" / "online" / "google-forms-vi.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0]
    bad = lines[1].split(",")
    # A timestamp cell holding markup and a formula: rejected, shown escaped.
    bad[0] = "=1+2<script>alert(1)</script>"
    client = logged_in(app, "quan", PASSWORDS["quan"])
    text = _post(client, "\n".join([header, ",".join(bad)]).encode("utf-8"), name="<img src=x onerror=alert(1)>.csv") \
        .get_data(as_text=True)
    assert "<script>alert(1)" not in text and "&lt;script&gt;" in text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;.csv" in text
    assert 'id="n-rejected">1<' in text
    # The rejects CSV a spreadsheet opens shows the formula as text.
    rejects = client.get("/admin/online/1/rejects.csv").get_data(as_text=True)
    assert "'=1+2<script>" in rejects and ",=1+2" not in rejects


@SQLITE_ONLY  # the mapping is read before the database is touched
def test_a_mapping_that_is_not_yaml_is_named_with_its_line_in_vietnamese(app, example):
    """A mapping holding a NUL showed PyYAML's English («unacceptable character #x0000: special characters are
    not allowed …, position 17») inside the Vietnamese message, with no line (a fresh user's trial)."""
    import html

    client = logged_in(app, "quan", PASSWORDS["quan"])
    response = _post(client, example, mapping=(io.BytesIO(b"template: x\n{{{ not: yaml: [\n\x00"), "ánh xạ.yaml"))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert ("«ánh xạ.yaml», dòng 3: tệp ánh xạ có ký tự không được phép trong YAML (mã U+0000); hãy xoá ký tự "
            "đó hoặc tạo lại tệp từ «tệp ánh xạ mẫu» tải trên trang này") in text
    assert "unacceptable" not in text and "position" not in text and _online_count(app) == 0


@SQLITE_ONLY
def test_a_file_over_the_row_bound_is_refused_before_it_is_read(app, monkeypatch):
    """A fresh user's 60,000-row export took 79 s to be refused: now its records are counted while streaming,
    and the one line says the rows, the bound, to split the file, and the command line's larger bound."""
    monkeypatch.setattr(T, "ONLINE_MAX_ROWS", 100)
    rows = ["Dấu thời gian,Phường/xã,Ý kiến khác"] + [f"15/06/2026 8:00:00,Phường Cao Lãnh,ý kiến {i}"
                                                       for i in range(1_000)]
    read = []
    monkeypatch.setattr("omr.online.table.Path.read_bytes", lambda self: read.append(self) or b"")
    client = logged_in(app, "quan", PASSWORDS["quan"])
    text = _post(client, "\n".join(rows).encode("utf-8"), name="ca-nam.csv").get_data(as_text=True)
    assert "«ca-nam.csv» có 1.000 dòng dữ liệu" in text and "quá giới hạn 100 dòng" in text
    assert "chia tệp" in text and "omr online import" in text and f"{T.ONLINE_CLI_MAX_ROWS:,}".replace(",", ".") in text
    # the export never read whole (the page's form templates, listed for their starter mappings, are)
    assert not [p for p in read if p.suffix != ".yaml"] and _online_count(app) == 0


@SQLITE_ONLY
def test_an_upload_over_the_body_bound_names_the_export_not_typed_text(app, monkeypatch):
    monkeypatch.setattr(T, "ONLINE_MAX_FILE_BYTES", 200_000)
    client = logged_in(app, "quan", PASSWORDS["quan"])
    response = _post(client, b"a,b\n" + b"1,2\n" * ((T.WEB_MAX_FORM_BYTES + 400_000) // 4), name="lon.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 413 and "Tệp xuất trực tuyến" in text and "giới hạn 0,2 MB" in text
    assert "chia tệp" in text and "omr online import" in text
    assert "đã gõ" not in text and "hãy dùng trang «Đợt quét»" not in text  # (the menu, logged in, links it)


def test_an_export_with_no_matching_column_points_to_the_mapping_field_and_a_starter_mapping(app, example):
    """A fresh user's find: an export whose headers match no question was refused with «hãy tạo tệp ánh xạ
    bằng «omr online mapping» rồi nhập với --mapping»: a command to run on the server, from the web app.
    The page now points to its own mapping field and offers a starter mapping to download, which, its
    column names edited to the export's headers, imports the file."""
    import html
    import re

    client = logged_in(app, "quan", PASSWORDS["quan"])
    import csv

    rows = list(csv.reader(io.StringIO(example.decode("utf-8-sig"))))
    header = rows[0]
    out = io.StringIO()
    csv.writer(out).writerows([[f"cot{i}" for i in range(len(header))], *rows[1:]])
    export = out.getvalue().encode("utf-8")
    refused = _post(client, export, name="xuat.csv")
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400 and "không có cột nào khớp" in text
    assert "omr online mapping" not in text and "--mapping" not in text
    assert "«Tệp ánh xạ cột»" in text and "tệp ánh xạ mẫu" in text
    link = re.search(r'href="(/admin/online/mapping/[^"]+\.yaml)"', text).group(1)
    starter = client.get(link)
    assert starter.status_code == 200 and "attachment" in starter.headers["Content-Disposition"]
    yaml_text = starter.get_data(as_text=True)
    assert "columns:" in yaml_text and "template:" in yaml_text
    # The template by its file name, never the server's folders; no «score» though no file was compared
    # (a second fresh user, hweb3). The import still finds the template (in the templates folder).
    template_line = next(line for line in yaml_text.splitlines() if line.startswith("template:"))
    assert re.fullmatch(r'template: "[^"/\\]+\.yaml"', template_line), template_line
    assert "score" not in yaml_text and "mẫu, chưa so với tệp xuất nào" in yaml_text
    # The admin renames each column of the starter to the export's own header (here: the original
    # headers were the question texts; the export renamed them cot0, cot1, …).
    for i, name in enumerate(header):
        yaml_text = yaml_text.replace(f'column: "{name}"', f'column: "cot{i}"')
    done = _post(client, export, name="xuat.csv", mapping=(io.BytesIO(yaml_text.encode()), "anh-xa.yaml"))
    assert done.status_code == 200, html.unescape(done.get_data(as_text=True))[:2000]
    assert _online_count(app) > 0
    assert client.get("/admin/online/mapping/khong-co-v1.yaml").status_code == 404


def test_the_result_names_used_ignored_and_missing_columns(app, example, repo_root):
    """A mapping naming a column the export lacks: the result page says so (a second fresh user, hweb3)."""
    import html

    mapping = (repo_root / "examples" / "online" / "google-forms-vi.mapping.yaml").read_text(encoding="utf-8")
    assert '"Giới tính"' in mapping
    mapping = mapping.replace('"Giới tính"', '"Giới tính của Ông/Bà"')
    client = logged_in(app, "quan", PASSWORDS["quan"])
    response = _post(client, example, mapping=(io.BytesIO(mapping.encode("utf-8")), "ánh xạ.yaml"))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, text
    missing = text.split('id="columns-missing">')[1].split("</td>")[0]
    assert missing.startswith("1 (Giới tính của Ông/Bà)") and "không hỏi trực tuyến" in missing
    assert "Giới tính" in text.split('id="columns-ignored">')[1].split("</td>")[0]
    assert "Ngày khảo sát" in text.split('id="columns-used">')[1].split("</td>")[0]
