"""Movements: check-out, overnight absence (外泊), transfer and consolidation, and the movements projection
(people in and out of a shelter) that the dashboard, the status report and the daily log all read."""
from ...db import write
from ...eventlog import applies, done, emit, move_subject
from .. import access
from ..errors import Conflict, Invalid, NotFound
from .cards import clean_text, require_open
from .roster import elsewhere, get, household_at


# --- the projection ---

def record(db, e, *, shelter_id, direction, persons, cause, household_id=None):
    """One row of the movements projection, from handler `e` (one per event and direction, so the id
    is the event's). Nothing but the households' handlers calls this."""
    if persons:
        db.execute("insert into movements (id, event_id, shelter_id, at, direction, persons, cause, household_id) "
                   "values (?, ?, ?, ?, ?, ?, ?, ?)",
                   [f"{e.id}:{direction}", e.id, shelter_id, e.at, direction, persons, cause, household_id])


def between(db, shelter_id, start=None, end=None, *, after_event=None):
    """People who arrived and left at a shelter: in [start, end) (ISO UTC times, either may be None),
    and after the event `after_event` (exclusive; event ids are time-ordered UUIDv7).

    Returns {"arrived", "left"} in persons, and households moved by transfer or consolidation
    ({"households_transferred_in", "households_transferred_out"}), for the daily log's extra line."""
    where, args = ["shelter_id = ?"], [shelter_id]
    if start:
        where.append("at >= ?")
        args.append(start)
    if end:
        where.append("at < ?")
        args.append(end)
    if after_event:
        where.append("event_id > ?")
        args.append(after_event)
    row = db.execute(f"""
        select coalesce(sum(case when direction = 'in' then persons end), 0),
               coalesce(sum(case when direction = 'out' then persons end), 0),
               count(distinct case when direction = 'in' and cause in ('transfer', 'consolidation')
                                   then household_id end),
               count(distinct case when direction = 'out' and cause in ('transfer', 'consolidation')
                                   then household_id end)
        from movements where {' and '.join(where)}""", args).fetchone()
    return {"arrived": row[0], "left": row[1], "households_transferred_in": row[2],
            "households_transferred_out": row[3]}


# --- check-out ---

def _person_ids(db, household_id, person_ids):
    """The persons of the household still not checked out: all of them, or those of `person_ids`."""
    rows = db.execute("select id, status from persons where household_id = ?", [household_id]).fetchall()
    if person_ids is None:
        return [pid for pid, status in rows if status != "out"]
    unknown = set(person_ids) - {pid for pid, _status in rows}
    if unknown:
        raise NotFound("その世帯にいない人が指定されました。", "Some persons are not in this household.")
    wanted = set(person_ids)
    return [pid for pid, status in rows if pid in wanted and status != "out"]


def _present_persons(db, shelter_id, household_id, person_ids, *, actor):
    """The persons to move of a household checked in at this shelter. :raise NotFound, Conflict, Forbidden:"""
    row = household_at(db, shelter_id, household_id)
    access.require(actor, "work_shelter", shelter_id)
    if row["status"] != "checked_in":
        raise Conflict("この世帯は入所中ではありません。", "This household is not checked in.")
    return _person_ids(db, household_id, person_ids)


def check_out(db, shelter_id, household_id, *, actor, person_ids=None, source="desk", request_id=None):
    """Check out the whole household, or only `person_ids`; the household is out when nobody is left."""
    with write(db):
        if done(db, request_id) is not None:
            return get(db, household_id)
        ids = _present_persons(db, shelter_id, household_id, person_ids, actor=actor)
        emit(db, "household.checked_out", {"household_id": household_id, "person_ids": ids,
                                           "source": source if source in ("paper", "card") else "desk"},
             actor=actor, shelter_id=shelter_id, op=request_id)
        return get(db, household_id)


@applies("household.checked_out")
def _checked_out(db, e):
    ids, household_id = e.data["person_ids"], e.data["household_id"]
    if ids:
        db.execute(f"update persons set status = 'out', away_until = null, updated_at = ? "
                   f"where household_id = ? and id in ({','.join('?' * len(ids))})", [e.at, household_id, *ids])
    left = db.execute("select count(*) from persons where household_id = ? and status != 'out'",
                      [household_id]).fetchone()[0]
    if not left:
        db.execute("update households set status = 'checked_out', checked_out_at = ?, updated_at = ? where id = ?",
                   [e.at, e.at, household_id])
    record(db, e, shelter_id=e.shelter_id, direction="out", persons=len(ids), cause="check-out",
           household_id=household_id)


# --- overnight absence (外泊届) ---

def set_away(db, shelter_id, household_id, *, actor, person_ids=None, until=None, request_id=None):
    """外泊届: persons away overnight. Their place is kept, so they still count as present."""
    return _set_person_status(db, shelter_id, household_id, "away", actor=actor, person_ids=person_ids,
                              until=clean_text(until, 32), request_id=request_id)


def set_back(db, shelter_id, household_id, *, actor, person_ids=None, request_id=None):
    """Back from an overnight absence."""
    return _set_person_status(db, shelter_id, household_id, "in", actor=actor, person_ids=person_ids,
                              request_id=request_id)


def _set_person_status(db, shelter_id, household_id, status, *, actor, person_ids=None, until=None,
                       request_id=None):
    with write(db):
        if done(db, request_id) is not None:
            return get(db, household_id)
        ids = _present_persons(db, shelter_id, household_id, person_ids, actor=actor)
        emit(db, "household.away" if status == "away" else "household.back",
             {"household_id": household_id, "person_ids": ids, "until": until if status == "away" else None},
             actor=actor, shelter_id=shelter_id, op=request_id)
        return get(db, household_id)


def _apply_person_status(status):
    def apply(db, e):
        ids = e.data["person_ids"]
        if ids:
            db.execute(f"update persons set status = ?, away_until = ?, updated_at = ? where household_id = ? "
                       f"and status != 'out' and id in ({','.join('?' * len(ids))})",
                       [status, e.data.get("until"), e.at, e.data["household_id"], *ids])

    apply.__qualname__ = f"_apply_person_status.{status}"
    return apply


# away persons still count as present: the occupancy snapshot cannot change
applies("household.away", live=False)(_apply_person_status("away"))
applies("household.back", live=False)(_apply_person_status("in"))


# --- transfer and consolidation ---

def transfer(db, household_id, to_shelter_id, *, actor, request_id=None, from_shelter_id=None,
             cause="transfer"):
    """Move a household to another open shelter in one transaction: out at A, in at B, the record moved.

    Returns {"household": ..., "from": shelter id, "warnings": [...]} (warnings: persons who look
    checked in elsewhere already). `from_shelter_id` refuses a household that is not there.
    """
    from .. import shelters

    with write(db):
        first = done(db, request_id)
        if first is not None:
            return {"household": get(db, first.data["household_id"]), "from": first.shelter_id, "warnings": []}
        row = db.execute("select shelter_id, status from households where id = ?", [household_id]).fetchone()
        if row is None or (from_shelter_id and row[0] != from_shelter_id):
            raise NotFound("この避難所にその世帯はありません。", "No such household at this shelter.")
        source_id, status = row
        access.require(actor, "work_shelter", source_id)
        if status not in ("checked_in", "pending"):
            raise Conflict("入所中の世帯だけ移送できます。", "Only a checked-in household can be transferred.")
        target = shelters.get(db, to_shelter_id)
        if target["id"] == source_id:
            raise Invalid("移送先が同じ避難所です。", "The household is already at that shelter.")
        require_open(target)
        moving = db.execute("select count(*) from persons where household_id = ? and status != 'out'",
                            [household_id]).fetchone()[0]
        # a household waiting at A's desk (pending) was never counted there: nobody leaves A
        emit(db, "household.transferred_out", {"household_id": household_id, "to": target["id"],
                                               "persons": moving if status == "checked_in" else 0, "cause": cause},
             actor=actor, shelter_id=source_id, op=request_id)
        emit(db, "household.transferred_in", {"household_id": household_id, "from": source_id, "persons": moving,
                                              "cause": cause},
             actor=actor, shelter_id=target["id"], op=request_id)
        household = get(db, household_id)
        return {"household": household, "from": source_id, "warnings": elsewhere(db, household)}


@applies("household.transferred_out")
def _transferred_out(db, e):
    record(db, e, shelter_id=e.shelter_id, direction="out", persons=e.data["persons"], cause=e.data["cause"],
           household_id=e.data["household_id"])


@applies("household.transferred_in")
def _transferred_in(db, e):
    household_id = e.data["household_id"]
    db.execute("update households set shelter_id = ?, transferred_from = ?, zone_id = null, status = 'checked_in', "
               "checked_in_at = ?, updated_at = ? where id = ?",
               [e.shelter_id, e.data["from"], e.at, e.at, household_id])
    db.execute("update persons set status = 'in', away_until = null, updated_at = ? "
               "where household_id = ? and status = 'away'", [e.at, household_id])
    move_subject(db, household_id, e.shelter_id)  # the receiving shelter's purge forgets them
    record(db, e, shelter_id=e.shelter_id, direction="in", persons=e.data["persons"], cause=e.data["cause"],
           household_id=household_id)


def move_everyone(db, from_id, to_id, *, actor):
    """Consolidation (統合): every checked-in household and every count-only head of shelter A moves to B,
    as movements caused by consolidation. Inside the caller's write(); the caller checks the shelters
    and the role (closing.consolidate). Returns {"households", "persons", "heads"}."""
    from .headcounts import move_heads

    with write(db):
        moved = [r[0] for r in db.execute("select id from households where shelter_id = ? and status = 'checked_in' "
                                          "order by registered_at, id", [from_id])]
        persons = 0
        for household_id in moved:
            result = transfer(db, household_id, to_id, actor=actor, from_shelter_id=from_id, cause="consolidation")
            persons += sum(1 for p in result["household"]["persons"] if p["status"] != "out")
        heads = move_heads(db, from_id, to_id, actor=actor)
    return {"households": len(moved), "persons": persons, "heads": heads}
