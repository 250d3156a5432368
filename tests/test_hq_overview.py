"""HQ at a glance with a prefecture's shelters (#13): a map of every shelter, filters, a paged table."""
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.prefecture import clustered_shelters, load  # noqa: E402
from shelter_ops.domain import shelters  # noqa: E402


@pytest.fixture
def prefecture(db):
    rows = clustered_shelters(250, seed=7)
    load(db, rows, seed=7)
    return rows


def table_rows(page):
    return re.findall(r'<tr class="state-\w+[^"]*" data-shelter="', page)


def markers(page):
    return re.findall(r'<g class="marker [^"]*" data-kyotsu="', page.split('class="card hq-map"')[1])


def test_the_overview_maps_every_shelter_and_pages_the_table(prefecture, signed_in):
    hq = signed_in("hq")
    first = hq.get("/hq/").get_data(as_text=True)
    assert len(table_rows(first)) == 100 and len(markers(first)) == 250
    assert "1〜100" in first and 'rel="next"' in first
    last = hq.get("/hq/?page=3").get_data(as_text=True)
    assert len(table_rows(last)) == 50 and "201〜250" in last and 'rel="next"' not in last
    assert len(markers(last)) == 250  # the map is of everything the filters let through, not one page


def test_filters_by_municipality_state_and_level_combine(db, prefecture, signed_in):
    hq = signed_in("hq")
    kamakura = [r for r in prefecture if r["municipality"] == "鎌倉市"]
    code = kamakura[0]["municipality_code"]
    page = hq.get(f"/hq/?municipality={code}").get_data(as_text=True)
    assert len(table_rows(page)) == len(kamakura) == len(markers(page))
    assert "鎌倉市 (142042)" in page  # the choice names the municipality, not only its code
    states = dict(db.execute("select kyotsu_id, state from shelters").fetchall())
    open_here = [r for r in kamakura if states[r["kyotsu_id"]] == "open"]
    page = hq.get(f"/hq/?municipality={code}&state=open").get_data(as_text=True)
    assert len(table_rows(page)) == len(open_here)
    chips = re.findall(r'href="(/hq/\?[^"]*level=full[^"]*)"', page)
    assert chips and "municipality=" + code in chips[0] and "state=open" in chips[0]  # a chip keeps the rest
    full = hq.get(chips[0].replace("&amp;", "&")).get_data(as_text=True)
    assert all('data-state="open"' in row for row in re.findall(r"<tr class=[^>]*>", full.split("<tbody>")[1]))
    assert len(table_rows(full)) <= len(open_here)


def test_municipalities_are_named_from_the_addresses(db, prefecture):
    found = {m["code"]: m for m in shelters.municipalities(db)}
    assert found["141003"]["name"] == "横浜市" and found["142042"]["name"] == "鎌倉市"
    assert sum(m["count"] for m in found.values()) == 250
