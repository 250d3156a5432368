"""Congestion levels with half-open thresholds, a lead's override with expiry, and freshness."""
from datetime import datetime, timedelta, timezone

import pytest

from shelter_ops.domain import capacity

from conftest import insert_shelter

CONFIG = {"M2_PER_PERSON": 3.5, "LEVEL_THRESHOLDS": "0.3,0.6,0.8", "STALE_MINUTES": 60}
THRESHOLDS = (0.3, 0.6, 0.8)


@pytest.mark.parametrize("occupancy, level", [
    (0, "vacant"), (2999, "vacant"), (3000, "some"), (5999, "some"), (6000, "crowded"),
    (7999, "crowded"), (8000, "full"), (10000, "full"), (12000, "full"),
])
def test_levels_change_exactly_at_the_thresholds(occupancy, level):
    # out of 10,000 places: 2,999 is 29.99 % (still vacant), 3,000 is exactly 30 % (some)
    assert capacity.level_for(occupancy, 10000, THRESHOLDS) == level


def test_a_shelter_that_is_not_open_is_not_in_use():
    assert capacity.level_for(0, 100, THRESHOLDS, is_open=False) == "closed"


def test_thresholds_come_from_the_settings():
    assert capacity.level_for(50, 100, capacity.parse_thresholds("0.5,0.7,0.9")) == "some"
    with pytest.raises(ValueError):
        capacity.parse_thresholds("0.6,0.3,0.8")


@pytest.mark.parametrize("state", ["standby", "opening", "closing", "closed"])
def test_only_an_open_shelter_has_a_congestion_level(db, state):
    shelter = insert_shelter(db, state=state)
    snap = capacity.snapshot(db, CONFIG, shelter["id"])
    assert snap["level"] == "closed" and snap["stale"] is False


def test_a_lead_sets_full_early_with_a_reason(db):
    shelter = insert_shelter(db, state="open", opened_at=capacity.now())
    capacity.set_override(db, shelter["id"], "full", reason="体育館の一部が浸水", minutes=30, actor="lead1")
    snap = capacity.snapshot(db, CONFIG, shelter["id"])
    assert snap["level"] == "full"
    assert snap["override"]["reason"] == "体育館の一部が浸水"


def test_an_expired_override_no_longer_applies(db):
    shelter = insert_shelter(db, state="open", opened_at=capacity.now())
    capacity.set_override(db, shelter["id"], "full", reason="点検", minutes=30, actor="lead1")
    later = datetime.now(timezone.utc) + timedelta(minutes=31)
    snap = capacity.snapshot(db, CONFIG, shelter["id"], at=later)
    assert snap["level"] == "vacant" and snap["override"] is None


def test_an_override_needs_a_reason_and_a_known_level(db):
    shelter = insert_shelter(db, state="open")
    with pytest.raises(capacity.Invalid):
        capacity.set_override(db, shelter["id"], "full", reason=" ", minutes=30, actor="lead1")
    with pytest.raises(capacity.Invalid):
        capacity.set_override(db, shelter["id"], "closed", reason="x", minutes=30, actor="lead1")


def test_a_count_not_confirmed_for_a_while_is_stale_until_someone_confirms(db):
    opened = (datetime.now(timezone.utc) - timedelta(minutes=61)).replace(microsecond=0).isoformat()
    shelter = insert_shelter(db, state="open", opened_at=opened)
    snap = capacity.snapshot(db, CONFIG, shelter["id"])
    assert snap["stale"] is True and snap["updated_at"] == opened
    stamp = capacity.confirm(db, shelter["id"], actor="staff1")
    snap = capacity.snapshot(db, CONFIG, shelter["id"])
    assert snap["stale"] is False and snap["updated_at"] == stamp


def test_a_count_is_fresh_until_the_stale_time_has_passed(db):
    opened = (datetime.now(timezone.utc) - timedelta(minutes=59)).replace(microsecond=0).isoformat()
    shelter = insert_shelter(db, state="open", opened_at=opened)
    assert capacity.snapshot(db, CONFIG, shelter["id"])["stale"] is False
    assert capacity.snapshot(db, {**CONFIG, "STALE_MINUTES": 30}, shelter["id"])["stale"] is True


def test_an_open_shelter_without_floor_area_is_shown_as_being_checked(db):
    shelter = insert_shelter(db, state="open", opened_at=capacity.now(), zones=())
    snap = capacity.snapshot(db, CONFIG, shelter["id"])
    assert snap["capacity"] == 0 and snap["stale"] is True


def test_staff_confirm_the_count_with_one_tap_on_the_dashboard(app, db, signed_in):
    opened = (datetime.now(timezone.utc) - timedelta(minutes=90)).replace(microsecond=0).isoformat()
    shelter = insert_shelter(db, state="open", opened_at=opened)
    staff = signed_in("staff", shelter)
    page = staff.get("/shelters/E1420400001111/occupancy").get_data(as_text=True)
    assert "確認中" in page
    response = staff.post("/shelters/E1420400001111/occupancy/confirm", follow_redirects=True)
    assert response.status_code == 200
    assert "確認中" not in response.get_data(as_text=True).split("<main>")[1].split("Set the level")[0]
    assert capacity.snapshot(db, CONFIG, shelter["id"])["stale"] is False


def test_a_lead_overrides_the_level_on_the_dashboard_and_staff_cannot(app, db, signed_in):
    shelter = insert_shelter(db, state="open", opened_at=capacity.now())
    staff = signed_in("staff", shelter)
    form = {"level": "full", "reason": "トイレ故障のため受け入れ制限", "minutes": "60"}
    assert staff.post("/shelters/E1420400001111/occupancy/override", form).status_code == 403
    lead = signed_in("lead", shelter)
    page = lead.post("/shelters/E1420400001111/occupancy/override", form, follow_redirects=True)
    assert "トイレ故障のため受け入れ制限" in page.get_data(as_text=True)
    assert capacity.snapshot(db, CONFIG, shelter["id"])["level"] == "full"
    lead.post("/shelters/E1420400001111/occupancy/override", {"clear": "1"})
    assert capacity.snapshot(db, CONFIG, shelter["id"])["level"] == "vacant"


def test_hq_changes_the_area_per_person_and_every_shelter_follows(app, db, signed_in):
    first = insert_shelter(db, "E1420400001111", "第一小学校", state="open")
    insert_shelter(db, "E1420400002111", "第二小学校", state="open", zones=(("体育館", "general", 200.0),))
    hq = signed_in("hq")
    assert hq.post("/hq/capacity", {"m2": "4.0"}).status_code == 302
    assert [s["capacity"] for s in capacity.snapshots(db, CONFIG)] == [87, 50]
    hq.post("/hq/capacity", {"m2": "custom", "custom": "2.5"})
    assert [s["capacity"] for s in capacity.snapshots(db, CONFIG)] == [140, 80]
    assert "2.5" in hq.get("/hq/capacity").get_data(as_text=True)
    assert hq.post("/hq/capacity", {"m2": "custom", "custom": "abc"}).status_code == 400
    assert signed_in("lead", first).get("/hq/capacity").status_code == 403


def test_hq_sees_alerts_with_the_nearest_shelters_with_space(app, db, signed_in):
    from shelter_ops.domain import households

    full = insert_shelter(db, "E1420400001111", "満杯小学校", state="open", opened_at=capacity.now())
    insert_shelter(db, "E1420400002111", "近い中学校", state="open", lat=35.315, lon=139.55)
    for _ in range(80):
        households.count_head(db, full["id"], "male", "adult", actor="desk1")
    page = signed_in("hq").get("/hq/").get_data(as_text=True)
    alerts = page.split('id="alerts"')[1].split("</ul>")[0]
    assert "満杯小学校" in alerts and "近い中学校" in alerts and "80 / 100" in alerts
    filtered = signed_in("hq").get("/hq/?level=full").get_data(as_text=True).split("<tbody>")[1]
    assert "満杯小学校" in filtered and "近い中学校" not in filtered


def test_a_zone_on_the_dashboard_has_its_level_by_the_city_s_thresholds(app, db, signed_in):
    """The zone bars used fixed 30/60/80 % while the shelter used LEVEL_THRESHOLDS: with a city's
    0.5,0.7,0.9 a zone at 55 % is 'somewhat crowded' (やや混雑), not 'crowded'."""
    from shelter_ops.domain import households

    shelter = insert_shelter(db, state="open", zones=(("体育館", "general", 35.0),))  # 10 places at 3.5 m²
    for _ in range(6):
        households.count_head(db, shelter["id"], "female", "adult", actor="desk")
    app.config["LEVEL_THRESHOLDS"] = "0.5,0.7,0.9"
    (zone,) = capacity.snapshot(db, app.config, shelter["id"])["zones"]
    assert zone["occupancy"] == 6 and zone["level"] == "some"
    page = signed_in("lead", shelter).get(f"/shelters/{shelter['kyotsu_id']}/occupancy").get_data(as_text=True)
    assert 'class="level-badge level-some" data-field="zone-level"' in page
