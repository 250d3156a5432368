"""The GeoJSON feed for GIS layers: the GSI attribute names and 共通ID beside the live state, nothing personal."""
import csv
import io

from import_helpers import SHELTER_HEADER, csv_bytes, shelter as gsi_row
from shelter_ops.domain import gis, households, shelters
from shelter_ops.importers import import_data


def load(db, rows):
    report = import_data(db, csv_bytes(SHELTER_HEADER, rows), "gsi.csv", actor="hq")
    assert report.ok, report.text()


def features(app):
    return {f["id"]: f for f in app.test_client().get("/public/status.geojson").get_json()["features"]}


def test_each_feature_carries_the_gsi_attributes_of_the_imported_file(app, db):
    row = gsi_row(1, 住所="神奈川県鎌倉市大船1-1", 受入対象者="地区住民", 指定緊急避難場所との住所同一="1", 備考="体育館")
    load(db, [row])
    shelter = shelters.get(db, row["共通ID"])
    shelters.transition(db, shelter["id"], "open", actor="hq", role="hq")
    for _ in range(4):
        households.count_head(db, shelter["id"], "female", "adult", actor="staff")
    got = features(app)[row["共通ID"]]["properties"]
    for name in ("共通ID", "施設・場所名", "住所", "受入対象者", "備考", "指定緊急避難場所との住所同一"):
        assert got[name] == row[name], name
    assert got["都道府県名及び市町村名"] == "神奈川県鎌倉市"
    assert (got["緯度"], got["経度"]) == (float(row["緯度"]), float(row["経度"]))
    assert (got["開設状況"], got["避難者数"]) == ("開設", 4)
    assert got["kyotsu_id"] == row["共通ID"] and got["occupancy"] == 4  # the earlier keys stay for old layers


def test_the_live_properties_match_the_public_csv(app, db):
    load(db, [gsi_row(1), gsi_row(2)])
    shelters.transition(db, shelters.get(db, "E1420400001111")["id"], "open", actor="hq", role="hq")
    client = app.test_client()
    rows = {r["共通ID"]: r for r in csv.DictReader(io.StringIO(
        client.get("/public/status.csv").get_data(as_text=True).lstrip("\ufeff")))}
    for kyotsu_id, feature in features(app).items():
        props, row = feature["properties"], rows[kyotsu_id]
        for name in gis.LIVE_PROPERTIES:
            assert str(props[name]) == row[name], name


def test_a_city_of_another_municipality_is_named_from_its_address(app, db):
    load(db, [gsi_row(1, code5="14201", city="神奈川県横浜市", 住所="神奈川県横浜市中区港町1-1")])
    props = features(app)["E1420100001111"]["properties"]
    assert props["都道府県名及び市町村名"] == "神奈川県横浜市中区"


def test_an_address_without_prefecture_takes_it_from_the_code(db):
    facility = {"kyotsu_id": "E1420400001111", "municipality_code": "142042", "address": "鎌倉市御成町19-1"}
    assert gis.city_name(facility, {"MUNICIPALITY_CODE": "142042", "MUNICIPALITY_NAME": "鎌倉市"}) == "神奈川県鎌倉市"


def test_hidden_shelters_and_people_never_reach_the_layer(app, db):
    load(db, [gsi_row(1), gsi_row(2, **{"施設・場所名": "避難所X"})])
    hidden = shelters.get(db, "E1420400002111")
    shelters.set_hidden(db, hidden["id"], True, actor="hq")
    first = shelters.get(db, "E1420400001111")
    shelters.transition(db, first["id"], "open", actor="hq", role="hq")
    households.register(db, first["id"], {"address": "鎌倉市秘密町9-9", "phone": "090-1234-5678"},
                        [{"name": "見えない 人", "age": 40}], actor="staff", source="desk", status="checked_in")
    body = app.test_client().get("/public/status.geojson").get_data(as_text=True)
    for secret in ("避難所X", "E1420400002111", "見えない", "秘密町", "090-1234-5678"):
        assert secret not in body
    assert "E1420400001111" in body
    assert set(gis.facility_attributes(db)) == {"E1420400001111"}


def test_the_example_in_the_docs_has_every_mapped_property():
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "interop.md").read_text(encoding="utf-8")
    feature = json.loads(re.search(r"<!-- status\.geojson -->\n```json\n(.*?)\n```", text, re.S).group(1))
    assert set(gis.GSI_PROPERTIES) | set(gis.LIVE_PROPERTIES) <= set(feature["properties"])
    for name in (*gis.GSI_PROPERTIES, *gis.LIVE_PROPERTIES):
        assert f"`{name}`" in text, f"docs/interop.md does not map {name}"
