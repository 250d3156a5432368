"""Possible duplicates at HQ (SYNC.md §4): the same person registered at two shelters while cut off
(same name and birth date, or the same phone), or a household transferred out of A and registered afresh
at B before A's transfer arrived. Nothing is merged silently: HQ links or dismisses each pair."""
import json
import unicodedata

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, new_id, write
from ..eventlog import applies, emit
from . import access
from .errors import Invalid, NotFound

migrations = Migrations("duplicates")

STATUSES = {"open": ("未確認", "To decide"), "linked": ("同一人物", "Same person"),
            "dismissed": ("別人", "Different people")}
REASONS = {"name_birth": ("氏名と生年月日が同じ", "Same name and date of birth"),
           "phone": ("電話番号が同じ", "Same phone number")}

access.RULES.update({"decide_duplicates": access.Rule((access.HQ,), "重複の判断は本部が行います。",
                                                       "Only HQ decides on possible duplicates.")})


@migrations()
def create_duplicates(db):
    db["possible_duplicates"].create({"id": str, "person_a": str, "person_b": str, "household_a": str,
                                      "household_b": str, "reason": str, "status": str, "found_at": str,
                                      "decided_by": str, "decided_at": str}, pk="id")
    db["possible_duplicates"].create_index(["person_a", "person_b"], unique=True)


def _fold(text):
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def scan(db, rows):
    """After events from a node were applied at HQ: list each new pair of persons who look like the same
    person in two households. Returns the number of pairs found."""
    household_ids = set()
    for row in rows:
        if row["kind"].startswith("household."):
            data = json.loads(row["payload"] or "{}")
            household_ids.update(filter(None, [data.get("household_id"), data.get("id")]))
    if not household_ids:
        return 0
    marks = ",".join("?" * len(household_ids))
    mine = fetch_all(db, f"select p.id, p.household_id, p.name, p.birth_date, h.phone from persons p join households h "
                         f"on h.id = p.household_id where p.household_id in ({marks})", sorted(household_ids))
    found = []
    for person in mine:
        name, phone = _fold(person["name"]), _fold(person["phone"])
        candidates = []
        if name and person["birth_date"]:
            candidates += [(r, "name_birth") for r in fetch_all(
                db, "select p.id, p.household_id from persons p where p.birth_date = ? and replace(replace(p.name, ' ', ''), "
                    "'　', '') = ? and p.household_id != ?", [person["birth_date"], name, person["household_id"]])]
        if phone:
            candidates += [(r, "phone") for r in fetch_all(
                db, "select p.id, p.household_id from persons p join households h on h.id = p.household_id "
                    "where replace(h.phone, ' ', '') = ? and p.household_id != ? and p.position = 0",
                [phone, person["household_id"]])]
        for other, reason in candidates:
            a, b = sorted([person["id"], other["id"]])
            pair = (a, b)
            if pair in {(f[0], f[1]) for f in found}:
                continue
            if db.execute("select 1 from possible_duplicates where person_a = ? and person_b = ?", pair).fetchone():
                continue
            households = {person["id"]: person["household_id"], other["id"]: other["household_id"]}
            found.append((a, b, households[a], households[b], reason))
    if found:
        with write(db):
            for a, b, ha, hb, reason in found:
                emit(db, "duplicate.suspected", {"id": new_id(), "person_a": a, "person_b": b, "household_a": ha,
                                                 "household_b": hb, "reason": reason}, actor="sync")
    return len(found)


@applies("duplicate.suspected", live=False)
def _suspected(db, e):
    d = e.data
    db.execute("insert or ignore into possible_duplicates (id, person_a, person_b, household_a, household_b, reason, "
               "status, found_at) values (?, ?, ?, ?, ?, ?, 'open', ?)",
               [d["id"], d["person_a"], d["person_b"], d["household_a"], d["household_b"], d["reason"], e.at])


def decide(db, pair_id, decision, *, actor):
    """HQ's answer for one pair: "linked" (the same person) or "dismissed" (two people)."""
    access.require(actor, "decide_duplicates")
    if decision not in ("linked", "dismissed"):
        raise Invalid("「同一人物」か「別人」を選んでください。", "Choose same person or different people.")
    if not db.execute("select 1 from possible_duplicates where id = ?", [pair_id]).fetchone():
        raise NotFound("その組み合わせはありません。", "No such pair.")
    with write(db):
        emit(db, "duplicate.decided", {"id": pair_id, "status": decision}, actor=actor)


@applies("duplicate.decided", live=False)
def _decided(db, e):
    db.execute("update possible_duplicates set status = ?, decided_by = ?, decided_at = ? where id = ?",
               [e.data["status"], e.actor.user, e.at, e.data["id"]])


def listing(db, status="open"):
    """The pairs with both persons and their shelters, for HQ's screen."""
    return fetch_all(db, """
        select d.*, pa.name as name_a, pa.birth_date as birth_a, sa.name as shelter_a, ha.reception_number as number_a,
               pb.name as name_b, pb.birth_date as birth_b, sb.name as shelter_b, hb.reception_number as number_b
        from possible_duplicates d
        join persons pa on pa.id = d.person_a join households ha on ha.id = pa.household_id
        join shelters sa on sa.id = ha.shelter_id
        join persons pb on pb.id = d.person_b join households hb on hb.id = pb.household_id
        join shelters sb on sb.id = hb.shelter_id
        where (? is null or d.status = ?) order by d.found_at""", [status, status])
