"""The daily log (運営日誌) and announcements to residents (お知らせ), per shelter."""
import json
import unicodedata
from datetime import datetime, timedelta, timezone

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, new_id, now, write
from ..eventlog import applies, done, emit
from . import access, privacy
from .text import free_text
from .clock import JST, local_to_utc, parse_day, today
from . import notices
from .errors import Conflict, Invalid, NotFound

migrations = Migrations("daylog")

# Japan has no daylight saving time: a fixed offset needs no tz database on a Windows laptop.


@migrations()
def create_daylog(db):
    db["daylog_entries"].create(
        {
            "id": str,
            "shelter_id": str,
            "day": str,  # the shelter's calendar day (JST), YYYY-MM-DD
            "kind": str,
            "period": str,  # morning | evening: a status entry carrying the head count
            "count": int,
            "text": str,
            "author": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    db["daylog_entries"].create_index(["shelter_id", "day"])
    db["announcements"].create(
        {
            "id": str,
            "shelter_id": str,
            "ja": str,
            "en": str,
            "starts_at": str,  # ISO UTC, like every stored time
            "ends_at": str,  # None: until withdrawn
            "created_by": str,
            "created_at": str,
            "withdrawn_by": str,
            "withdrawn_at": str,
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    db["announcements"].create_index(["shelter_id", "starts_at"])


@migrations()
def announcements_from_the_library(db):
    """A notice from the library keeps its key and blanks, so each resident reads it in their language (#14)."""
    db["announcements"].add_column("notice", str)
    db["announcements"].add_column("notice_values", str)


KINDS = {
    "status": ("状況", "Status"),
    "incident": ("事案・トラブル", "Incident"),
    "decision": ("決定事項", "Decision"),
    "handover": ("引継ぎ", "Hand-over"),
    "complaint": ("要望・苦情", "Complaint / request"),
}
PERIODS = {"morning": ("朝", "Morning"), "evening": ("夕", "Evening")}



# --- the daily log ---

def add_entry(db, shelter_id, *, kind, text, author, day=None, period=None, count=None, op=None):
    """Write an entry in the shelter's daily log. A status entry may carry the morning or evening
    head count (period + count). `author`: the Actor (or a name: the system). Returns the entry (a
    retried `op`: the first one)."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise Invalid("種類を選んでください: " + "・".join(v[0] for v in KINDS.values()),
                      "Choose a kind: " + ", ".join(v[1] for v in KINDS.values()))
    period = period or None
    if period and (not isinstance(period, str) or period not in PERIODS):
        raise Invalid("朝か夕を選んでください。", "Choose morning or evening.")
    if count in ("", None):
        count = None
    else:
        try:
            count = int(unicodedata.normalize("NFKC", str(count)).strip())
        except ValueError:
            raise Invalid("人数は数字で入力してください。", "Enter the head count as a number.") from None
        if count < 0:
            raise Invalid("人数は0以上にしてください。", "The head count cannot be negative.")
    if (period is None) != (count is None):
        raise Invalid("人数と朝・夕を両方入力してください。", "Give both the head count and morning or evening.")
    if period and kind != "status":
        raise Invalid("人数は「状況」の記録に書いてください。", "Head counts belong in a status entry.")
    entry = {"id": new_id(), "day": parse_day(day) if day else today(), "kind": kind, "period": period,
             "count": count}
    plain, personal = privacy.split({"text": free_text(text, "内容", "text", required=period is None, limit=2000)})
    with write(db):
        access.require(author, "write_log", shelter_id)
        first = done(db, op, kind="daylog.entry_added")
        if first is not None:
            return _entry(db, first.data["id"])
        emit(db, "daylog.entry_added", {**entry, **plain}, personal=personal, actor=author, shelter_id=shelter_id,
             op=op)
        return _entry(db, entry["id"])



def _entry(db, entry_id):
    found = fetch_all(db, "select * from daylog_entries where id = ?", [entry_id])
    return found[0] if found else None


@applies("daylog.entry_added", live=False)
def _entry_added(db, e):
    db.execute("insert into daylog_entries (id, shelter_id, day, kind, period, count, text, author, at) "
               "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [e.data["id"], e.shelter_id, e.data["day"], e.data["kind"], e.data["period"], e.data["count"],
                privacy.fact(e, "daylog_entries", "text"), e.actor.user, e.at])


def entries(db, shelter_id, day, kind=None):
    """The daily log entries of one shelter for one day (YYYY-MM-DD, JST), oldest first.

    Each entry: id, day, kind, period, count, text, author, at (ISO UTC). For the 運営日誌 on
    screen and on paper. kind: only entries of that kind.
    """
    sql = "select * from daylog_entries where shelter_id = ? and day = ?"
    args = [shelter_id, parse_day(day)]
    if kind:
        sql += " and kind = ?"
        args.append(kind)
    return fetch_all(db, sql + " order by at, rowid", args)


def days(db, shelter_id, *, limit=60):
    """The days that have entries, newest first."""
    return [r["day"] for r in fetch_all(db, "select distinct day from daylog_entries where shelter_id = ? "
                                        "order by day desc limit ?", [shelter_id, limit])]


def day_view(db, shelter_id, day):
    """One day of the 運営日誌: entries grouped by kind, counts per kind, the morning and evening
    head counts (the latest status entry of each period; today, `now` from the check-in roster),
    arrivals and departures, the supplies received and distributed, and residents' requests
    received and handled that day."""
    from . import households

    day = parse_day(day)
    rows = entries(db, shelter_id, day)
    by_kind = {key: [] for key in KINDS}
    headcounts = {"morning": None, "evening": None, "now": None}
    for row in rows:
        by_kind[row["kind"]].append(row)
        if row["period"]:
            headcounts[row["period"]] = row["count"]
    if day == today():
        headcounts["now"] = households.present_counts(db).get(shelter_id, {}).get("total", 0)
    start, end = _day_bounds(day)
    moves = []
    if db["supply_moves"].exists():
        moves = fetch_all(db, "select item, unit, direction, sum(quantity) as quantity from supply_moves "
                          "where shelter_id = ? and at >= ? and at < ? group by item, unit, direction "
                          "order by direction, item", [shelter_id, start, end])
        for move in moves:
            if float(move["quantity"]).is_integer():
                move["quantity"] = int(move["quantity"])
    return {
        "day": day,
        "entries": rows,
        "by_kind": by_kind,
        "counts": {key: len(v) for key, v in by_kind.items()},
        "headcounts": headcounts,
        "movements": movements(db, shelter_id, start, end),
        "supplies": moves,
        "resident_requests": _resident_requests(db, shelter_id, start, end),
    }


def movements(db, shelter_id, start, end):
    """Arrivals and departures between two ISO UTC times, from the movements projection (the same
    figures as the dashboard and the status report)."""
    from .households import movements

    return movements.between(db, shelter_id, start, end)


def _resident_requests(db, shelter_id, start, end):
    if not db["resident_requests"].exists():
        return {"received": 0, "handled": 0}
    received = db.execute("select count(*) from resident_requests where shelter_id = ? and created_at >= ? "
                          "and created_at < ?", [shelter_id, start, end]).fetchone()[0]
    handled = db.execute("select count(*) from resident_requests where shelter_id = ? and handled_at >= ? "
                         "and handled_at < ?", [shelter_id, start, end]).fetchone()[0]
    return {"received": received, "handled": handled}


def _day_bounds(day):
    start = datetime.fromisoformat(day).replace(tzinfo=JST)
    as_utc = lambda m: m.astimezone(timezone.utc).isoformat()  # noqa: E731
    return as_utc(start), as_utc(start + timedelta(days=1))


# --- announcements (お知らせ) ---

def add_announcement(db, shelter_id, *, ja="", en="", notice=None, values=None, starts_at=None, ends_at=None, actor,
                     op=None):
    """An announcement to residents in Japanese (and English), shown from `starts_at` (default now)
    until `ends_at` (None = until withdrawn). Times are ISO with an offset, or local Japan time
    without one (as a tablet's datetime-local field sends them). `notice` (a key of the notices
    library) with its blank `values` instead of ja/en: shown in each reader's language. Returns it."""
    if notice:
        values = notices.check_values(notice, values)
        ja, en = notices.plain_text(notice, values, "ja"), notices.plain_text(notice, values, "en")
    starts = local_to_utc(starts_at) or now()
    ends_at = local_to_utc(ends_at)
    if ends_at and ends_at <= starts:
        raise Invalid("終了は開始より後にしてください。", "The end must be after the start.")
    item = {"id": new_id(), "starts_at": starts, "ends_at": ends_at or None}
    plain, personal = privacy.split({
        "ja": free_text(ja, "お知らせ（日本語）", "announcement in Japanese", limit=500),
        "en": free_text(en, "お知らせ（英語）", "announcement in English", required=False, limit=500)})
    # a notice of the library: its key and blank values travel plain (the blanks are times and places)
    item["notice"] = notice or None
    item["notice_values"] = json.dumps(values, ensure_ascii=False) if notice else None
    with write(db):
        access.require(actor, "announce", shelter_id)
        first = done(db, op, kind="announcement.added")
        if first is not None:
            return _announcement(db, first.data["id"])
        emit(db, "announcement.added", {**item, **plain}, personal=personal, actor=actor, shelter_id=shelter_id,
             op=op)
        return _announcement(db, item["id"])


def _announcement(db, announcement_id):
    found = fetch_all(db, "select * from announcements where id = ?", [announcement_id])
    return found[0] if found else None


@applies("announcement.added", live=False)
def _announced(db, e):
    db.execute("insert into announcements (id, shelter_id, ja, en, notice, notice_values, starts_at, ends_at, "
               "created_by, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [e.data["id"], e.shelter_id, privacy.fact(e, "announcements", "ja"),
                privacy.fact(e, "announcements", "en"), e.data.get("notice"), e.data.get("notice_values"),
                e.data["starts_at"], e.data["ends_at"], e.actor.user, e.at])


def withdraw_announcement(db, shelter_id, announcement_id, *, actor, op=None):
    """Take an announcement down now."""
    with write(db):
        access.require(actor, "announce", shelter_id)
        if done(db, op, kind="announcement.withdrawn") is not None:
            return
        rows = fetch_all(db, "select * from announcements where id = ? and shelter_id = ?", [announcement_id, shelter_id])
        if not rows:
            raise NotFound("お知らせが見つかりません。", "No such announcement.")
        if rows[0]["withdrawn_at"]:
            raise Conflict("このお知らせは取り下げ済みです。", "This announcement was already taken down.")
        emit(db, "announcement.withdrawn", {"id": announcement_id}, actor=actor, shelter_id=shelter_id, op=op)


@applies("announcement.withdrawn", live=False)
def _withdrawn(db, e):
    db.execute("update announcements set withdrawn_by = ?, withdrawn_at = ? where id = ?",
               [e.actor.user, e.at, e.data["id"]])


def announcements(db, shelter_id, *, include_past=True):
    """Every announcement of the shelter for the editor, newest first, each with `live` (shown now)."""
    stamp = now()
    rows = fetch_all(db, "select * from announcements where shelter_id = ? order by starts_at desc, rowid desc",
                 [shelter_id])
    for row in rows:
        row["live"] = _live(row, stamp)
    return [r for r in rows if include_past or r["live"] or r["starts_at"] > stamp]


def _live(row, stamp):
    return not row["withdrawn_at"] and row["starts_at"] <= stamp and (not row["ends_at"] or stamp < row["ends_at"])


def current_announcements(db, shelter_id, at=None):
    """The announcements shown to residents now: [{"id", "ja", "en", "notice", "values", "starts_at",
    "ends_at"}], newest first. Public: nothing here names a person or staff member."""
    stamp = at or now()
    rows = fetch_all(db, """
        select id, ja, en, notice, notice_values, starts_at, ends_at from announcements
        where shelter_id = ? and withdrawn_at is null and starts_at <= ? and (ends_at is null or ends_at > ?)
        order by starts_at desc, rowid desc""", [shelter_id, stamp, stamp])
    for row in rows:
        row["values"] = json.loads(row.pop("notice_values") or "{}")
    return rows
