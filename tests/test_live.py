"""Live updates: every screen in the right room gets the new figures, coalesced, and nobody else does."""
import time

import pytest

from shelter_ops import live
from shelter_ops.domain import capacity

from conftest import insert_shelter

WAIT_SECONDS = 5


def received(client, name="occupancy"):
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def wait_for(client, predicate, name="occupancy"):
    """Messages `name` received until one matches; bounded."""
    seen = []
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        seen += received(client, name)
        if any(predicate(m) for m in seen):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"no matching {name!r} message within {WAIT_SECONDS}s; got {seen}")


@pytest.fixture
def open_a(db):
    return insert_shelter(db, "E1420400001111", "第一小学校", state="open", opened_at=capacity.now())


@pytest.fixture
def open_b(db):
    return insert_shelter(db, "E1420400002111", "第二小学校", state="open", opened_at=capacity.now())


def socket_for(app, session, room):
    client = live.socketio.test_client(app, flask_test_client=session.client if session else None,
                                       auth={"rooms": [room]})
    assert client.is_connected()
    return client


def add_zone(session, shelter, m2):
    response = session.post(f"/shelters/{shelter['kyotsu_id']}/zones",
                            {"name": "多目的室", "kind": "general", "usable_m2": str(m2)})
    assert response.status_code == 302


def test_joining_gives_a_fresh_snapshot_at_once(app, open_a, signed_in):
    staff = socket_for(app, signed_in("staff", open_a), f"shelter:{open_a['kyotsu_id']}")
    first = received(staff)
    assert first and first[0]["kyotsu_id"] == open_a["kyotsu_id"] and first[0]["capacity"] == 100
    assert {"kyotsu_id", "occupancy", "capacity", "level", "stale", "updated_at", "m2_per_person"} <= set(first[0])
    assert first[0]["zones"][0]["name"] == "体育館"  # staff see their zones


def test_a_change_reaches_the_shelter_room_hq_and_public_but_not_other_shelters_staff(
        app, open_a, open_b, signed_in):
    lead = signed_in("lead", open_a)
    in_shelter = socket_for(app, signed_in("staff", open_a), f"shelter:{open_a['kyotsu_id']}")
    hq = socket_for(app, signed_in("hq"), "hq")
    public = socket_for(app, None, "public")
    other = socket_for(app, signed_in("staff", open_b), f"shelter:{open_b['kyotsu_id']}")
    for client in (in_shelter, hq, public, other):
        client.get_received()

    add_zone(lead, open_a, 35.0)  # ten more places

    def grown(m):
        return m["kyotsu_id"] == open_a["kyotsu_id"] and m["capacity"] == 110

    assert any(m.get("zones") for m in wait_for(in_shelter, grown))
    hq_messages = wait_for(hq, grown)
    assert "alert" in hq_messages[-1]
    public_messages = wait_for(public, grown)
    assert all(set(m) == set(capacity.PUBLIC_KEYS) for m in public_messages)
    assert not [m for m in received(other) if m["kyotsu_id"] == open_a["kyotsu_id"]]


def test_a_check_in_at_the_desk_reaches_the_shelter_room_hq_and_public(app, open_a, signed_in, api):
    in_shelter = socket_for(app, signed_in("staff", open_a), f"shelter:{open_a['kyotsu_id']}")
    hq = socket_for(app, signed_in("hq"), "hq")
    public = socket_for(app, None, "public")
    for client in (in_shelter, hq, public):
        client.get_received()
    response = api("staff", open_a).post(f"/api/v1/shelters/{open_a['kyotsu_id']}/checkins", json={
        "household": {"staying": "shelter"}, "persons": [{"name": "鎌倉太郎", "age": 40}, {"name": "鎌倉花子"}]})
    assert response.status_code == 201

    def arrived(m):
        return m["kyotsu_id"] == open_a["kyotsu_id"] and m["occupancy"] == 2

    staff_view = wait_for(in_shelter, arrived)[-1]
    assert staff_view["present"] == 2 and staff_view["unplaced"] == 2
    assert wait_for(hq, arrived)[-1]["present"] == 2
    public_view = wait_for(public, arrived)[-1]
    assert set(public_view) == set(capacity.PUBLIC_KEYS) and "鎌倉太郎" not in repr(public_view)


def test_staff_cannot_join_another_shelters_room(app, open_a, open_b, signed_in):
    client = socket_for(app, signed_in("staff", open_b), f"shelter:{open_a['kyotsu_id']}")
    assert received(client, "refused")
    assert not received(client)


@pytest.mark.parametrize("role", [None, "staff", "lead"])
def test_only_hq_joins_the_hq_room(app, open_a, signed_in, role):
    client = socket_for(app, signed_in(role, open_a) if role else None, "hq")
    assert received(client, "refused")
    assert not received(client, "snapshot")


def test_the_public_room_never_hears_of_a_hidden_shelter(app, db, open_a, signed_in):
    hidden = insert_shelter(db, "E1420400009111", "非公開の避難所", state="open", hidden=1)
    public = socket_for(app, None, "public")
    snapshot = received(public, "snapshot")[0]
    assert [s["kyotsu_id"] for s in snapshot["shelters"]] == [open_a["kyotsu_id"]]
    add_zone(signed_in("lead", hidden), hidden, 35.0)
    add_zone(signed_in("lead", open_a), open_a, 35.0)
    messages = wait_for(public, lambda m: m["kyotsu_id"] == open_a["kyotsu_id"])
    assert hidden["kyotsu_id"] not in [m["kyotsu_id"] for m in messages + received(public)]


def test_a_shelter_hq_hides_is_withdrawn_from_public_screens_and_then_never_mentioned(app, open_a, signed_in):
    public = socket_for(app, None, "public")
    public.get_received()
    hq = signed_in("hq")
    assert hq.post(f"/hq/shelters/{open_a['kyotsu_id']}/visibility", {"hidden": "1"}).status_code == 302
    assert wait_for(public, lambda m: m["kyotsu_id"] == open_a["kyotsu_id"], name="withdrawn")
    staff = socket_for(app, signed_in("staff", open_a), f"shelter:{open_a['kyotsu_id']}")
    staff.get_received()
    add_zone(signed_in("lead", open_a), open_a, 35.0)
    wait_for(staff, lambda m: m["capacity"] == 110)  # sent in the same flush as any public message
    assert not [m for m in public.get_received() if m["name"] in ("occupancy", "withdrawn")]


def test_a_burst_of_changes_arrives_as_a_few_updates_with_the_latest_state(app, db, open_a, signed_in):
    client = socket_for(app, signed_in("staff", open_a), f"shelter:{open_a['kyotsu_id']}")
    client.get_received()
    with app.test_request_context():
        for n in range(200):
            if n == 199:
                capacity.set_m2_per_person(db, 2.0, actor="hq1")
            live.changed([open_a["id"]])
    messages = wait_for(client, lambda m: m["capacity"] == 175)
    assert len(messages) <= 3
    assert messages[-1]["m2_per_person"] == 2.0


def test_a_client_that_reconnects_gets_the_current_figures(app, db, open_a, signed_in):
    session = signed_in("staff", open_a)
    client = socket_for(app, session, f"shelter:{open_a['kyotsu_id']}")
    client.disconnect()
    capacity.set_m2_per_person(db, 4.0, actor="hq1")
    client.connect(auth={"rooms": [f"shelter:{open_a['kyotsu_id']}"]})
    assert received(client)[-1]["capacity"] == 87


# --- in a real browser (headless Chromium): the page's script applies the updates ---

def check_in_people(app, db, shelter, n):
    from shelter_ops.domain import households

    for _ in range(n):
        households.count_head(db, shelter["id"], "female", "adult", actor="desk1")
    with app.test_request_context():
        live.changed([shelter["id"]])


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/public/", "/public/shelters/E1420400001111/display"])
def test_the_public_pages_update_live_in_a_browser(app, db, open_a, live_server, browser_page, path):
    browser_page.goto(live_server + path)
    row = f'[data-kyotsu="{open_a["kyotsu_id"]}"]'
    assert browser_page.text_content(f"{row} [data-field=label]").strip() == "空いています"
    browser_page.wait_for_function("() => window.io && document.querySelector('[data-live-room]')")
    check_in_people(app, db, open_a, 85)
    browser_page.wait_for_function(
        f"""() => document.querySelector('{row} [data-field=occupancy]').textContent.trim() === '85'""")
    assert browser_page.text_content(f"{row} [data-field=label]").strip() == "満"
    classes = browser_page.get_attribute(f"{row} [data-field=label]", "class").split()
    assert "level-badge" in classes and "level-full" in classes  # the colour goes with the words


@pytest.mark.browser
def test_hq_sees_the_alert_appear_live_in_a_browser(app, db, open_a, open_b, live_server, browser_page):
    from shelter_ops.domain import accounts

    from conftest import PASSWORD

    accounts.add_user(db, "hq-browser", PASSWORD, "hq")
    browser_page.goto(live_server + "/login")
    browser_page.fill("input[name=name]", "hq-browser")
    browser_page.fill("input[name=password]", PASSWORD)
    browser_page.click("form button")
    browser_page.wait_for_url("**/hq/")
    assert browser_page.is_visible("#alerts-none")
    check_in_people(app, db, open_a, 80)
    browser_page.wait_for_function("() => document.querySelectorAll('#alerts li').length === 1")
    alert = browser_page.text_content("#alerts li")
    assert "第一小学校" in alert and "第二小学校" in alert and "80 / 100" in alert
    assert not browser_page.is_visible("#alerts-none")


@pytest.mark.browser
def test_a_public_page_in_vietnamese_stays_vietnamese_when_an_update_comes(app, db, open_a, live_server,
                                                                          browser_page):
    """live.js wrote its words in Japanese (or English): a Vietnamese reader's page turned Japanese at the
    first live update. The page now carries its own words for live.js, from the reader's catalog."""
    from shelter_ops import languages

    browser_page.goto(live_server + "/public/")
    browser_page.click('.language-switch a[data-lang="vi"]')
    browser_page.wait_for_selector('.language-switch a[data-lang="vi"][aria-current]')
    row = f'[data-kyotsu="{open_a["kyotsu_id"]}"]'
    browser_page.wait_for_function("() => window.io && document.querySelector('[data-live-room]')")
    check_in_people(app, db, open_a, 85)
    browser_page.wait_for_function(
        f"""() => document.querySelector('{row} [data-field=occupancy]').textContent.trim() === '85'""")
    full = " ".join(languages.plain(languages.text("vi", "Full")).split())
    assert browser_page.text_content(f"{row} [data-field=label]").strip() == full != "満"
    updated = browser_page.text_content(f"{row} [data-field=updated]").strip()
    assert updated and not any("\u3040" <= ch <= "\u30ff" for ch in updated)  # no kana: not Japanese
