"""Capacity comes from usable floor area: floor(m² / m² per person) - blocked places, per zone."""
import pytest

from shelter_ops.domain import capacity

from conftest import insert_shelter

CONFIG = {"M2_PER_PERSON": 3.5, "LEVEL_THRESHOLDS": "0.3,0.6,0.8", "STALE_MINUTES": 60}


@pytest.mark.parametrize("m2, per_person, blocked, places", [
    (350.0, 3.5, 0, 100),
    (349.9, 3.5, 0, 99),
    (10.5, 3.5, 0, 3),  # 10.5 / 3.5 is 2.9999999999999996 in floating point
    (350.0, 2.0, 0, 175),
    (350.0, 4.0, 0, 87),
    (350.0, 3.5, 10, 90),
    (7.0, 3.5, 5, 0),  # never below zero
    (0.0, 3.5, 0, 0),
])
def test_zone_capacity_is_floor_of_area_over_area_per_person_minus_blocked(m2, per_person, blocked, places):
    zone = {"kind": "general", "usable_m2": m2, "blocked_places": blocked}
    assert capacity.zone_capacity(zone, per_person) == places


@pytest.mark.parametrize("kind", ["no_entry", "common"])
def test_no_entry_and_common_spaces_have_no_sleeping_places(kind):
    assert capacity.zone_capacity({"kind": kind, "usable_m2": 500.0, "blocked_places": 0}, 3.5) == 0


def test_care_and_infection_spaces_are_counted_apart_from_general_space(db):
    shelter = insert_shelter(db, state="open", zones=(
        ("体育館", "general", 350.0), ("福祉室", "care", 35.0), ("発熱", "fever", 14.0),
        ("濃厚", "close_contact", 14.0), ("授乳", "nursing", 7.0), ("ペット", "pets", 20.0),
        ("受付", "common", 100.0), ("理科室", "no_entry", 80.0)))
    zone_ids = {z["name"]: z["id"] for z in capacity.snapshot(db, CONFIG, shelter["id"])["zones"]}
    counts = {shelter["id"]: {"total": 45, "zones": {zone_ids["体育館"]: 30, zone_ids["福祉室"]: 8, None: 7}}}
    snap = capacity.snapshot(db, CONFIG, shelter["id"], counts=counts)
    assert snap["capacity"] == 100  # the general space only
    assert snap["occupancy"] == 37  # everyone but the 8 in the care space
    assert snap["present"] == 45
    assert snap["spaces"]["care"] == {"capacity": 10, "occupancy": 8}
    assert snap["spaces"]["fever"] == {"capacity": 4, "occupancy": 0}
    assert set(snap["spaces"]) == {"care", "fever", "close_contact", "nursing", "pets"}
    assert snap["level"] == "some"  # 37 / 100


def test_changing_m2_per_person_recomputes_every_shelter_at_once(db):
    a = insert_shelter(db, "E1420400001111", "第一小学校", state="open", zones=(("体育館", "general", 350.0),))
    b = insert_shelter(db, "E1420400002111", "第二小学校", state="open", zones=(("体育館", "general", 200.0),))
    before = {s["id"]: s["capacity"] for s in capacity.snapshots(db, CONFIG)}
    assert before == {a["id"]: 100, b["id"]: 57}
    capacity.set_m2_per_person(db, 2.0, actor="hq1")
    after = {s["id"]: (s["capacity"], s["m2_per_person"]) for s in capacity.snapshots(db, CONFIG)}
    assert after == {a["id"]: (175, 2.0), b["id"]: (100, 2.0)}


def test_the_default_m2_per_person_comes_from_the_settings(db):
    insert_shelter(db, state="open")
    assert capacity.snapshots(db, {**CONFIG, "M2_PER_PERSON": 4.0})[0]["capacity"] == 87


@pytest.mark.parametrize("bad", ["abc", "0", "-2", "nan", "100"])
def test_m2_per_person_must_be_a_sensible_number(db, bad):
    with pytest.raises(capacity.Invalid):
        capacity.set_m2_per_person(db, bad, actor="hq1")


def test_nearest_open_shelters_with_space_by_straight_line_distance(db):
    full = insert_shelter(db, "E1420400001111", "満杯", state="open", lat=35.3190, lon=139.5467)
    near = insert_shelter(db, "E1420400002111", "近い", state="open", lat=35.3250, lon=139.5500)
    far = insert_shelter(db, "E1420400003111", "遠い", state="open", lat=35.3600, lon=139.5800)
    insert_shelter(db, "E1420400004111", "閉じている", state="standby", lat=35.3195, lon=139.5470)
    also_full = insert_shelter(db, "E1420400005111", "満杯2", state="open", lat=35.3191, lon=139.5468)
    counts = {full["id"]: {"total": 90, "zones": {}}, also_full["id"]: {"total": 100, "zones": {}}}
    snaps = capacity.snapshots(db, CONFIG, counts=counts)
    alerts = capacity.alerts(snaps, CONFIG)
    assert [a["shelter"]["name"] for a in alerts] == ["満杯", "満杯2"]
    nearest = alerts[0]["nearest"]
    assert [s["name"] for s, _km in nearest] == ["近い", "遠い"]
    assert 0.6 < nearest[0][1] < 0.8  # km
    assert far["id"] != near["id"]


def test_distance_is_great_circle():
    from offline_print import geo

    # Kamakura station to Kamakura city hall (longitude first, as everywhere in geo)
    assert geo.distance_km((139.5503, 35.3190), (139.5467, 35.3192)) == pytest.approx(0.33, abs=0.02)
    # Tokyo station to Shin-Osaka station: about 403 km as the crow flies
    assert geo.distance_km((139.7671, 35.6812), (135.5003, 34.7334)) == pytest.approx(403, abs=3)
