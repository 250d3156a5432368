"""Importing the open-data formats: GSI shelters and sites (CSV, GeoJSON), the Digital Agency list."""
import json
import uuid
from pathlib import Path

import pytest
from conftest import shared_file
from import_helpers import (DA_HEADER, SHELTER_HEADER, SITE_HEADER, count, csv_bytes, da_site,
                            prefecture_rows, shelter, shelters_by_kyotsu_id, site)

from shelter_ops.db import events
from shelter_ops.domain import shelters
from shelter_ops.importers import import_data, import_file, municipality_check_digit, municipality_code6

DATA = Path(__file__).resolve().parent / "data"


def facts(db):
    """What an import sets, per 共通ID: name, address, coordinates."""
    return {k: (r["name"], r["address"], r["lat"], r["lon"]) for k, r in shelters_by_kyotsu_id(db).items()}


def test_kamakura_csv_and_geojson_import_to_the_same_25_shelters(db, tmp_path):
    from import_helpers import fresh_db

    report = import_file(db, shared_file("kamakura_gsi_designated_shelters.csv"), actor="hq")
    assert report.ok and report.added == 25 and report.kind == "shelters"
    assert report.format == "GSI 指定避難所 CSV"
    assert report.summary() == "25件追加・0件更新・0件変更なし"
    assert report.summary("en") == "25 added, 0 updated, 0 unchanged"
    other = fresh_db()
    from_geojson = import_file(other, shared_file("kamakura_gsi_designated_shelters.geojson"), actor="hq")
    assert from_geojson.ok and from_geojson.added == 25 and from_geojson.format == "GSI 指定避難所 GeoJSON"
    assert facts(db) == facts(other)
    tamanawa = shelters.get(db, "E1420400025111")
    assert (tamanawa["name"], tamanawa["lat"], tamanawa["lon"]) == ("玉縄中学校", 35.347911, 139.519482)
    assert tamanawa["municipality_code"] == "142042" and tamanawa["kind"] == "general"
    assert tamanawa["state"] == "standby"
    # the GeoJSON after the CSV: the same shelters, nothing to change
    again = import_file(db, shared_file("kamakura_gsi_designated_shelters.geojson"), actor="hq")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 25)


def test_importing_the_same_file_again_changes_nothing(db):
    data = csv_bytes(SHELTER_HEADER, [shelter(n) for n in range(1, 6)])
    assert import_data(db, data, "kamakura.csv", actor="hq").added == 5
    before_rows = shelters_by_kyotsu_id(db)
    before_events = count(db, "events")
    again = import_data(db, data, "kamakura.csv", actor="hq")
    assert again.ok and (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert again.changed_shelter_ids == []
    assert count(db, "events") == before_events
    assert shelters_by_kyotsu_id(db) == before_rows  # updated_at too


def test_a_newer_file_updates_by_kyotsu_id_and_keeps_the_shelters_state(db):
    import_data(db, csv_bytes(SHELTER_HEADER, [shelter(1), shelter(2)]), "v1.csv", actor="hq")
    first = shelters.get(db, "E1420400001111")
    shelters.transition(db, first["id"], "open", actor="hq", role="hq")
    newer = [shelter(1, **{"施設・場所名": "第1小学校（新校舎）", "緯度": "35.401000"}), shelter(2), shelter(3)]
    report = import_data(db, csv_bytes(SHELTER_HEADER, newer), "v2.csv", actor="hq")
    assert (report.added, report.updated, report.unchanged) == (1, 1, 1)
    updated = shelters.get(db, "E1420400001111")
    assert updated["id"] == first["id"]
    assert (updated["name"], updated["lat"]) == ("第1小学校（新校舎）", 35.401)
    assert updated["state"] == "open"  # the import never touches the lifecycle
    assert set(report.changed_shelter_ids) == {first["id"], shelters.get(db, "E1420400003111")["id"]}
    added, event = reversed(events(db, shelter_id=first["id"], kind="shelter.imported"))
    assert added["payload"]["action"] == "added" and event["payload"]["action"] == "updated"
    assert event["payload"]["changes"]["name"] == ["第1小学校", "第1小学校（新校舎）"]
    assert event["actor"] == "hq"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_reads_utf8_with_or_without_bom_and_shift_jis(db, encoding):
    rows = [shelter(1, **{"施設・場所名": "髙砂小学校"}), shelter(2, 備考="駐車場なし")]
    report = import_data(db, csv_bytes(SHELTER_HEADER, rows, encoding=encoding), "f.csv", actor="hq")
    assert report.ok, report.text()
    assert shelters.get(db, "E1420400001111")["name"] == "髙砂小学校"
    assert shelters.get(db, "E1420400002111")["notes"] == "駐車場なし"


def test_a_cp932_file_from_a_city_imports_with_welfare_shelters(db):
    report = import_file(db, DATA / "gsi_shelters_cp932.csv", actor="hq")
    assert report.ok and report.added == 3, report.text()
    assert shelters.get(db, "E1420400002111")["name"] == "髙砂会館～第２集会所"
    assert shelters.get(db, "E1420400002111")["accepts"] == "要配慮者"
    welfare = shelters.get(db, "E1420400003121")
    assert welfare["kind"] == "welfare" and welfare["name"] == "名越やすらぎセンター①"


def test_a_quoted_line_break_stays_in_the_field_and_lines_count_as_in_the_file(db):
    rows = [shelter(1, 備考="1階\n体育館"), shelter(2, 緯度="139.5", 経度="35.3")]
    report = import_data(db, csv_bytes(SHELTER_HEADER, rows), "f.csv", actor="hq")
    [error] = report.errors
    assert error.line == 4  # header 1, row 1 on lines 2-3, row 2 starts on line 4
    ok = import_data(db, csv_bytes(SHELTER_HEADER, rows[:1]), "f.csv", actor="hq")
    assert ok.ok and shelters.get(db, "E1420400001111")["notes"] == "1階\n体育館"


def test_the_per_city_shelter_file_has_no_prefecture_column(db):
    header = [h for h in SHELTER_HEADER if h != "都道府県名及び市町村名"]
    report = import_data(db, csv_bytes(header, [shelter(1), shelter(2)]), "city.csv", actor="hq")
    assert report.ok and report.added == 2
    assert report.format == "GSI 指定避難所 CSV（市町村別）"


def test_columns_are_found_by_name_not_position(db):
    header = list(reversed(SHELTER_HEADER))
    report = import_data(db, csv_bytes(header, [shelter(7)]), "f.csv", actor="hq")
    assert report.ok
    row = shelters.get(db, "E1420400007111")
    assert (row["name"], row["lat"], row["lon"]) == ("第7小学校", 35.3007, 139.5007)


def test_gsi_emergency_sites_keep_their_hazard_flags(db):
    rows = [site(1, hazards=("洪水", "津波")), site(2, hazards=("火山現象",), 指定避難所との住所同一="1")]
    report = import_data(db, csv_bytes(SITE_HEADER, rows), "sites.csv", actor="hq")
    assert report.ok and report.kind == "sites" and report.format == "GSI 指定緊急避難場所 CSV", report.text()
    by_id = {s["kyotsu_id"]: s for s in shelters.sites(db)}
    assert by_id["E1420400001201"]["hazards"] == ["flood", "tsunami"]
    assert by_id["E1420400002201"]["hazards"] == ["volcano"]
    assert by_id["E1420400002201"]["same_address_as_shelter"] == 1
    assert count(db, "shelters") == 0  # sites are never shelters


def test_per_city_site_csv_with_a_quoted_line_break(db):
    report = import_file(db, DATA / "gsi_sites_per_city.csv", actor="hq")
    assert report.ok and report.added == 4 and report.format == "GSI 指定緊急避難場所 CSV（市町村別）", report.text()
    by_id = {s["kyotsu_id"]: s for s in shelters.sites(db)}
    assert by_id["E1420400002201"]["notes"] == "高台へ\n徒歩5分"
    assert by_id["E1420400004201"]["hazards"] == []


def test_site_geojson_names_the_line_of_a_bad_feature(db):
    report = import_file(db, DATA / "gsi_sites.geojson", actor="hq")
    assert report.ok and report.added == 2 and report.format == "GSI 指定緊急避難場所 GeoJSON"
    text = (DATA / "gsi_sites.geojson").read_text(encoding="utf-8")
    doc = json.loads(text)
    doc["features"][1]["geometry"]["coordinates"] = [35.3, 139.5]
    bad = import_data(db, json.dumps(doc, ensure_ascii=False, indent=2).encode(), "bad.geojson", actor="hq")
    [error] = bad.errors
    assert (error.feature, error.column) == (2, "geometry")
    assert error.line == text.splitlines().index("    {", 4) + 1  # where the second feature starts
    assert "swapped" in error.en


def test_digital_agency_subset_with_codes_without_the_leading_zero(db):
    report = import_file(db, DATA / "da_sites_subset.csv", actor="hq")
    assert report.ok and report.added == 2, report.text()
    assert report.format == "デジタル庁 指定緊急避難場所一覧 CSV"
    by_id = {s["kyotsu_id"]: s for s in shelters.sites(db)}
    odori = by_id["011002-0101"]  # a city's own ID, made unique by the municipality code
    assert odori["municipality_code"] == "011002"
    assert (odori["capacity"], odori["capacity_raw"]) == (12000, "約12,000人")
    assert odori["neighbourhoods"] == ["大通町内会", "西7丁目自治会"]
    assert odori["name_en"] == "Odori Park" and odori["hazards"] == ["earthquake"]
    nakajima = by_id["011002-0102"]
    assert (nakajima["capacity"], nakajima["capacity_raw"]) == (None, "未定")
    assert [w.column for w in report.warnings] == ["想定収容人数"]


def test_digital_agency_full_39_columns(db):
    rows = [da_site(1), da_site(2, ID="E1420400002201", 災害種別_津波="1", 指定避難所との重複="1")]
    report = import_data(db, csv_bytes(DA_HEADER, rows), "da.csv", actor="hq")
    assert report.ok and report.added == 2, report.text()
    by_id = {s["kyotsu_id"]: s for s in shelters.sites(db)}
    assert by_id["142042-00001"]["capacity"] == 1200
    assert by_id["E1420400002201"]["hazards"] == ["earthquake", "tsunami"]
    assert by_id["E1420400002201"]["same_address_as_shelter"] == 1


def test_a_prefecture_file_of_3000_rows_imports_completely(db):
    rows = prefecture_rows(3000)
    report = import_data(db, csv_bytes(SHELTER_HEADER, rows), "kanagawa.csv", actor="hq")
    assert report.ok and report.added == 3000, report.text()[:2000]
    assert count(db, "shelters") == 3000
    assert count(db, "events", "kind = 'shelter.imported'") == 3000
    assert shelters.get(db, "E1410000001111")["municipality_code"] == "141003"  # Yokohama
    # shelter ids come from the 共通ID (every install agrees); event ids are time-ordered (UUIDv7)
    assert all(r[0] == shelters.stable_id(r[1]) for r in db.execute("select id, kyotsu_id from shelters"))
    ids = [r[0] for r in db.execute("select id from events order by rowid")]
    assert len(set(ids)) == len(ids) and all(uuid.UUID(i).version == 7 and str(uuid.UUID(i)) == i for i in ids)
    assert ids == sorted(ids)


def test_progress_bar_on_a_large_file_does_not_change_the_result(db, tmp_path, capsys):
    path = tmp_path / "kanagawa.csv"
    path.write_bytes(csv_bytes(SHELTER_HEADER, prefecture_rows(6000)))
    assert path.stat().st_size > 512 * 1024
    report = import_file(db, path, actor="cli", progress=True)
    assert report.ok and report.added == 6000


@pytest.mark.parametrize("code5, code6", [("14204", "142042"), ("01100", "011002"), ("13101", "131016"),
                                          ("14100", "141003"), ("47201", "472018")])
def test_local_government_code_check_digit(code5, code6):
    assert municipality_code6(code5) == code6
    assert municipality_check_digit(code5) == int(code6[-1])


def test_kamakura_check_digit_is_2():
    assert municipality_check_digit("14204") == 2
    with pytest.raises(ValueError):
        municipality_check_digit("1420")


@pytest.mark.parametrize("name", ["gsi_shelters_cp932.csv", "gsi_sites_per_city.csv", "gsi_sites.geojson",
                                  "da_sites_subset.csv"])
def test_every_format_imports_again_without_a_change_or_an_event(db, name):
    first = import_file(db, DATA / name, actor="hq")
    assert first.ok and first.added > 0, first.text()
    events_before = count(db, "events")
    again = import_file(db, DATA / name, actor="hq")
    assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)
    assert count(db, "events") == events_before


def test_a_city_subset_leaves_the_columns_it_does_not_have(db):
    import_data(db, csv_bytes(DA_HEADER, [da_site(1)]), "full.csv", actor="hq")
    subset = ["全国地方公共団体コード", "ID", "名称", "緯度", "経度"]
    report = import_data(db, csv_bytes(subset, [da_site(1, 名称="第1広場（改称）")]), "subset.csv", actor="hq")
    assert report.updated == 1
    [square] = shelters.sites(db)
    assert square["name"] == "第1広場（改称）"
    assert (square["capacity"], square["neighbourhoods"], square["name_en"]) == (1200, ["御成町町内会", "由比ガ浜自治会"],
                                                                              "Square 1")


def test_digital_agency_geojson_is_read_like_its_csv(db):
    rows = [da_site(1), da_site(2)]
    features = [{"type": "Feature", "properties": {k: v for k, v in r.items() if k not in ("緯度", "経度")},
                 "geometry": {"type": "Point", "coordinates": [float(r["経度"]), float(r["緯度"])]}} for r in rows]
    data = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    report = import_data(db, data, "da.geojson", actor="hq")
    assert report.ok and report.added == 2 and report.format == "デジタル庁 指定緊急避難場所一覧 GeoJSON", report.text()
    assert {s["kyotsu_id"] for s in shelters.sites(db)} == {"142042-00001", "142042-00002"}
