"""Public pages and open-data feeds: counts and levels only, never a person, never a hidden shelter."""
import csv
import io
import re
from pathlib import Path

import pytest

from shelter_ops.domain import capacity, gis, households
from shelter_ops.web import public

from conftest import insert_shelter

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ["/public/status.json", "/public/status.csv", "/public/status.geojson"]
PAGES = ["/public/"]
SECRET_NAME = "鎌倉花子"


@pytest.fixture
def town(db):
    """An open shelter with a registered household and count-only heads, and a hidden one (DV refuge)."""
    a = insert_shelter(db, "E1420400001111", "第一小学校", state="open", opened_at=capacity.now())
    hidden = insert_shelter(db, "E1420400009111", "秘密の避難所", state="open", hidden=1, opened_at=capacity.now())
    for shelter in (a, hidden):
        households.register(db, shelter["id"], {"address": "鎌倉市御成町1-1", "phone": "0467-00-0000"},
                            [{"name": SECRET_NAME, "kana": "かまくらはなこ", "age": 34, "medication": "インスリン",
                              "non_disclosure": 1}],
                            actor="desk1", source="desk", status="checked_in")
    for _ in range(30):
        households.count_head(db, a["id"], "female", "adult", actor="desk1")
    return a, hidden


def json_records(client):
    return client.get("/public/status.json").get_json()["shelters"]


def test_the_json_feed_has_exactly_the_public_keys(app, town):
    records = json_records(app.test_client())
    assert [r["kyotsu_id"] for r in records] == ["E1420400001111"]
    for record in records:
        assert set(record) == {"kyotsu_id", "name", "name_en", "lat", "lon", "state", "occupancy", "capacity",
                               "level", "stale", "updated_at", "m2_per_person", "status", "label_ja", "label_en"}
    assert records[0]["occupancy"] == 31 and records[0]["capacity"] == 100
    assert records[0]["level"] == "some" and records[0]["label_ja"] == "やや混雑"
    assert records[0]["status"] == "開設"


def test_the_csv_feed_has_the_national_attribute_columns(app, town):
    text = app.test_client().get("/public/status.csv").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == ["共通ID", "施設名", "施設名_英字", "開設状況", "避難者数", "定員", "定員状況", "混雑度",
                             "確認中", "1人あたり面積_m2", "緯度", "経度", "updated_at"]
    assert [(r["共通ID"], r["開設状況"], r["避難者数"], r["定員"], r["定員状況"]) for r in rows] == \
        [("E1420400001111", "開設", "31", "100", "やや混雑")]


def test_the_geojson_feed_has_points_with_exactly_the_public_properties(app, town):
    data = app.test_client().get("/public/status.geojson").get_json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 1
    for feature in data["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert feature["geometry"] == {"type": "Point", "coordinates": [139.55, 35.31]}
        assert set(feature["properties"]) == (set(public.FEED_KEYS) - {"lat", "lon"}) | set(gis.GSI_PROPERTIES) | \
            set(gis.LIVE_PROPERTIES)


@pytest.mark.parametrize("url", FEEDS + PAGES + ["/public/shelters/E1420400001111/display"])
def test_no_personal_data_and_no_hidden_shelter_anywhere_public(app, town, url):
    body = app.test_client().get(url).get_data(as_text=True)
    for secret in (SECRET_NAME, "かまくらはなこ", "御成町1-1", "0467-00-0000", "インスリン",
                   "秘密の避難所", "E1420400009111", town[1]["id"]):
        assert secret not in body


def test_the_entrance_display_of_a_hidden_shelter_does_not_exist(app, town):
    assert app.test_client().get("/public/shelters/E1420400009111/display").status_code == 404


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_answer_304_when_unchanged_and_may_be_cached_briefly(app, town, db, url):
    client = app.test_client()
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    cache = first.headers["Cache-Control"]
    assert "public" in cache and re.search(r"max-age=(\d+)", cache) and int(re.search(r"max-age=(\d+)", cache)[1]) <= 60
    assert "Set-Cookie" not in first.headers and "Cookie" not in first.headers.get("Vary", "")  # a cache may share it
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    households.count_head(db, town[0]["id"], "male", "adult", actor="desk1")
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_a_stale_count_is_published_as_being_checked(app, db):
    insert_shelter(db, state="open", opened_at="2020-01-01T00:00:00+00:00")
    record = json_records(app.test_client())[0]
    assert record["stale"] is True and record["label_ja"] == "確認中"
    assert "確認中" in app.test_client().get("/public/").get_data(as_text=True)


def test_the_public_page_lists_by_name_or_nearest_first(app, db):
    insert_shelter(db, "E1420400001111", "あおば小学校", state="open", lat=35.36, lon=139.58)
    insert_shelter(db, "E1420400002111", "いずみ小学校", state="open", lat=35.32, lon=139.55)
    client = app.test_client()
    by_name = client.get("/public/").get_data(as_text=True)
    assert by_name.index("あおば小学校") < by_name.index("いずみ小学校")
    nearest = client.get("/public/?lat=35.319&lon=139.547").get_data(as_text=True)
    assert nearest.index("いずみ小学校") < nearest.index("あおば小学校")
    assert "<svg" in nearest and nearest.count('class="marker ') == 2


def test_the_public_page_refreshes_itself_without_javascript(app, db):
    insert_shelter(db, state="open")
    page = app.test_client().get("/public/").get_data(as_text=True)
    assert re.search(r'<meta http-equiv="refresh" content="\d+">', page)


def test_the_entrance_display_shows_level_count_and_basis(app, db):
    shelter = insert_shelter(db, state="open", opened_at=capacity.now())
    for _ in range(85):
        households.count_head(db, shelter["id"], "male", "adult", actor="desk1")
    page = app.test_client().get("/public/shelters/E1420400001111/display").get_data(as_text=True)
    assert "満" in page and ">85<" in page and ">100<" in page and "3.5" in page


def test_no_template_or_static_file_loads_anything_from_the_internet():
    remote = r"""\s*=\s*["']?\s*(?:https?:)?//"""
    external = re.compile(
        r"<(?:script|img|source|iframe|embed|video|audio|image|use|input)\b[^>]*\b(?:src|srcset|href|xlink:href)" + remote
        + r"|<link\b[^>]*\bhref" + remote
        + r"""|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:url\()?\s*["']?(?:https?:)?//"""
        + r"""|\bimport\s*(?:[^;]*\bfrom\s*)?\(?\s*["'](?:https?:)?//|importScripts\(\s*["'](?:https?:)?//""", re.I)
    for sample in ('<script src="https://cdn.example/a.js">', "<link rel=stylesheet href=//fonts.example/x>",
                   'b{background:url("http://x.example/y.png")}', '<img alt="" src="https://x.example/i.png">'):
        assert external.search(sample), sample  # the check itself works
    files = [p for p in (ROOT / "templates").rglob("*") if p.is_file()]
    files += [p for p in (ROOT / "shelter_ops" / "static").rglob("*")
              if p.is_file() and "vendor" not in p.relative_to(ROOT / "shelter_ops" / "static").parts]
    offenders = [str(p.relative_to(ROOT)) for p in files
                 if p.suffix in (".html", ".css", ".js", ".svg") and external.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"these load from outside the server: {offenders}"


def test_a_shelter_hq_hides_leaves_every_feed_at_once(app, db, signed_in):
    shelter = insert_shelter(db, state="open", opened_at=capacity.now())
    client = app.test_client()
    assert [r["kyotsu_id"] for r in json_records(client)] == ["E1420400001111"]
    hq = signed_in("hq")
    assert hq.post(f"/hq/shelters/{shelter['kyotsu_id']}/visibility", {"hidden": "1"}).status_code == 302
    for url in FEEDS + PAGES:
        assert "E1420400001111" not in client.get(url).get_data(as_text=True)
