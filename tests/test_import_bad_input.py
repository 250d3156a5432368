"""The bad-input corpus: each bad file gets a clear message in ja and en, and imports nothing."""
import codecs
import json
import tracemalloc

import pytest
from conftest import shared_file
from import_helpers import (DA_HEADER, SHELTER_HEADER, SITE_HEADER, count, csv_bytes, da_site, geojson_bytes,
                            shelter, site)

import shelter_ops.importers as importers
from shelter_ops.domain import shelters
from shelter_ops.importers import import_data, import_file


def shelters_csv(*rows, **kwargs):
    return csv_bytes(SHELTER_HEADER, rows, **kwargs)


def truncated_csv():
    data = shelters_csv(shelter(1), shelter(2), shelter(3))
    return data[: data.rindex(b",35.")]  # cut inside the last row, as an interrupted download


def cp932_with_utf8_inside(rows=300):
    good = shelters_csv(*[shelter(n, **{"施設・場所名": "第一小学校"}) for n in range(1, rows)], encoding="cp932")
    return good + "300,E1420400300111,神奈川県鎌倉市,鎌倉小学校,鎌倉市,,,,35.3,139.5,\r\n".encode("utf-8")


# (case, file bytes, line, column, part of the ja message, part of the en message)
ROW_CASES = [
    ("swapped coordinates", shelters_csv(shelter(1), shelter(2, 緯度="139.531", 経度="35.319")),
     3, "緯度", "緯度と経度が入れ替わっているようです", "latitude and longitude look swapped"),
    ("outside Japan", shelters_csv(shelter(1, 緯度="51.5072", 経度="-0.1276")),
     2, "緯度", "日本の範囲", "outside Japan"),
    ("not a number", shelters_csv(shelter(1, 緯度="三十五")), 2, "緯度", "数値ではありません", "Not a number"),
    ("comma decimal", shelters_csv(shelter(1, 経度="139,55")), 2, "経度", "数値ではありません", "Not a number"),
    ("missing latitude", shelters_csv(shelter(1, 緯度="")), 2, "緯度", "緯度がありません", "latitude is missing"),
    ("duplicate 共通ID", shelters_csv(shelter(1), shelter(2), shelter(1)),
     4, "共通ID", "重複", "Duplicate ID (the same as on line 2)"),
    ("共通ID too short", shelters_csv(shelter(1, 共通ID="E142040000111")), 2, "共通ID", "14文字", "14 characters"),
    ("共通ID sequence 0", shelters_csv(shelter(1, 共通ID="E1420400001110")), 2, "共通ID", "形が正しくありません",
     "not well formed"),
    ("site 共通ID in a shelter file", shelters_csv(shelter(1, 共通ID="E1420400001201")),
     2, "共通ID", "指定緊急避難場所の共通ID（種別2）", "emergency site's 共通ID (type 2)"),
    ("shelter subtype 3", shelters_csv(shelter(1, 共通ID="E1420400001131")), 2, "共通ID", "区分は1（一般）か2（福祉）",
     "subtype is 1 (general) or 2 (welfare)"),
    ("no such prefecture", shelters_csv(shelter(1, 共通ID="E9920400001111", 都道府県名及び市町村名="")),
     2, "共通ID", "都道府県コード 99 は存在しません", "no prefecture 99"),
    ("code of another prefecture", shelters_csv(shelter(1, 都道府県名及び市町村名="東京都千代田区")),
     2, "共通ID", "の都道府県（コード 13）と合いません", "does not belong to 東京都千代田区"),
    ("one city, two codes", shelters_csv(shelter(1), shelter(2, code5="14205")),
     3, "共通ID", "市町村コードが2行目（14204）と違います", "has another municipality code on line 2 (14204)"),
    ("missing name", shelters_csv(shelter(1, **{"施設・場所名": "  "})), 2, "施設・場所名", "名称がありません",
     "name is missing"),
    ("flag はい", shelters_csv(shelter(1, 指定緊急避難場所との住所同一="はい")), 2, "指定緊急避難場所との住所同一",
     "「1」か空欄", "Use 1 or leave it empty"),
    ("hazard flag 0", csv_bytes(SITE_HEADER, [site(1, 洪水="0")]), 2, "洪水", "「0」は使えません",
     "it does not mean false"),
    ("hazard flag TRUE", csv_bytes(SITE_HEADER, [site(1), site(2, 津波="TRUE")]), 3, "津波", "「1」か空欄",
     "Use 1 or leave it empty"),
    ("hazard flag ○", csv_bytes(SITE_HEADER, [site(1, 地震="○")]), 2, "地震", "「1」か空欄", "Use 1"),
    ("shelter 共通ID in a site file", csv_bytes(SITE_HEADER, [site(1, 共通ID="E1420400001111")]),
     2, "共通ID", "指定避難所の共通ID（種別1）", "shelter's 共通ID (type 1)"),
    ("truncated CSV", truncated_csv(), 4, "", "途中で切れている", "truncated"),
    ("DA check digit", csv_bytes(DA_HEADER, [da_site(1, 全国地方公共団体コード="142043")]),
     2, "全国地方公共団体コード", "検査数字が合いません", "check digit of the local government code is wrong"),
    ("DA code not digits", csv_bytes(DA_HEADER, [da_site(1, 全国地方公共団体コード="鎌倉市")]),
     2, "全国地方公共団体コード", "6桁", "6 digits"),
    ("DA 共通ID of another city", csv_bytes(DA_HEADER, [da_site(1, ID="E1420500001201")]),
     2, "ID", "全国地方公共団体コード 142042 と合いません", "does not match the local government code 142042"),
    ("DA duplicate ID", csv_bytes(DA_HEADER, [da_site(1), da_site(1)]), 3, "ID", "重複", "Duplicate ID"),
    ("cp932 file with UTF-8 inside", cp932_with_utf8_inside(), 301, "", "Shift_JIS (cp932) として読めない文字",
     "not Shift_JIS (cp932)"),
    ("cp932 file with UTF-8 after the first 64 KB", cp932_with_utf8_inside(1000), 1001, "",
     "Shift_JIS (cp932) として読めない文字", "not Shift_JIS (cp932)"),
]

FILE_CASES = [
    ("not a recognised format", b"name,address,lat,lng\r\nA,B,35.3,139.5\r\n", "認識できる形式ではありません",
     "Not a recognised format"),
    ("site file without a hazard column",
     csv_bytes([h for h in SITE_HEADER if h != "火山現象"], [site(1)]), "必要な列がありません: 火山現象",
     "Columns required by the GSI emergency evacuation sites format are missing: 火山現象"),
    ("duplicated column", csv_bytes(SHELTER_HEADER + ["備考"], [shelter(1)]), "同じ名前の列", "same name: 備考"),
    ("empty file", b"", "ファイルが空です", "The file is empty"),
    ("only a BOM and blank lines", codecs.BOM_UTF8 + b"\r\n\r\n", "ファイルが空です", "The file is empty"),
    ("header only", shelters_csv(), "データの行がありません", "no data rows"),
    ("UTF-16", "\ufeffNO,共通ID\r\n".encode("utf-16-le").join([codecs.BOM_UTF16_LE, b""]), "UTF-16",
     "UTF-16 files cannot be read"),
    ("a spreadsheet, not CSV", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe\x80\x81\xfd",
     "「CSV UTF-8」で保存し直して", 'Save the spreadsheet as "CSV UTF-8"'),
    ("truncated GeoJSON", geojson_bytes([shelter(1), shelter(2)])[:-40], "JSON が途中で切れています",
     "The JSON is truncated"),
    ("GeoJSON that is not a FeatureCollection", b'{"type": "Feature", "properties": {}}',
     "FeatureCollection ではありません", "not a GeoJSON FeatureCollection"),
    ("GeoJSON of polygons", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"共通ID": "E1420400001111"},
         "geometry": {"type": "Polygon", "coordinates": [[[139.5, 35.3], [139.6, 35.3], [139.5, 35.4], [139.5, 35.3]]]}}
    ]}).encode(), "点（Point）の地物がありません", "holds no Point features of a shelter format"),
]


@pytest.mark.parametrize("case, data, line, column, ja, en", ROW_CASES, ids=[c[0] for c in ROW_CASES])
def test_a_bad_row_is_named_by_line_and_column_in_both_languages_and_nothing_is_imported(
        db, case, data, line, column, ja, en):
    report = import_data(db, data, "bad.csv", actor="hq")
    assert not report.ok
    matching = [e for e in report.errors if ja in e.message("ja")]
    assert matching, report.text()
    error = matching[0]
    assert (error.line, error.column) == (line, column), report.text()
    assert en in error.message("en")
    assert count(db, "shelters") == 0 and count(db, "emergency_sites") == 0 and count(db, "events") == 0
    assert report.summary().startswith("取り込みませんでした") and report.summary("en").startswith("Nothing imported")


@pytest.mark.parametrize("case, data, ja, en", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_a_file_that_cannot_be_read_says_why_in_both_languages(db, case, data, ja, en):
    report = import_data(db, data, "bad.csv", actor="hq")
    assert not report.ok
    [error] = report.errors
    assert ja in error.message("ja") and en in error.message("en"), report.text()
    assert count(db, "shelters") == 0 and count(db, "events") == 0


def test_the_2018_csv_is_not_a_recognised_format_and_names_the_headers_expected(db):
    report = import_file(db, shared_file("kamakura_widearea_shelters_2018.csv"), actor="hq")
    [error] = report.errors
    assert error.line == 1
    assert "認識できる形式ではありません" in error.ja and "共通ID、施設・場所名、住所、緯度、経度" in error.ja
    assert "Not a recognised format" in error.en and "共通ID, 施設・場所名, 住所, 緯度, 経度" in error.en
    assert "name, address, lat, lng" in error.en  # what the file has instead
    assert count(db, "shelters") == 0


@pytest.mark.parametrize("name", ["kamakura_boundary_n03_original.geojson", "kamakura_boundary.geojson"])
def test_a_city_boundary_is_not_a_shelter_file(db, name):
    report = import_file(db, shared_file(name), actor="hq")
    [error] = report.errors
    assert "this GeoJSON holds no Point features of a shelter format" in error.en.replace("This", "this")
    assert "点（Point）の地物がありません" in error.ja and "Polygon ×1" in error.en
    assert count(db, "shelters") == 0


def test_one_bad_row_among_good_ones_imports_nothing_and_leaves_existing_shelters_alone(db):
    import_data(db, shelters_csv(*[shelter(n) for n in range(1, 25)]), "v1.csv", actor="hq")
    before = count(db, "events")
    newer = [shelter(n, **{"施設・場所名": f"新{n}"}) for n in range(1, 25)] + [shelter(25, 緯度="")]
    report = import_data(db, shelters_csv(*newer), "v2.csv", actor="hq")
    assert not report.ok and report.added == report.updated == 0
    assert count(db, "shelters") == 24 and count(db, "events") == before
    assert shelters.get(db, "E1420400001111")["name"] == "第1小学校"


def test_a_leading_space_in_a_number_is_read_with_a_warning(db):
    report = import_data(db, shelters_csv(shelter(1, 緯度=" 35.327552")), "f.csv", actor="hq")
    assert report.ok and report.added == 1
    [warning] = report.warnings
    assert (warning.line, warning.column, warning.value) == (2, "緯度", " 35.327552")
    assert "前後の空白を取り除いて読みました" in warning.ja and "Removed a leading or trailing space" in warning.en
    assert shelters.get(db, "E1420400001111")["lat"] == 35.327552


def test_html_in_a_name_is_stored_as_text_with_a_warning(db):
    name = '<script>alert("x")</script>小学校'
    report = import_data(db, shelters_csv(shelter(1, **{"施設・場所名": name})), "f.csv", actor="hq")
    assert report.ok
    [warning] = report.warnings
    assert warning.column == "施設・場所名" and "HTML" in warning.ja and "plain text" in warning.en
    assert shelters.get(db, "E1420400001111")["name"] == name


def test_too_many_errors_stop_the_reading_early(db):
    rows = [shelter(n, 緯度="x") for n in range(1, 1000)]
    report = import_data(db, shelters_csv(*rows), "f.csv", actor="hq")
    assert report.stopped_early and len(report.errors) == importers.MAX_PROBLEMS
    assert "途中で読むのをやめました" in report.summary() and "stopped reading early" in report.summary("en")


def test_a_file_over_the_size_limit_is_refused_with_the_limit(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importers, "MAX_BYTES", 2 * 2**20)
    path = tmp_path / "big.csv"
    path.write_bytes(shelters_csv(shelter(1)) + b"\r\n" * (3 * 2**20))
    [error] = import_file(db, path, actor="cli").errors
    assert "ファイルが大きすぎます（上限 2 MB）" in error.ja and "too large (limit 2 MB)" in error.en


@pytest.mark.slow
def test_a_50_mb_file_is_streamed_not_read_into_memory(db, tmp_path):
    path = tmp_path / "long_notes.csv"
    header_only = len(shelters_csv())
    rows = 0
    with path.open("wb") as f:
        f.write(shelters_csv())
        while f.tell() < 50 * 2**20:
            rows += 1  # each shelter with 36 KB of remarks: a 50 MB file of ~1,500 rows
            f.write(shelters_csv(shelter(rows, 備考="注意事項" * 3000))[header_only:])
    tracemalloc.start()
    try:
        report = import_file(db, path, actor="cli")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok and report.added == rows, report.text()[:500]
    assert peak < 20 * 2**20  # a few MB, not the 50 MB file


def test_a_50_mb_garbage_file_gets_a_report_not_a_hang(db, tmp_path):
    path = tmp_path / "garbage.csv"
    with path.open("wb") as f:
        f.write(shelters_csv(shelter(1)))
        f.write(b"x" * (50 * 2**20))  # one endless field
    report = import_file(db, path, actor="cli")
    assert not report.ok and report.errors[0].line == 3
    assert count(db, "shelters") == 0
