"""Personal data by design: every column that can hold it is declared here, and the purge that removes it.

The record is the event log, and the log is never rewritten. Personal facts travel in an event's
sealed part, under a key per subject (a household, an inquiry, or the shelter itself for the free text
of its log, reports, supplies and residents' requests). The purge of a closed, handed-over shelter:

1. appends one `handover.purged` event (anonymous counts only); its handler blanks every column
   declared in PERSONAL below for the shelter's rows, so the projections forget at once;
2. deletes the subjects' keys (`eventlog.forget_subjects`, under PRAGMA secure_delete=ON), so what
   the log sealed can never be read again, and a replay writes the same blanks (`fact`);
3. compacts the file (VACUUM, then a WAL checkpoint(TRUNCATE)), so no old page keeps a copy.

A new table or text column must be classified here (PERSONAL or NOT_PERSONAL): a test fails until it is.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..db import alone, new_id, parse_time, write
from ..eventlog import applies, emit, forget_subjects
from . import access, clock

REMOVED = "[削除]"


@dataclass(frozen=True)
class Column:
    """A personal column and what the purge leaves in it: REMOVED in place of typed text (so a reader sees
    that something was there), or None (a name, a phone, a date: nothing to show)."""
    name: str
    blank: object = REMOVED


def _columns(names, blank=REMOVED):
    return tuple(Column(n, blank) for n in names)


# The one list. rows: which rows are the shelter's (`?` is its id); None: chosen by the purge event.
@dataclass(frozen=True)
class Personal:
    columns: tuple
    rows: str = "shelter_id = ?"
    json_column: str = None  # the columns are keys of this JSON column (a report's staff fields)
    reset: str = ""  # more assignments the purge makes (a flag that would still point at someone)
    delete: bool = False  # the purge deletes the shelter's rows instead of blanking them (a card's link)


def _household_columns():
    from .households import PERSONAL_COLUMNS

    return PERSONAL_COLUMNS


REPORT_TEXT = ("reason", "staff_help", "supplies_needed", "infection_supplies_short", "urgent")


def personal_tables():
    """{table: Personal}: every table that can hold personal data, and how the purge blanks it."""
    from .reports import SURROUNDINGS  # typed per key

    household = _household_columns()
    return {
        "households": Personal(_columns(household["households"], None)),
        "persons": Personal(_columns(household["persons"], None),
                            rows="household_id in (select id from households where shelter_id = ?)",
                            reset="non_disclosure = 0"),
        "inquiries": Personal(_columns(("inquirer_name", "inquirer_contact", "reason", "query_name"))
                              + (Column("query_birth_year", None), Column("answer", "[]")), rows=None),
        "resident_requests": Personal(_columns(("text", "handled_note")) + _columns(("name", "room"), None)),
        "daylog_entries": Personal(_columns(("text",))),
        "announcements": Personal(_columns(("ja", "en"))),
        "reports": Personal(_columns(REPORT_TEXT + tuple(f"surroundings.{k}" for k in SURROUNDINGS)),
                            json_column="data"),
        "supply_moves": Personal(_columns(("note",))),
        "supply_requests": Personal(_columns(("note", "reason"))),
        "occupancy_overrides": Personal(_columns(("reason",))),  # a lead's reason, typed: may name someone
        # an IC card's keyed hash points at one person: the link goes, the pickup counts stay
        "card_links": Personal((Column("card_hash", None),),
                               rows="household_id in (select id from households where shelter_id = ?)",
                               delete=True),
    }


# Text columns that hold no one's personal data (ids, vocabulary, staff account names, times, figures,
# the registry's public facts); "*": the whole table. Checked against the schema by tests/test_privacy.py,
# so a new text column is classified before it ships.
NOT_PERSONAL = {
    "households": ("id", "reception_number", "shelter_id", "status", "staying", "zone_id", "consent", "source",
                   "transferred_from", "registered_at", "checked_in_at", "checked_out_at", "updated_at", "created_by"),
    "persons": ("id", "household_id", "sex", "age_band", "status", "away_until", "updated_at"),
    "inquiries": ("id", "at", "operator", "relation"),
    "inquiry_matches": "*",
    "resident_requests": ("id", "shelter_id", "category", "source", "status", "created_by", "created_at",
                          "handled_by", "handled_at"),
    "daylog_entries": ("id", "shelter_id", "day", "kind", "period", "author", "at"),
    "announcements": ("id", "shelter_id", "notice", "notice_values", "starts_at", "ends_at", "created_by",
                      "created_at", "withdrawn_by", "withdrawn_at"),
    "reports": ("id", "shelter_id", "kind", "at", "reporter"),
    "supply_moves": ("id", "shelter_id", "item", "unit", "direction", "expiry", "request_id", "actor", "at"),
    "supply_requests": ("id", "shelter_id", "item", "unit", "priority", "wanted_by", "status", "requested_by",
                        "requested_at", "accepted_by", "accepted_at", "sent_by", "sent_at", "received_by",
                        "received_at", "cancelled_by", "cancelled_at", "refused_by", "refused_at", "updated_at"),
    "occupancy_overrides": ("shelter_id", "level", "set_by", "set_at", "expires_at"),
    "closings": "*",
    "purge_summaries": "*",
    # shelter nodes (domain/nodes.py): who is paired, the codes' hashes; the duplicates list holds ids only
    "nodes": "*",
    "pairing_codes": "*",
    "possible_duplicates": "*",
    # the registry, the accounts and the install: public facts, staff accounts, vocabulary, times
    "shelters": "*", "emergency_sites": "*", "zones": "*", "checklist_marks": "*", "users": "*", "tokens": "*",
    "settings": "*", "headcounts": "*", "tallies": "*", "occupancy_confirmations": "*", "reserved_numbers": "*",
    "movements": "*",  # counts of people in and out, by cause: no name, no free text
    # IC cards (domain/iccards.py): ids, times, vocabulary; the pickups are counts per person and day
    "card_links": ("person_id", "household_id", "linked_at", "linked_by", "last_tap_at", "last_mode", "last_action"),
    "card_pickups": "*",
}


def blank_of(table, key):
    for column in personal_tables()[table].columns:
        if column.name == key:
            return column.blank
    raise KeyError(f"{table}.{key} is not declared personal")


# --- writing personal facts into events, and reading them back ---

def split(values):
    """(plain, personal) of a dict of typed values: what was left empty says nothing about anyone and
    travels plain; the rest is sealed. `fact()` tells the two apart again on replay."""
    plain = {k: v for k, v in values.items() if v in (None, "")}
    return plain, {k: v for k, v in values.items() if v not in (None, "")}


def fact(e, table, key):
    """A personal fact of event `e` for `table`'s column `key`: as typed, or the column's blank once the
    purge forgot the key that sealed it (so a replay after the purge writes what the purge left)."""
    if key in e.data:
        return e.data[key]
    return blank_of(table, key)


def subject_of_shelter(shelter_id):
    return f"shelter:{shelter_id}"


# --- the purge ---

def _summary(db, shelter_id):
    counts = {"sex": {}, "age_band": {}, "care": {}, "staying": {}, "status": {}}
    households_n = db.execute("select count(*) from households where shelter_id = ?", [shelter_id]).fetchone()[0]
    persons_n = 0
    for sex, band, care, staying, status in db.execute(
            "select p.sex, p.age_band, p.care_codes, h.staying, h.status from persons p join households h "
            "on h.id = p.household_id where h.shelter_id = ?", [shelter_id]):
        persons_n += 1
        for key, value in (("sex", sex), ("age_band", band), ("staying", staying), ("status", status)):
            counts[key][value or "unknown"] = counts[key].get(value or "unknown", 0) + 1
        for code in json.loads(care or "[]"):
            counts["care"][code] = counts["care"].get(code, 0) + 1
    return households_n, persons_n, counts


def purge(db, shelter_id, *, actor, role=None, compact=True):
    """Remove the shelter's personal data: names, contacts, needs and typed text become anonymous counts (a
    summary row); the event log keeps what happened, sealed facts unreadable for good. Refused (409) before
    the handover export. Returns {"households", "persons", "forgotten", "compacted"}."""
    from . import closing, inquiries, shelters
    from .errors import Conflict

    who = access.acting(actor, role)
    with write(db):  # every connection zeroes what it deletes (PRAGMA secure_delete, db.connect)
        shelter = shelters.get(db, shelter_id)
        access.require(who, "purge", shelter["id"])
        info = closing.status(db, shelter["id"])
        if shelter["state"] != "closed":
            raise Conflict("個人情報の消去は閉鎖した避難所だけです。",
                           "Personal data is removed only from a closed shelter.")
        if not info["exported"]:
            raise Conflict("本部への引き渡し（名簿の出力）の前には消去できません。先に引き渡してください。",
                           "Personal data cannot be removed before the handover export to HQ. Export first.")
        names = [n for row in db.execute("select p.name, p.kana from persons p join households h "
                                         "on h.id = p.household_id where h.shelter_id = ?", [shelter["id"]])
                 for n in row if n]
        asked = inquiries.about(db, shelter["id"], names)
        households_n, persons_n, counts = _summary(db, shelter["id"])
        emit(db, "handover.purged", {"summary_id": new_id(), "households": households_n, "persons": persons_n,
                                     "counts": counts, "inquiries": asked}, actor=who, shelter_id=shelter["id"])
        forgotten = forget_subjects(db, shelter_id=shelter["id"], subjects=[inquiries.subject(i) for i in asked])
        # the edge's rate limit of residents' requests: salted client hashes, kept no longer than the shelter
        if "resident_request_throttle" in db.table_names():
            db.execute("delete from resident_request_throttle where shelter_id = ?", [shelter["id"]])
    compacted = compact_file(db) if compact else False
    return {"households": households_n, "persons": persons_n, "forgotten": forgotten, "compacted": compacted}


@applies("handover.purged", live=False)
def _purged(db, e):
    """Blank every declared personal column of the shelter's rows (and of the inquiries about its people)."""
    sid = e.shelter_id
    for table, spec in personal_tables().items():
        if table not in db.table_names():
            continue
        if spec.json_column:
            _blank_json(db, table, spec, sid)
            continue
        if spec.delete:
            db.execute(f"delete from [{table}] where {spec.rows}", [sid])
            continue
        sets = ", ".join(f"[{c.name}] = null" if c.blank is None else
                         f"[{c.name}] = case when [{c.name}] is null or [{c.name}] = '' then [{c.name}] else ? end"
                         if c.blank == REMOVED else f"[{c.name}] = ?" for c in spec.columns)
        args = [c.blank for c in spec.columns if c.blank is not None]
        if spec.reset:
            sets += ", " + spec.reset
        if spec.rows is None:  # the inquiries the purge named
            ids = e.data.get("inquiries") or []
            if ids:
                db.execute(f"update [{table}] set {sets} where id in (select value from json_each(?))",
                           [*args, json.dumps(ids)])
        else:
            db.execute(f"update [{table}] set {sets} where {spec.rows}", [*args, sid])
    db.execute("delete from inquiry_matches where shelter_id = ?", [sid])
    db.execute("insert into purge_summaries (id, shelter_id, purged_at, households, persons, counts) "
               "values (?, ?, ?, ?, ?, ?)", [e.data["summary_id"], sid, e.at, e.data["households"],
                                             e.data["persons"], json.dumps(e.data["counts"], sort_keys=True)])
    db.execute("insert into closings (shelter_id, purged_at, purged_by) values (?, ?, ?) on conflict (shelter_id) "
               "do update set purged_at = excluded.purged_at, purged_by = excluded.purged_by, compacted_at = null",
               [sid, e.at, e.actor.user])


def _blank_json(db, table, spec, shelter_id):
    for row_id, raw in db.execute(f"select id, [{spec.json_column}] from [{table}] where {spec.rows}",
                                  [shelter_id]).fetchall():
        doc = json.loads(raw or "{}")
        for column in spec.columns:
            holder, key = doc, column.name
            if "." in key:
                group, key = key.split(".", 1)
                holder = doc.get(group) if isinstance(doc.get(group), dict) else {}
            if holder.get(key) not in (None, ""):
                holder[key] = column.blank
        db.execute(f"update [{table}] set [{spec.json_column}] = ? where id = ?",
                   [json.dumps(doc, ensure_ascii=False, sort_keys=True), row_id])


def compact_file(db, attempts=10):
    """Leave no old page behind: checkpoint the WAL into the file and truncate it, rebuild the file (VACUUM),
    and checkpoint again. Returns True when done; False when another connection kept it from finishing (a
    long read): the purge stays owed a compaction, which `purge_due` (app start, `shelter-ops purge --due`)
    retries."""
    import sqlite3
    import time

    owed = [r[0] for r in db.execute("select shelter_id from closings where purged_at is not null "
                                     "and compacted_at is null order by shelter_id")]
    # a TRUNCATE checkpoint waits the whole busy timeout for each reader: keep each try short
    timeout = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute("PRAGMA busy_timeout=100")
    try:
        with alone(db):  # no shared transaction of this process open meanwhile (db.write, group commit)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # VACUUM builds a copy of the whole file as temporary data, which db.connect keeps in memory:
            # a copy as large as the file (gigabytes at a prefecture's HQ) goes to a temporary file instead
            temp_store = db.execute("PRAGMA temp_store").fetchone()[0]
            db.execute("PRAGMA temp_store=FILE")
            try:
                db.execute("VACUUM")
            finally:
                db.execute(f"PRAGMA temp_store={int(temp_store)}")
            for _ in range(attempts):
                busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    break
                time.sleep(0.05)
            else:
                return False
    except sqlite3.OperationalError:
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout={int(timeout)}")
    if owed:
        with write(db):
            emit(db, "privacy.compacted", {"shelters": owed}, actor="system")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the event's own pages: nothing personal, but tidy
    return True


@applies("privacy.compacted", live=False)
def _compacted(db, e):
    db.execute("update closings set compacted_at = ? where shelter_id in (select value from json_each(?))",
               [e.at, json.dumps(e.data["shelters"])])


def compaction_owed(db):
    return db.execute("select 1 from closings where purged_at is not null and compacted_at is null").fetchone() is not None


def _day(value):
    """A calendar day in Japan: from a date, a datetime (any zone) or 'YYYY-MM-DD'."""
    if isinstance(value, datetime):
        return value.astimezone(clock.JST).date() if value.tzinfo else value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def purge_due(db, today=None, *, retention_days=30, actor="retention"):
    """Purge every shelter handed over and closed `retention_days` or more days before `today` (Japan's
    calendar day, default now: between 00:00 and 09:00 JST it is already the next day, unlike UTC's).
    Returns {"purged": [shelter ids], "not_exported": [shelter ids]}: a closed shelter never handed over is
    not purged (its roster would be lost) but listed, so HQ can export it."""
    from . import closing, shelters

    cutoff = _day(today or clock.local_date()) - timedelta(days=retention_days)
    out = {"purged": [], "not_exported": []}
    for shelter in shelters.list_all(db, state="closed"):
        if not shelter["closed_at"] or parse_time(shelter["closed_at"]).astimezone(clock.JST).date() > cutoff:
            continue
        info = closing.status(db, shelter["id"])
        if info["purged"]:
            continue
        if not info["exported"]:
            out["not_exported"].append(shelter["id"])
            continue
        purge(db, shelter["id"], actor=actor, role="hq", compact=False)
        out["purged"].append(shelter["id"])
    if out["purged"] or compaction_owed(db):
        compact_file(db)
    return out


def summaries(db, shelter_id):
    cur = db.execute("select * from purge_summaries where shelter_id = ? order by purged_at", [shelter_id])
    cols = [c[0] for c in cur.description]
    return [{**dict(zip(cols, r)), "counts": json.loads(r[cols.index("counts")])} for r in cur.fetchall()]


# --- what an export must mask: the values that identify a 非公開 person ---

# vocabulary-like columns: blanked in their rows, but not searched for elsewhere ("妻", "ja" are no one)
NOT_IDENTIFYING = {"relation", "nationality", "language", "home_damage", "age", "care_codes", "allergens"}


def hidden_values(db, shelter_id):
    """Every identifying value (≥ 2 characters) of the shelter's households with a 非公開 person (their
    members' and the household's contact details), longest first: the handover's event log masks them."""
    household = _household_columns()
    hcols = [c for c in household["households"] if c not in NOT_IDENTIFYING]
    pcols = [c for c in household["persons"] if c not in NOT_IDENTIFYING]
    hidden = "exists (select 1 from persons q where q.household_id = h.id and q.non_disclosure = 1)"
    values = set()
    for row in db.execute(f"select {', '.join('p.' + c for c in pcols)} from persons p join households h "
                          f"on h.id = p.household_id where h.shelter_id = ? and {hidden}", [shelter_id]):
        values.update(_strings(row))
    for row in db.execute(f"select {', '.join('h.' + c for c in hcols)} from households h where h.shelter_id = ? "
                          f"and {hidden}", [shelter_id]):
        values.update(_strings(row))
    return sorted(values, key=len, reverse=True)


def _strings(row):
    out = set()
    for value in row:
        if value is None or isinstance(value, (int, float)):
            continue
        text = str(value)
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            continue  # code lists (care codes, allergen keys) are vocabulary, not a person
        text = text.strip()
        if len(text) >= 2:
            out.add(text)
            escaped = json.dumps(text)[1:-1]  # as a payload written with ensure_ascii would hold it
            if escaped != text:
                out.add(escaped)
    return out
