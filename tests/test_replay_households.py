"""Replay rebuilds the households' tables: a seeded, randomized reception day at three shelters, replayed into
a new database, gives the same households, persons, head counts, movements and paper-card numbers row by row."""
import random

from shelter_ops import eventlog
from shelter_ops.db import connect, migrate
from shelter_ops.domain import codes, households, prereg
from shelter_ops.domain.errors import DomainError

from conftest import insert_shelter

TABLES = ("households", "persons", "headcounts", "movements", "reserved_numbers")
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "ｸﾞｴﾝ", "O'Neil")
GIVEN = ("一郎", "花子", "太郎", "美咲", "翔", "さくら", "Anh", "Maria")


def person(rng):
    return {"name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}", "kana": "かな", "sex": rng.choice(list(households.SEXES)),
            "age": rng.randint(0, 95), "care_codes": rng.sample(list(households.CARE_CODES), rng.randint(0, 2)),
            "allergens": rng.sample(list(households.ALLERGENS), rng.randint(0, 1)),
            "non_disclosure": rng.random() < 0.03, "notes": "夜間 咳" if rng.random() < 0.1 else None}


def card(rng, shelter):
    return {"address": f"鎌倉市御成町{rng.randint(1, 30)}-{rng.randint(1, 20)}", "phone": "0467-23-3000",
            "staying": rng.choice(["shelter"] * 8 + ["home", "car"]), "consent": rng.choice(list(households.CONSENT)),
            "zone_id": rng.choice([None, shelter["zones"][0]["id"]]) if shelter.get("zones") else None}


def play_a_day(db, shelters, rng, key):
    paper = codes.reserve_block(db, shelters[0]["id"], 20, actor="lead")
    for step in range(400):
        shelter = rng.choice(shelters)
        sid = shelter["id"]
        people = [person(rng) for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 5, 6]))]
        roll = rng.random()
        try:
            if roll < 0.15:
                households.register(db, sid, card(rng, shelter), people, actor="door", source="door")
            elif roll < 0.30:
                households.register(db, sid, card(rng, shelter), people, actor="desk", source="desk",
                                    status="checked_in", request_id=f"form:{step}")
            elif roll < 0.33 and paper:
                households.register(db, sid, card(rng, shelter), people, actor="desk", source="paper",
                                    status="checked_in", reception_number=paper.pop())
            elif roll < 0.36:
                households.check_in(db, sid, prereg.seal(key, card(rng, shelter), people), actor="desk", key=key)
            elif roll < 0.48:
                households.count_head(db, sid, rng.choice(list(households.SEXES)),
                                      rng.choice(list(households.AGE_BANDS)), actor="desk",
                                      delta=rng.choice([1, 1, 1, -1]))
            else:
                rows = db.execute("select id, status, reception_number from households where shelter_id = ?",
                                  [sid]).fetchall()
                if not rows:
                    continue
                hid, status, number = rng.choice(rows)
                if status == "pending":
                    households.check_in(db, sid, number, actor="desk", request_id=f"scan:{step}")
                    households.check_in(db, sid, number, actor="desk", request_id=f"scan:{step}")  # a retried tap
                elif status == "checked_in":
                    persons = [p["id"] for p in households.get(db, hid)["persons"] if p["status"] != "out"]
                    action = rng.random()
                    if action < 0.3:
                        households.check_out(db, sid, hid, actor="desk",
                                             person_ids=rng.sample(persons, rng.randint(1, len(persons))))
                    elif action < 0.5:
                        households.set_away(db, sid, hid, actor="desk", person_ids=persons[:1], until="明日朝")
                    elif action < 0.6:
                        households.set_back(db, sid, hid, actor="desk")
                    elif action < 0.8:
                        other = rng.choice([s for s in shelters if s["id"] != sid])
                        households.transfer(db, hid, other["id"], actor="desk", from_shelter_id=sid)
                    else:
                        households.update_household(db, sid, hid, {"staying": rng.choice(list(households.STAYING)),
                                                                   "consent": "family"}, actor="desk")
        except DomainError:
            pass  # a refusal a desk would see (nobody of that group left to count out): nothing written
    households.move_everyone(db, shelters[2]["id"], shelters[0]["id"], actor="hq")


def test_replay_rebuilds_every_household_table_row_by_row(app, db, tmp_path):
    from shelter_ops.domain import shelters as registry

    opened = [insert_shelter(db, f"E14204000{n}1111", f"第{n}小学校", state="open") for n in (1, 2, 3)]
    opened = [{**s, "zones": registry.zones(db, s["id"])} for s in opened]
    play_a_day(db, opened, random.Random(11), prereg.generate_key())
    assert db.execute("select count(*) from movements where cause = 'consolidation'").fetchone()[0]
    assert db.execute("select count(*) from movements where cause = 'transfer'").fetchone()[0]

    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    eventlog.replay(db, target)
    counts = {t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    assert counts["households"] > 150 and counts["persons"] > 400 and counts["movements"] > 200
    for table in TABLES:
        live = db.execute(f"select * from {table} order by 1").fetchall()
        assert live, f"the day left {table} empty"
        assert target.execute(f"select * from {table} order by 1").fetchall() == live, table

