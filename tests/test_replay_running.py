"""Replay (#11): a randomized day of running and closing shelters, rebuilt from the log alone, table by table.

Supplies and requests with HQ's steps, the daily log, announcements, residents' requests, reports,
inquiries, consolidation, close, handover and purge: every row of these projections comes back the same."""
import random

from closing_helpers import family, open_shelter
from shelter_ops.db import connect, migrate, write
from shelter_ops.domain import closing, daylog, inquiries, privacy, reports, resident_requests, shelters, supplies
from shelter_ops.domain.shelters import stable_id
from shelter_ops.eventlog import Actor, emit, load_handlers, replay

TABLES = ("supply_moves", "supply_requests", "daylog_entries", "announcements", "resident_requests", "reports",
          "inquiries", "inquiry_matches", "closings", "purge_summaries")


def import_shelter(db, kyotsu_id, name):
    """A shelter as HQ's import makes it (an event), so that a replay has it too."""
    load_handlers()
    shelter_id = stable_id(kyotsu_id)
    with write(db):
        emit(db, "shelter.imported", {"id": shelter_id, "kyotsu_id": kyotsu_id, "action": "added", "values": {
            "municipality_code": "142042", "name": name, "address": "鎌倉市", "lat": 35.31, "lon": 139.55,
            "kind": "general"}}, actor="import", shelter_id=shelter_id)
    return shelters.get(db, shelter_id)


def _rows(db, table):
    pk = db[table].pks
    return db.execute(f"select * from [{table}] order by {', '.join(pk)}").fetchall()


def same_tables(live, replayed, tables=TABLES):
    for table in tables:
        assert _rows(replayed, table) == _rows(live, table), table


SURNAMES = ("鎌倉", "由比", "長谷", "極楽寺", "稲村", "腰越", "大町", "材木座")
GIVEN = (("太郎", "たろう"), ("花子", "はなこ"), ("一郎", "いちろう"), ("秋子", "あきこ"))
ITEMS = (("水", "本"), ("毛布", "枚"), ("紙おむつ S", "枚"), ("アルファ米", "食"), ("粉ミルク", "g"))


def _families(db, shelter, rng, n):
    made = []
    for i in range(n):
        surname = rng.choice(SURNAMES)
        people = [(f"{surname}{g}", f"かな{g}", rng.choice(("male", "female")), f"19{rng.randint(40, 99)}-01-0{j + 1}",
                   rng.choice(([], ["ILL"], ["INF"]))) for j, (g, _k) in enumerate(rng.sample(GIVEN, rng.randint(1, 3)))]
        made.append(family(db, shelter, phone=f"0467-{rng.randint(10, 99)}-{i:04d}", consent=rng.choice(
            ("none", "family", "public")), people=people))
    return made


def _operations_day(db, rng, shelter_list, leads, staff, hq, names):
    open_requests = []
    announced = []
    received = []
    for _ in range(160):
        shelter = rng.choice(shelter_list)
        sid = shelter["id"]
        lead, member = leads[sid], staff[sid]
        step = rng.random()
        if step < 0.2:
            item, unit = rng.choice(ITEMS)
            supplies.record_move(db, sid, item=item, unit=unit, direction="in", quantity=rng.randint(1, 200),
                                 expiry=rng.choice((None, "2026-12-31")), note=rng.choice(("", "町内会より")),
                                 actor=member, op=f"op-{rng.random()}")
        elif step < 0.3:
            stock = [s for s in supplies.stock(db, sid) if s["stock"] > 0]
            if stock:
                row = rng.choice(stock)
                supplies.record_move(db, sid, item=row["item"], unit=row["unit"], direction="out",
                                     quantity=rng.randint(1, int(row["stock"])), actor=member)
        elif step < 0.4:
            item, unit = rng.choice(ITEMS)
            open_requests.append(supplies.create_request(
                db, sid, item=item, unit=unit, quantity=rng.randint(1, 500), priority=rng.choice(list(supplies.PRIORITIES)),
                wanted_by=rng.choice((None, "2026-11-30")), note=rng.choice(("", "乳児3名分")), actor=lead)["id"])
        elif step < 0.5 and open_requests:
            request_id = rng.choice(open_requests)
            current = supplies.get_request(db, request_id)["status"]
            choices = list(supplies.TRANSITIONS[current])
            if not choices:
                continue
            to = rng.choice(choices)
            roles = supplies.TRANSITIONS[current][to]
            who = hq if "hq" in roles and (rng.random() < 0.7 or "lead" not in roles) else leads[
                supplies.get_request(db, request_id)["shelter_id"]]
            supplies.advance_request(db, request_id, to, actor=who, reason="在庫なし" if to in ("cancelled", "refused")
                                     else "", received_quantity=rng.choice((None, 10)))
        elif step < 0.6:
            counted = rng.random() < 0.3
            daylog.add_entry(db, sid, kind="status" if counted else rng.choice(list(daylog.KINDS)),
                             text=rng.choice(("", "断水が続く")) if counted else f"{rng.choice(names)}さん 発熱",
                             period=rng.choice(list(daylog.PERIODS)) if counted else None,
                             count=rng.randint(0, 300) if counted else None, author=member)
        elif step < 0.67:
            announced.append((sid, daylog.add_announcement(db, sid, ja="18時に配食します", en=rng.choice(("", "Dinner at 6")),
                                                           actor=lead)["id"]))
        elif step < 0.7 and announced:
            at, announcement_id = announced.pop(rng.randrange(len(announced)))
            daylog.withdraw_announcement(db, at, announcement_id, actor=leads[at])
        elif step < 0.8:
            anonymous = rng.random() < 0.5
            received.append((sid, resident_requests.submit(
                db, sid, category=rng.choice(list(resident_requests.CATEGORIES)), text="毛布がほしい",
                name="" if anonymous else rng.choice(names), room=rng.choice(("", "体育館")), anonymous=anonymous,
                source=rng.choice(("phone", "paper")), actor=member, client=f"c{rng.randint(1, 40)}")["id"]))
        elif step < 0.85 and received:
            at, request_id = received.pop(rng.randrange(len(received)))
            resident_requests.mark_handled(db, at, request_id, note=rng.choice(("", "渡した")), actor=staff[at])
        elif step < 0.9:
            reports.submit(db, sid, {"urgent": rng.choice(("", f"{rng.choice(names)}さん 通院")),
                                     "drinking_water": rng.choice(list(reports.SUFFICIENCY)),
                                     "surroundings_roads": rng.choice(("", "冠水"))}, actor=lead)
        else:
            typed = rng.choice(names)
            inquiries.ask(db, {"name": rng.choice((typed, typed[:2] + " " + typed[2:])),
                               "relation": rng.choice(list(inquiries.RELATIONS)), "inquirer_name": "横浜 次郎",
                               "reason": rng.choice(("", "連絡がつかない"))}, operator=hq)


def test_a_day_of_running_and_closing_replays_to_the_same_tables(app, db, tmp_path):
    rng = random.Random(11)
    shelter_list = [import_shelter(db, f"E14204000{i}1111", f"第{i}小学校") for i in range(1, 4)]
    hq = Actor(user="hq", role="hq")
    leads = {s["id"]: Actor(user=f"lead-{i}", role="lead", shelter_id=s["id"]) for i, s in enumerate(shelter_list)}
    staff = {s["id"]: Actor(user=f"staff-{i}", role="staff", shelter_id=s["id"]) for i, s in enumerate(shelter_list)}
    names = []
    for shelter in shelter_list:
        open_shelter(db, shelter)
        for household in _families(db, shelter, rng, 6):
            names.extend(p["name"] for p in household["persons"])
    _operations_day(db, rng, shelter_list, leads, staff, hq, names)
    a, b = shelter_list[0], shelter_list[1]
    moved = closing.consolidate(db, a["id"], b["id"], actor=leads[a["id"]], confirmed=True)
    assert moved["households"] == 6
    shelters.transition(db, a["id"], "closed", actor="hq", role="hq", confirmed=True)
    reports.submit(db, a["id"], {"urgent": "なし"}, actor=leads[a["id"]], kind="final")
    closing.export(db, a["id"], actor=hq, reason="閉鎖に伴う引き渡し")

    before = connect(str(tmp_path / "before-purge.sqlite"))
    migrate(before)
    replay(db, before)
    same_tables(db, before)

    privacy.purge(db, a["id"], actor=hq)
    after = connect(str(tmp_path / "after-purge.sqlite"))
    migrate(after)
    replay(db, after)
    same_tables(db, after)
    assert after.execute("select count(*) from reports where shelter_id = ?", [a["id"]]).fetchone()[0] >= 2
    assert closing.status(db, a["id"])["next"] == "done"


def test_a_retried_operation_answers_what_it_did_and_writes_nothing_more(db):
    shelter = import_shelter(db, "E1420400008111", "第八小学校")
    open_shelter(db, shelter)
    first = supplies.record_move(db, shelter["id"], item="水", unit="本", direction="in", quantity=24, actor="staff",
                                 op="tap-1")
    again = supplies.record_move(db, shelter["id"], item="水", unit="本", direction="in", quantity=24, actor="staff",
                                 op="tap-1")
    assert again == first and supplies.stock(db, shelter["id"])[0]["stock"] == 24
    entry = daylog.add_entry(db, shelter["id"], kind="incident", text="停電", author="lead", op="tap-2")
    assert daylog.add_entry(db, shelter["id"], kind="incident", text="停電", author="lead", op="tap-2") == entry
    assert len(daylog.entries(db, shelter["id"], entry["day"])) == 1
