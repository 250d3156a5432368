"""A shelter node works cut off from HQ and merges later: nothing lost, nothing doubled (SYNC.md §5).
HQ and the node are two apps on two databases in this process; the node's HTTP goes to HQ's test client."""
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shelter_ops import create_app, sync, sync_client
from shelter_ops.db import connect
from shelter_ops.domain import duplicates, households, nodes, shelters
from shelter_ops.domain.errors import DomainError

from conftest import insert_shelter

HQ_URL = "http://hq.test"


@pytest.fixture
def hq(tmp_path):
    app = create_app({"DB": str(tmp_path / "hq.sqlite"), "SECRET_KEY": "x" * 40, "DEMO": False, "TESTING": True,
                      "PREREG_KEY": ""})
    db = connect(app.config["DB"])
    yield app, db
    db.close()


@pytest.fixture
def node(tmp_path):
    app = create_app({"DB": str(tmp_path / "node.sqlite"), "SECRET_KEY": "y" * 40, "DEMO": False, "TESTING": True})
    db = connect(app.config["DB"])
    yield app, db
    db.close()


class Link:
    """The node's link to HQ: up or cut, with every request counted."""

    def __init__(self, app):
        self.client, self.up, self.calls = app.test_client(), True, 0

    def __call__(self, url, body, headers):
        if not self.up:
            raise sync_client.Unreachable("no route to HQ")
        self.calls += 1
        response = self.client.post(urlsplit(url).path, data=body, headers=headers)
        return response.status_code, dict(response.headers), response.get_data()


@pytest.fixture
def paired(hq, node):
    hq_app, hq_db = hq
    node_app, node_db = node
    a = shelters.transition(hq_db, insert_shelter(hq_db, "E1420400001111", "御成小学校")["id"], "open",
                            actor="system")
    b = shelters.transition(hq_db, insert_shelter(hq_db, "E1420400002111", "第二小学校")["id"], "open",
                            actor="system")
    code = nodes.issue_code(hq_db, [a["kyotsu_id"]], actor="system")
    link = Link(hq_app)
    sync_client.pair(node_db, HQ_URL, code, name="御成小 laptop", post=link)
    assert sync_client.sync_now(node_db, post=link)["ok"]
    return hq_db, node_db, link, a, b


def _present(db, shelter_id):
    return households.present_counts(db).get(shelter_id, {}).get("total", 0)


def _family(i, name="鎌倉"):
    return ({"staying": "shelter", "phone": f"0467-00-{i:04d}"},
            [{"name": f"{name} {i}郎", "birth_date": "1970-01-01", "sex": "male"}, {"name": f"{name} {i}子"}])


def test_pairing_gives_the_node_its_shelter_and_nothing_of_the_others(paired):
    hq_db, node_db, _link, a, b = paired
    number = households.register(node_db, a["id"], {"staying": "shelter"}, [{"name": "腰越 一"}], actor="desk",
                                 source="desk")["reception_number"]
    assert number.startswith(nodes.overview(hq_db)[0]["prefix"])  # never one HQ or another node issues
    assert nodes.state(node_db)["shelter_ids"] == [a["id"]]
    assert shelters.get(node_db, a["kyotsu_id"])["state"] == "open"  # the registry came with the pull
    assert shelters.get(node_db, b["kyotsu_id"])["state"] == "open"  # every shelter's public facts too
    households.register(hq_db, b["id"], {"staying": "shelter", "phone": "0467-99-9999"}, [{"name": "第二 太郎"}],
                        actor="desk", source="desk", status="checked_in")
    assert sync_client.sync_now(node_db, post=paired[2])["ok"]
    raw = b"".join(p.read_bytes() for p in Path(node_db.execute("pragma database_list").fetchone()[2]).parent.glob("node.sqlite*"))
    assert "第二 太郎".encode() not in raw and b"0467-99-9999" not in raw  # never another shelter's people
    assert node_db.execute("select id from node").fetchone()[0] == nodes.overview(hq_db)[0]["id"]


def test_a_day_cut_off_reaches_hq_exactly_once_however_often_it_is_sent(paired):
    hq_db, node_db, link, a, _b = paired
    link.up = False
    made = [households.register(node_db, a["id"], *_family(i), actor="desk", source="desk", status="checked_in")
            for i in range(30)]
    for household in made[:5]:
        households.check_out(node_db, a["id"], household["id"], actor="desk")
    assert sync_client.sync_now(node_db, post=link)["ok"] is False  # cut: everything stays on the node
    assert _present(node_db, a["id"]) == 50 and _present(hq_db, a["id"]) == 0
    link.up = True
    result = sync_client.sync_now(node_db, post=link)
    assert result["ok"] and result["sent"] > 0 and "送り" in result["ja"]
    assert _present(hq_db, a["id"]) == _present(node_db, a["id"]) == 50
    # the same batch again (the answer was lost on the way): nothing more
    state = nodes.state(node_db)
    rows = sync.own_events(node_db, after_seq=0, limit=10_000)
    blob = sync.seal_bundle(bytes(state["sync_key"]), {"sender": rows[0]["origin"]}, rows, sync.keys_for(node_db, rows))
    answer = link(f"{HQ_URL}/sync/v1/push", blob, {"Authorization": f"Bearer {state['credential']}"})
    assert answer[0] == 200 and json.loads(answer[2])["applied"] == 0
    assert _present(hq_db, a["id"]) == 50
    names = {p["name"] for h in households.roster(hq_db, a["id"], include_hidden=True) for p in h["persons"]}
    assert "鎌倉 7郎" in names  # the persons' facts came, unsealed with their keys


def test_a_file_imported_twice_or_out_of_order_changes_nothing_more(paired, tmp_path):
    hq_db, node_db, link, a, _b = paired
    for i in range(10):
        households.register(node_db, a["id"], *_family(i), actor="desk", source="desk", status="checked_in")
    first, _ = sync_client.export_file(node_db)
    for i in range(10, 15):
        households.register(node_db, a["id"], *_family(i), actor="desk", source="desk", status="checked_in")
    second, _ = sync_client.export_file(node_db)  # no answer came between: it starts where the first did
    for blob in (second, first, second):
        sync.import_file(hq_db, blob)
    assert _present(hq_db, a["id"]) == _present(node_db, a["id"]) == 30


def test_a_tampered_file_is_refused_whole_with_a_clear_message(paired):
    hq_db, node_db, _link, a, _b = paired
    households.register(node_db, a["id"], *_family(1), actor="desk", source="desk", status="checked_in")
    blob, _ = sync_client.export_file(node_db)
    altered = blob[:-40] + bytes(b ^ 1 for b in blob[-40:])
    with pytest.raises(DomainError) as refused:
        sync.import_file(hq_db, altered)
    assert "壊れている" in refused.value.ja and "damaged" in refused.value.en
    assert _present(hq_db, a["id"]) == 0


def test_a_node_may_write_only_its_own_shelters_as_its_own_origin(paired):
    hq_db, node_db, link, a, b = paired
    state = nodes.state(node_db)
    # a forged batch: the node's credential, an event about shelter B
    households.register(node_db, a["id"], *_family(1), actor="desk", source="desk", status="checked_in")
    rows = sync.own_events(node_db, after_seq=0)
    forged = [dict(r, shelter_id=b["id"]) for r in rows]
    blob = sync.seal_bundle(bytes(state["sync_key"]), {"sender": rows[0]["origin"]}, forged, [])
    status, _h, body = link(f"{HQ_URL}/sync/v1/push", blob, {"Authorization": f"Bearer {state['credential']}"})
    assert status == 403 and "担当でない" in json.loads(body)["error"]["message_ja"]
    foreign = [dict(r, origin="someone-else") for r in rows]
    blob = sync.seal_bundle(bytes(state["sync_key"]), {"sender": rows[0]["origin"]}, foreign, [])
    status, _h, body = link(f"{HQ_URL}/sync/v1/push", blob, {"Authorization": f"Bearer {state['credential']}"})
    assert status == 403 and json.loads(body)["error"]["code"] == "ForeignOrigin"
    assert _present(hq_db, b["id"]) == 0


def test_a_revoked_node_is_stopped_at_its_next_contact(paired):
    hq_db, node_db, link, a, _b = paired
    nodes.revoke(hq_db, nodes.overview(hq_db)[0]["id"], actor="system")
    households.register(node_db, a["id"], *_family(1), actor="desk", source="desk", status="checked_in")
    result = sync_client.sync_now(node_db, post=link)
    assert result["ok"] is False and "取り消されています" in result["ja"]
    assert _present(hq_db, a["id"]) == 0


def test_hq_decisions_reach_the_node_and_hq_sees_when_the_node_last_spoke(paired):
    hq_db, node_db, link, a, _b = paired
    shelters.set_hidden(hq_db, a["id"], True, actor="system")
    households.register(node_db, a["id"], *_family(1), actor="desk", source="desk", status="checked_in")
    assert sync_client.sync_now(node_db, post=link)["ok"]
    assert shelters.get(node_db, a["id"])["hidden"] == 1
    (seen,) = nodes.overview(hq_db)
    assert seen["last_contact"] and seen["owed"] == 0 and seen["held_seq"] > 0


def test_the_same_person_registered_at_two_shelters_goes_to_the_duplicates_list(paired):
    hq_db, node_db, link, a, b = paired
    households.register(hq_db, b["id"], {"staying": "shelter"}, [{"name": "材木座 花子", "birth_date": "1950-03-03"}],
                        actor="desk", source="desk", status="checked_in")
    households.register(node_db, a["id"], {"staying": "shelter"}, [{"name": "材木座　花子", "birth_date": "1950-03-03"}],
                        actor="desk", source="desk", status="checked_in")
    households.register(node_db, a["id"], *_family(3), actor="desk", source="desk", status="checked_in")
    assert sync_client.sync_now(node_db, post=link)["ok"]
    (pair,) = duplicates.listing(hq_db)
    assert {pair["shelter_a"], pair["shelter_b"]} == {"御成小学校", "第二小学校"}
    duplicates.decide(hq_db, pair["id"], "linked", actor="system")
    assert duplicates.listing(hq_db) == []


def test_a_shelter_whose_node_is_silent_past_the_freshness_limit_shows_as_unconfirmed(paired, time_machine):
    from shelter_ops.domain import capacity

    hq_db, node_db, link, a, b = paired
    config = {"M2_PER_PERSON": 3.5, "LEVEL_THRESHOLDS": "0.3,0.6,0.8", "STALE_MINUTES": 60}
    assert sync_client.sync_now(node_db, post=link)["ok"]
    fresh = {s["id"]: s["stale"] for s in capacity.snapshots(hq_db, config)}
    time_machine.move_to(capacity.clock.utcnow() + __import__("datetime").timedelta(minutes=90))
    later = {s["id"]: s["stale"] for s in capacity.snapshots(hq_db, config)}
    assert later[a["id"]] is True
    assert a["id"] in nodes.silent_shelters(hq_db, 60) and b["id"] not in nodes.silent_shelters(hq_db, 60)
    assert fresh[a["id"]] is False  # the node spoke just now


def test_the_hq_screen_lists_nodes_and_the_node_screen_syncs_at_a_tap(paired, hq, node, signed_in):
    hq_db, node_db, link, a, _b = paired
    from conftest import Session, PASSWORD
    from shelter_ops.domain import accounts

    hq_app, _ = hq
    accounts.add_user(hq_db, "hqboss", PASSWORD, "hq")
    page = Session(hq_app, "hqboss").login().get("/hq/nodes")
    assert page.status_code == 200 and "御成小 laptop" in page.get_data(as_text=True)
    node_app, _ = node
    accounts.add_user(node_db, "desk1", PASSWORD, "staff", shelter_id=a["id"])
    desk = Session(node_app, "desk1").login()
    shown = desk.get("/node/")
    assert "今すぐ同期する" in shown.get_data(as_text=True)
    exported = desk.get("/node/export")
    assert exported.status_code == 200 and exported.data.startswith(b"shelter-ops-sync/1 ")


def test_a_step_no_longer_legal_when_it_arrives_is_kept_and_listed_not_applied(paired):
    """HQ accepts and sends a supply request while the cut-off shelter cancels it: each side's steps reach
    the other late. At HQ a sent request cannot be cancelled; at the node a cancelled one cannot be
    accepted or sent: each late step is kept in the log, listed as a conflict with its reason, not
    applied; and the rest of the same batch (a registration) is applied all the same."""
    from shelter_ops.domain import supplies

    hq_db, node_db, link, a, _b = paired
    request = supplies.create_request(node_db, a["id"], item="水", quantity=24, unit="本", actor="desk")
    assert sync_client.sync_now(node_db, post=link)["ok"]
    link.up = False
    supplies.advance_request(hq_db, request["id"], "accepted", actor="system")
    supplies.advance_request(hq_db, request["id"], "sent", actor="system")
    supplies.advance_request(node_db, request["id"], "cancelled", actor="system", reason="もう届いた")
    households.register(node_db, a["id"], *_family(7), actor="desk", source="desk", status="checked_in")
    link.up = True
    assert sync_client.sync_now(node_db, post=link)["ok"]
    assert sync_client.sync_now(node_db, post=link)["ok"]
    hq_conflicts = [c["kind"] for c in sync.conflicts(hq_db)]
    node_conflicts = [c["kind"] for c in sync.conflicts(node_db)]
    assert hq_conflicts == ["supply_request.cancelled"]  # sent cannot become cancelled: refused, not applied
    assert sorted(node_conflicts) == ["supply_request.accepted", "supply_request.sent"]
    assert supplies.get_request(hq_db, request["id"])["status"] == "sent"  # each side's own step stands, and
    assert supplies.get_request(node_db, request["id"])["status"] == "cancelled"  # both list why: a person decides
    assert _present(hq_db, a["id"]) == 2  # the rest of the node's batch was applied
    (conflict,) = sync.conflicts(hq_db)
    assert "できません" in conflict["reason_ja"] and "cannot" in conflict["reason_en"]


def test_the_sync_button_shows_a_large_backlog_going_up_as_a_bar_and_then_says_what_was_sent(
        paired, hq, node, monkeypatch):
    """A node cut off for days has a backlog: the button starts the sync and, while it goes on, the page
    shows how far it has got (words and a bar) and reloads itself; at the end it says what was sent."""
    import threading

    from conftest import PASSWORD, Session
    from shelter_ops.domain import accounts
    from shelter_ops.web import nodes as node_screens

    hq_db, node_db, link, a, _b = paired
    node_app, _ = node
    from shelter_ops.db import write

    with write(node_db):
        for i in range(sync.BATCH * 2 + 10):  # three batches to send
            households.count_head(node_db, a["id"], "female", "adult", actor="desk")
    gate, pushes = threading.Event(), []

    def slow_link(url, body, headers):
        if url.endswith("/push"):
            pushes.append(url)
            if len(pushes) > 1:
                gate.wait(10)  # HQ is slow to answer the second batch
        return link(url, body, headers)

    monkeypatch.setattr(sync_client, "http_post", slow_link)
    monkeypatch.setattr(node_screens, "SYNC_WAIT_SECONDS", 0.5)
    accounts.add_user(node_db, "desk1", PASSWORD, "staff", shelter_id=a["id"])
    desk = Session(node_app, "desk1").login()
    backlog = sync_client.owed(node_db)  # the head counts, and the account just made
    tapped = desk.post("/node/sync", page=desk.get("/node/"))
    assert tapped.status_code == 302
    shown = desk.get("/node/").get_data(as_text=True)
    assert "本部へ送っています" in shown and f"{sync.BATCH:,} / {backlog:,} 件" in shown
    assert '<progress max="' in shown and 'http-equiv="refresh"' in shown
    gate.set()
    sync_client.progress_of(node_app.config["DB"]).finished.wait(10)
    done = desk.get("/node/").get_data(as_text=True)
    assert f"本部へ{backlog}件送り" in done and "<progress" not in done
    assert _present(hq_db, a["id"]) == sync.BATCH * 2 + 10
