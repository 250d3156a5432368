"""Importing from the command line (shelter-ops import) and from HQ's upload page."""
import io

from import_helpers import SHELTER_HEADER, count, csv_bytes, shelter

from shelter_ops.domain import shelters


def good_file():
    return csv_bytes(SHELTER_HEADER, [shelter(1), shelter(2), shelter(3)])


def bad_file():
    return csv_bytes(SHELTER_HEADER, [shelter(1), shelter(2, 緯度="139.5", 経度="35.3")])


def test_the_import_command_imports_and_exits_0(app, db, tmp_path):
    path = tmp_path / "kamakura.csv"
    path.write_bytes(good_file())
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3件追加・0件更新・0件変更なし" in result.output and "3 added, 0 updated, 0 unchanged" in result.output
    assert count(db, "shelters") == 3
    again = app.test_cli_runner().invoke(args=["import", "--quiet", str(path)])
    assert again.exit_code == 0 and "0件追加・0件更新・3件変更なし" in again.output


def test_the_import_command_names_file_line_and_column_and_exits_1(app, db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(bad_file())
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3 [緯度] \"139.5\"" in result.output
    assert "緯度と経度が入れ替わっているようです" in result.output and "look swapped" in result.output
    assert count(db, "shelters") == 0


def test_the_import_command_takes_several_files_and_fails_if_any_fails(app, db, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(good_file())
    bad.write_bytes(bad_file())
    result = app.test_cli_runner().invoke(args=["import", str(good), str(bad)])
    assert result.exit_code == 1
    assert count(db, "shelters") == 3  # each file is its own transaction


def upload(session, data, filename):
    page = session.get("/hq/import")
    return session.post("/hq/import", data={"file": (io.BytesIO(data), filename)}, page=page,
                        content_type="multipart/form-data")


def test_hq_uploads_a_file_and_sees_what_was_added(signed_in, db):
    hq = signed_in("hq")
    response = upload(hq, good_file(), "kamakura.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "取り込みました" in page and "3件追加・0件更新・0件変更なし" in page
    assert "GSI 指定避難所 CSV" in page
    assert count(db, "shelters") == 3


def test_hq_upload_page_shows_each_error_with_line_and_column(signed_in, db):
    hq = signed_in("hq")
    response = upload(hq, bad_file(), "bad.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "何も取り込んでいません" in page
    assert "<td class=\"line\">3行目</td><td>緯度</td><td><code>139.5</code></td>" in page
    assert "緯度と経度が入れ替わっているようです" in page
    assert count(db, "shelters") == 0
    hq.get("/lang/en", headers={"Referer": "http://localhost/hq/import"})
    english = upload(hq, bad_file(), "bad.csv").get_data(as_text=True)
    assert "Nothing was imported" in english and "line 3" in english and "look swapped" in english


def test_html_in_an_imported_name_is_shown_as_text(signed_in, db):
    name = "<b>第一</b>小学校"
    hq = signed_in("hq")
    page = upload(hq, csv_bytes(SHELTER_HEADER, [shelter(1, **{"施設・場所名": name})]), "f.csv").get_data(as_text=True)
    assert "&lt;b&gt;第一&lt;/b&gt;小学校" in page and "<b>第一</b>" not in page
    assert shelters.get(db, "E1420400001111")["name"] == name
    overview = hq.get("/hq/").get_data(as_text=True)
    assert "<b>第一</b>" not in overview


def test_staff_cannot_import(signed_in, shelter_a, db):
    staff = signed_in("staff", shelter_a)
    response = upload(staff, good_file(), "kamakura.csv")
    assert response.status_code == 403
    assert count(db, "shelters") == 1
