"""IC cards at the desk (#15 part 4): a card links to one person, a tap checks them in or out or counts a
pickup, only a keyed hash of the card's id is ever stored, and the purge takes the links away."""
import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest

from shelter_ops import eventlog, sync_client
from shelter_ops.db import connect, migrate
from shelter_ops.domain import clock, households, iccards, nodes, privacy
from shelter_ops.domain.errors import Conflict, Forbidden, Invalid, NotFound

from checkin_helpers import open_shelter
from conftest import insert_shelter
from test_node_sync import HQ_URL, Link, hq, node  # noqa: F401 - fixtures: two apps, HQ and a node

SUICA = "01:2e:4c:81:9a:3b:5d:07"  # a transport IC card's IDm as some readers print it
SUICA_ID = "012E4C819A3B5D07"
STAFF_CARD = "04 A2 2B 3C 9D 51 80"  # a MIFARE staff card's 7-byte UID
BLANK = "8F3A91C2"  # the city's blank card (4-byte UID)


@pytest.fixture
def here(db, shelter_a):
    open_shelter(db, shelter_a)
    return shelter_a


def _family(db, shelter, *names, status="checked_in", language=None):
    people = [{"name": name, **({"language": language} if language else {})} for name in names]
    return households.register(db, shelter["id"], {}, people, actor="desk", source="desk" if status == "checked_in"
                               else "door", status=status)


def _tap(db, shelter, card, mode="inout", **kwargs):
    return iccards.tap(db, shelter["id"], card, actor="desk", mode=mode, repeat_seconds=kwargs.pop("repeat", 0),
                       **kwargs)


def _status(db, person_id):
    return db.execute("select status from persons where id = ?", [person_id]).fetchone()[0]


def _present(db, shelter):
    return households.present_counts(db).get(shelter["id"], {}).get("total", 0)


# --- the card's id and its keyed hash ---

@pytest.mark.parametrize("typed, normal", [
    (SUICA, SUICA_ID), ("012e4c819a3b5d07", SUICA_ID), ("０１２Ｅ４Ｃ８１９Ａ３Ｂ５Ｄ０７", SUICA_ID),
    (STAFF_CARD, "04A22B3C9D5180"), ("8f-3a-91-c2", BLANK), ("1234567890", "1234567890"),
])
def test_a_card_id_is_normalised_however_the_reader_types_it(typed, normal):
    assert iccards.normalize(typed) == normal


@pytest.mark.parametrize("typed", ["", "12345", "XYZ12345", "01:2E:4C:81:9A:3B:5D:07:" * 5, None, 42])
def test_a_garbled_card_id_is_refused_in_words(typed):
    with pytest.raises(Invalid) as refused:
        iccards.normalize(typed)
    assert refused.value.ja and refused.value.en


def test_a_scan_is_a_card_only_when_it_cannot_be_a_reception_number():
    from shelter_ops.domain import codes

    assert iccards.looks_like_card(SUICA) and iccards.looks_like_card(BLANK)
    assert not iccards.looks_like_card(codes.random_number())  # 7 characters
    assert not iccards.looks_like_card(codes.random_number("AB"))  # a node's 9 characters
    assert not iccards.looks_like_card("sealed:" + "x" * 60)


def test_only_a_keyed_hash_of_the_card_is_stored_anywhere(app, db, here):
    household = _family(db, here, "七里 浜子")
    iccards.link(db, here["id"], household["persons"][0]["id"], SUICA, actor="desk")
    _tap(db, here, SUICA)
    key = iccards.secret(db)
    assert len(key) == 32
    digest = hmac.new(key, SUICA_ID.encode(), hashlib.sha256).hexdigest()
    assert db.execute("select card_hash from card_links").fetchone()[0] == digest
    path = Path(app.config["DB"])
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for spelling in (SUICA_ID, SUICA, SUICA_ID.lower(), "012e4c81", "2E4C819A"):
        assert spelling.encode() not in raw
    # the hash itself travels sealed in the log, under the household's key
    row = db.execute("select payload, subject, sealed from events where kind = 'card.linked'").fetchone()
    assert digest not in row[0] and row[1] == household["id"] and row[2]


# --- linking ---

def test_a_card_links_to_one_person_and_another_persons_link_is_refused_with_a_clear_message(db, here):
    hanako, taro = _family(db, here, "山田 花子", "山田 太郎")["persons"]
    linked = iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    assert linked["already"] is False and linked["person_id"] == hanako["id"]
    with pytest.raises(Conflict) as refused:
        iccards.link(db, here["id"], taro["id"], SUICA_ID, actor="desk")
    assert refused.value.code == "CardLinkedToSomeoneElse"
    assert "すでに別の方に登録" in refused.value.ja and "already linked to someone else" in refused.value.en
    assert iccards.link(db, here["id"], hanako["id"], SUICA_ID.lower(), actor="desk")["already"] is True
    assert db.execute("select count(*) from events where kind = 'card.linked'").fetchone()[0] == 1


def test_a_new_card_replaces_the_persons_old_one(db, here):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    replaced = iccards.link(db, here["id"], hanako["id"], BLANK, actor="desk")
    assert replaced["replaced"] is True
    with pytest.raises(NotFound):
        _tap(db, here, SUICA)
    assert _tap(db, here, BLANK)["person_id"] == hanako["id"]


def test_a_lost_card_is_unlinked_by_person_and_stops_working_at_once(db, here):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    gone = iccards.unlink(db, here["id"], hanako["id"], actor="desk", lost=True)
    assert gone["reason"] == "lost" and iccards.link_of(db, hanako["id"]) is None
    with pytest.raises(NotFound) as unknown:
        _tap(db, here, SUICA)
    assert unknown.value.code == "UnknownCard"
    with pytest.raises(NotFound) as none:
        iccards.unlink(db, here["id"], hanako["id"], actor="desk")
    assert none.value.code == "NoCardLinked"
    taro = _family(db, here, "腰越 太郎")["persons"][0]  # whoever finds it can have it linked afresh
    assert iccards.link(db, here["id"], taro["id"], SUICA, actor="desk")["already"] is False


def test_staff_of_another_shelter_can_neither_link_nor_tap(db, here, shelter_b):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    other = {"name": "staff-b", "role": "staff", "shelter_id": shelter_b["id"]}
    with pytest.raises(Forbidden):
        iccards.link(db, here["id"], hanako["id"], SUICA, actor=other)
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    with pytest.raises(Forbidden):
        iccards.tap(db, here["id"], SUICA, actor=other)
    with pytest.raises(NotFound):  # a person of another shelter is not found from this one
        iccards.link(db, shelter_b["id"], hanako["id"], BLANK, actor="desk")


# --- a tap checks in or out ---

def test_a_tap_toggles_the_person_in_and_out_and_says_so_in_words(db, here):
    hanako, taro = _family(db, here, "山田 花子", "山田 太郎")["persons"]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    out = _tap(db, here, SUICA)
    assert out["action"] == "checked_out" and out["result"] == "ok"
    assert out["message_ja"] == "山田 花子さん 退所しました" and out["message_en"] == "山田 花子: checked out"
    assert _status(db, hanako["id"]) == "out" and _status(db, taro["id"]) == "in" and _present(db, here) == 1
    back_in = _tap(db, here, SUICA)
    assert back_in["action"] == "checked_in" and back_in["message_ja"] == "山田 花子さん 入所しました"
    assert _present(db, here) == 2
    kinds = [r[0] for r in db.execute("select kind from events where kind like 'household.checked%' order by seq")]
    assert kinds == ["household.checked_out", "household.checked_in"]  # the check-in events, caused by a card
    assert db.execute("select json_extract(payload, '$.source') from events where kind = 'household.checked_in'"
                      ).fetchone()[0] == "card"


def test_the_last_person_out_checks_the_household_out_and_a_tap_brings_only_them_back(db, here):
    household = _family(db, here, "一人 暮子")
    person = household["persons"][0]
    iccards.link(db, here["id"], person["id"], BLANK, actor="desk")
    _tap(db, here, BLANK)
    assert households.get(db, household["id"])["status"] == "checked_out" and _present(db, here) == 0
    assert _tap(db, here, BLANK)["action"] == "checked_in"
    assert households.get(db, household["id"])["status"] == "checked_in" and _present(db, here) == 1


def test_a_household_registered_at_the_door_is_checked_in_whole_by_one_tap(db, here):
    household = _family(db, here, "戸口 一", "戸口 二", "戸口 三", status="pending")
    iccards.link(db, here["id"], household["persons"][1]["id"], STAFF_CARD, actor="desk")
    tapped = _tap(db, here, STAFF_CARD)
    assert tapped["action"] == "household_checked_in" and "世帯（3人）が入所しました" in tapped["message_ja"]
    assert _present(db, here) == 3


def test_a_person_away_overnight_taps_back(db, here):
    household = _family(db, here, "外泊 花子")
    person = household["persons"][0]
    iccards.link(db, here["id"], person["id"], SUICA, actor="desk")
    households.set_away(db, here["id"], household["id"], actor="desk")
    tapped = _tap(db, here, SUICA)
    assert tapped["action"] == "back" and "外泊から戻りました" in tapped["message_ja"]
    assert _status(db, person["id"]) == "in"


def test_a_tap_where_the_household_is_checked_in_at_another_shelter_is_refused_naming_it(db, here, shelter_b):
    open_shelter(db, shelter_b)
    household = _family(db, here, "移送 太郎")
    person = household["persons"][0]
    iccards.link(db, here["id"], person["id"], SUICA, actor="desk")
    households.transfer(db, household["id"], shelter_b["id"], actor="desk")
    with pytest.raises(Conflict) as refused:
        _tap(db, here, SUICA)
    assert refused.value.code == "CheckedInElsewhere" and "第二小学校" in refused.value.ja
    assert _tap(db, shelter_b, SUICA)["action"] == "checked_out"  # the card went with the household


def test_a_hidden_persons_name_never_appears_on_the_desk(db, here):
    household = households.register(db, here["id"], {}, [{"name": "秘匿 花子", "non_disclosure": True}],
                                    actor="desk", source="desk", status="checked_in")
    iccards.link(db, here["id"], household["persons"][0]["id"], SUICA, actor="desk")
    tapped = _tap(db, here, SUICA)
    assert "秘匿" not in tapped["message_ja"] + tapped["message_en"] and "氏名非表示" in tapped["message_ja"]


def test_an_unknown_card_is_told_in_words(db, here):
    with pytest.raises(NotFound) as unknown:
        _tap(db, here, SUICA)
    assert unknown.value.code == "UnknownCard" and "登録されていません" in unknown.value.ja
    assert "not linked to anyone" in unknown.value.en


def test_the_person_reads_what_happened_in_their_own_language(db, here):
    person = _family(db, here, "Nguyen Thi Lan", language="Tiếng Việt")["persons"][0]
    iccards.link(db, here["id"], person["id"], SUICA, actor="desk")
    assert _tap(db, here, SUICA)["evacuee"] == {"lang": "vi", "text": "Thẻ IC: bạn đã rời nơi sơ tán."}
    for written, code in (("ベトナム語", "vi"), ("Nepali", "ne"), ("ネパール語", "ne"), ("pt-BR", "pt-BR"),
                          ("မြန်မာဘာသာ", "my"), ("タガログ語", "fil"), ("クリンゴン語", None)):
        assert iccards.evacuee_language(written) == code, written
    japanese = _family(db, here, "日本 語子", language="ja")["persons"][0]
    iccards.link(db, here["id"], japanese["id"], BLANK, actor="desk")
    assert _tap(db, here, BLANK)["evacuee"] is None  # staff's own words are hers already


# --- pickups ---

def test_pickups_count_per_person_per_day_and_the_supplies_screen_counts_them(db, here):
    hanako, taro = _family(db, here, "山田 花子", "山田 太郎")["persons"]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    iccards.link(db, here["id"], taro["id"], BLANK, actor="desk")
    first = _tap(db, here, SUICA, "meal")
    assert first["message_ja"] == "山田 花子さん 食事を受け取りました（今日1回目）" and first["count_today"] == 1
    assert _tap(db, here, SUICA, "meal")["count_today"] == 2
    _tap(db, here, BLANK, "meal")
    _tap(db, here, BLANK, "water")
    assert _tap(db, here, SUICA, "bath")["message_en"] == "山田 花子: bath recorded (1 today)"
    counted = {k["key"]: k for k in iccards.pickups(db, here["id"])["kinds"]}
    assert (counted["meal"]["taps"], counted["meal"]["persons"], counted["meal"]["repeat_persons"]) == (3, 2, 1)
    assert counted["water"]["taps"] == 1 and counted["supplies"]["taps"] == 0 and counted["bath"]["persons"] == 1
    assert iccards.person_pickups(db, hanako["id"]) == {"meal": 2, "water": 0, "supplies": 0, "bath": 1}
    assert _present(db, here) == 2  # a pickup changes nobody's stay


def test_a_new_day_in_japan_starts_the_count_again(db, here, time_machine):
    from datetime import datetime, timezone

    person = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], person["id"], SUICA, actor="desk")
    time_machine.move_to(datetime(2026, 12, 2, 14, 30, tzinfo=timezone.utc))  # 23:30 JST
    assert _tap(db, here, SUICA, "meal")["count_today"] == 1
    time_machine.move_to(datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc))  # 00:30 JST, the next day
    assert _tap(db, here, SUICA, "meal")["count_today"] == 1
    assert iccards.pickups(db, here["id"], day="2026-12-02")["kinds"][0]["taps"] == 1
    assert iccards.pickups(db, here["id"], day="2026-12-03")["kinds"][0]["taps"] == 1


def test_a_pickup_by_someone_not_checked_in_is_refused_in_words(db, here):
    household = _family(db, here, "未着 一", status="pending")
    iccards.link(db, here["id"], household["persons"][0]["id"], SUICA, actor="desk")
    with pytest.raises(Conflict) as refused:
        _tap(db, here, SUICA, "water")
    assert refused.value.code == "NotCheckedIn" and "入所していません" in refused.value.ja
    assert iccards.pickups(db, here["id"])["kinds"][1]["taps"] == 0


def test_people_staying_at_home_or_in_a_car_pick_up_food_with_their_card(db, here):
    household = households.register(db, here["id"], {"staying": "car"}, [{"name": "車中 泊"}], actor="desk",
                                    source="desk", status="checked_in")
    iccards.link(db, here["id"], household["persons"][0]["id"], SUICA, actor="desk")
    assert _tap(db, here, SUICA, "meal")["action"] == "meal"


# --- a double tap counts once ---

def test_a_second_tap_within_a_few_seconds_counts_once(db, here, time_machine):
    person = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], person["id"], SUICA, actor="desk")
    start = clock.utcnow()
    time_machine.move_to(start)
    assert _tap(db, here, SUICA, repeat=5)["action"] == "checked_out"
    time_machine.move_to(start + timedelta(seconds=2))
    again = _tap(db, here, SUICA, repeat=5)
    assert again["result"] == "already" and again["action"] == "checked_out" and "記録済み" in again["message_ja"]
    assert _status(db, person["id"]) == "out"
    time_machine.move_to(start + timedelta(seconds=7))
    assert _tap(db, here, SUICA, repeat=5)["action"] == "checked_in"
    time_machine.move_to(start + timedelta(seconds=8))
    assert _tap(db, here, SUICA, "meal", repeat=5)["count_today"] == 1  # another mode is another tap
    time_machine.move_to(start + timedelta(seconds=9))
    assert _tap(db, here, SUICA, "meal", repeat=5)["result"] == "already"
    assert iccards.person_pickups(db, person["id"])["meal"] == 1


def test_a_retried_request_finds_the_first_tap(db, here):
    person = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], person["id"], SUICA, actor="desk")
    first = _tap(db, here, SUICA, op="api:POST x:1:key-1")
    again = _tap(db, here, SUICA, op="api:POST x:1:key-1")
    assert first["action"] == again["action"] == "checked_out" and again["result"] == "already"
    assert _status(db, person["id"]) == "out"


# --- the record: replay, the purge, nodes ---

def test_replay_rebuilds_the_links_and_the_pickups_row_by_row(db, here, tmp_path):
    hanako, taro = _family(db, here, "山田 花子", "山田 太郎")["persons"]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    iccards.link(db, here["id"], taro["id"], BLANK, actor="desk")
    _tap(db, here, SUICA)
    _tap(db, here, BLANK, "meal")
    iccards.link(db, here["id"], taro["id"], STAFF_CARD, actor="desk")  # replaced
    _tap(db, here, STAFF_CARD, "bath")
    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    eventlog.replay(db, target)
    for table in ("card_links", "card_pickups", "persons", "households", "movements"):
        assert target.execute(f"select * from {table} order by 1").fetchall() == \
            db.execute(f"select * from {table} order by 1").fetchall(), table
    assert _tap(target, here, STAFF_CARD, "bath")["count_today"] == 2  # the secret came along


def test_the_purge_removes_the_links_and_a_replay_after_it_brings_none_back(app, db, here, tmp_path):
    from shelter_ops.domain import closing, reports, shelters

    household = _family(db, here, "七里 浜子")
    iccards.link(db, here["id"], household["persons"][0]["id"], SUICA, actor="desk")
    _tap(db, here, SUICA, "meal")
    digest = db.execute("select card_hash from card_links").fetchone()[0]
    households.check_out(db, here["id"], household["id"], actor="desk")
    shelters.transition(db, here["id"], "closing", actor="hq", role="hq", confirmed=True)
    shelters.transition(db, here["id"], "closed", actor="hq", role="hq", confirmed=True)
    reports.submit(db, here["id"], {}, actor="lead", kind="final")
    closing.export(db, here["id"], actor="hq", role="hq", reason="引き渡し")
    privacy.purge(db, here["id"], actor="hq", role="hq")
    assert db.execute("select count(*) from card_links").fetchone()[0] == 0
    path = Path(app.config["DB"])
    assert digest.encode() not in b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert iccards.pickups(db, here["id"], day=clock.local_date().isoformat())["kinds"][0]["taps"] == 1
    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    eventlog.replay(db, target)
    assert target.execute("select count(*) from card_links").fetchone()[0] == 0
    assert target.execute("select count(*) from card_pickups").fetchone()[0] == 1


def test_a_node_gets_hqs_card_secret_at_pairing_so_a_card_linked_there_works_there_and_at_hq(hq, node):  # noqa: F811
    from shelter_ops.domain import shelters

    hq_app, hq_db = hq
    _node_app, node_db = node
    shelter = shelters.transition(hq_db, insert_shelter(hq_db, "E1420400001111", "御成小学校")["id"], "open",
                                  actor="system")
    link = Link(hq_app)
    sync_client.pair(node_db, HQ_URL, nodes.issue_code(hq_db, [shelter["kyotsu_id"]], actor="system"), post=link)
    assert sync_client.sync_now(node_db, post=link)["ok"]
    assert iccards.secret(node_db) == iccards.secret(hq_db) is not None
    person = households.register(node_db, shelter["id"], {}, [{"name": "御成 花子"}], actor="desk", source="desk",
                                 status="checked_in")["persons"][0]
    iccards.link(node_db, shelter["id"], person["id"], SUICA, actor="desk")
    assert _tap(node_db, shelter, SUICA, "meal")["count_today"] == 1  # cut off from HQ, the card works here
    assert sync_client.sync_now(node_db, post=link)["ok"]
    assert hq_db.execute("select person_id from card_links").fetchone()[0] == person["id"]
    assert iccards.pickups(hq_db, shelter["id"])["kinds"][0]["taps"] == 1  # HQ counts what the node counted
    assert _tap(hq_db, shelter, SUICA, "meal")["count_today"] == 2  # the same hash at HQ


def test_one_card_linked_to_two_people_at_two_installs_is_a_sync_conflict_not_a_silent_merge(hq, node):  # noqa: F811
    from shelter_ops import sync
    from shelter_ops.domain import shelters

    hq_app, hq_db = hq
    _node_app, node_db = node
    shelter = shelters.transition(hq_db, insert_shelter(hq_db, "E1420400001111", "御成小学校")["id"], "open",
                                  actor="system")
    link = Link(hq_app)
    sync_client.pair(node_db, HQ_URL, nodes.issue_code(hq_db, [shelter["kyotsu_id"]], actor="system"), post=link)
    sync_client.sync_now(node_db, post=link)
    at_hq = households.register(hq_db, shelter["id"], {}, [{"name": "本部 一"}], actor="desk", source="desk",
                                status="checked_in")["persons"][0]
    at_node = households.register(node_db, shelter["id"], {}, [{"name": "端末 二"}], actor="desk", source="desk",
                                  status="checked_in")["persons"][0]
    iccards.link(hq_db, shelter["id"], at_hq["id"], SUICA, actor="desk")
    iccards.link(node_db, shelter["id"], at_node["id"], SUICA, actor="desk")
    sync_client.sync_now(node_db, post=link)
    assert hq_db.execute("select person_id from card_links").fetchall() == [(at_hq["id"],)]
    assert [c["kind"] for c in sync.conflicts(hq_db)] == ["card.linked"]
