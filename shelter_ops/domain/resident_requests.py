"""Residents' requests (要望): from a phone or keyed in from paper, anonymous if they wish; staff handle them."""
import hashlib
from datetime import timedelta

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, new_id, now, write
from ..eventlog import applies, done, emit
from . import access, clock, privacy
from .text import free_text
from .errors import N_, Conflict, Invalid, NotFound, TooMany

migrations = Migrations("resident_requests")


@migrations()
def create_resident_requests(db):
    db["resident_requests"].create(
        {
            "id": str,
            "shelter_id": str,
            "category": str,
            "text": str,
            "name": str,  # None when the resident chose to stay anonymous
            "room": str,  # where to find them (zone, place), only when they give a name
            "source": str,  # phone | paper
            "status": str,  # open | handled
            "created_by": str,  # "resident" from a phone, the staff member for paper
            "created_at": str,
            "handled_by": str,
            "handled_at": str,
            "handled_note": str,
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
        defaults={"status": "open"},
    )
    db["resident_requests"].create_index(["shelter_id", "status"])
    # Who sent recently, for the rate limit: a salted hash of the client, never the address itself.
    db["resident_request_throttle"].create({"client": str, "shelter_id": str, "at": str})
    db["resident_request_throttle"].create_index(["client", "at"])


CATEGORIES = {
    "food": ("食事・飲み物", "Food and drink"),
    "supplies": ("物資", "Supplies"),
    "health": ("体調・医療", "Health"),
    "sanitation": ("トイレ・衛生", "Toilets and hygiene"),
    "space": ("居住スペース・寒さ暑さ", "Living space, heat and cold"),
    "information": ("情報・手続き", "Information and procedures"),
    "safety": ("防犯・安全", "Safety and security"),
    "other": ("その他", "Other"),
}
STATUSES = {"open": ("未対応", "Open"), "handled": ("対応済", "Handled")}
SOURCES = {"phone": ("スマートフォン", "Phone"), "paper": ("用紙", "Paper")}



def client_key(address, secret):
    """An opaque key for a client (its IP address), so the rate limit stores no address."""
    return hashlib.sha256(f"{secret}|{address}".encode()).hexdigest()[:32]


def submit(db, shelter_id, *, category, text, name="", room="", anonymous=False, source="phone", actor="resident",
           client=None, limit=5, window_minutes=60, op=None):
    """Record a request. Anonymous: no name or place is stored at all. From a phone, at most
    `limit` requests per client per `window_minutes` (429). Returns the request."""
    if not isinstance(category, str) or category not in CATEGORIES:
        raise Invalid(N_("Choose a category."))
    if not isinstance(source, str) or source not in SOURCES:
        raise Invalid("受付方法が不明です。", "Unknown source.")
    text = free_text(text, "要望の内容", "request", missing=N_("Write what you need."),
                     too_long=N_("Your request can have at most %(n)s characters."))
    name = "" if anonymous else free_text(name, "お名前", "name", required=False, limit=100,
                                          too_long=N_("The name can have at most %(n)s characters."))
    room = "" if anonymous else free_text(room, "場所", "place", required=False, limit=100,
                                          too_long=N_("The place can have at most %(n)s characters."))
    plain, personal = privacy.split({"text": text, "name": name or None, "room": room or None})
    item = {"id": new_id(), "category": category, "source": source}
    with write(db):
        if source == "paper":  # keyed in by staff from a paper slip; a phone needs no account
            access.require(actor, "key_in_resident_request", shelter_id)
        first = done(db, op, kind="resident_request.received")
        if first is not None:
            return get(db, first.data["id"])
        if client:
            stamp = now()
            since = (clock.utcnow() - timedelta(minutes=window_minutes)).replace(microsecond=0).isoformat()
            # the rate limit is the edge's, not the record's (eventlog.NOT_PROJECTIONS)
            db.execute("delete from resident_request_throttle where at < ?", [since])
            sent = db.execute("select count(*) from resident_request_throttle where client = ? and at >= ?",
                              [client, since]).fetchone()[0]
            if sent >= limit:
                raise TooMany(N_("Too many requests sent. Wait about %(n)s minutes, or tell the staff at reception."),
                              params={"n": window_minutes})
            db.execute("insert into resident_request_throttle (client, shelter_id, at) values (?, ?, ?)",
                       [client, shelter_id, stamp])
        # what was asked, and by whom if they said, is sealed: the purge forgets it with the shelter's key
        emit(db, "resident_request.received", {**item, **plain}, personal=personal, actor=actor,
             shelter_id=shelter_id, op=op)
    return get(db, item["id"])



@applies("resident_request.received", live=False)
def _received(db, e):
    fact = lambda key: privacy.fact(e, "resident_requests", key)  # noqa: E731
    db.execute("insert into resident_requests (id, shelter_id, category, text, name, room, source, status, "
               "created_by, created_at) values (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
               [e.data["id"], e.shelter_id, e.data["category"], fact("text"), fact("name"), fact("room"),
                e.data["source"], e.actor.user, e.at])


def get(db, request_id):
    rows = fetch_all(db, "select * from resident_requests where id = ?", [request_id])
    if not rows:
        raise NotFound("要望が見つかりません。", "No such request.")
    return rows[0]


def mark_handled(db, shelter_id, request_id, *, note="", actor, op=None):
    """Mark a request handled, with a note of what was done. Returns it."""
    plain, personal = privacy.split({"handled_note": free_text(note, "対応内容", "note", required=False,
                                                               limit=1000) or None})
    with write(db):
        access.require(actor, "handle_resident_request", shelter_id)
        if done(db, op, kind="resident_request.handled") is not None:
            return get(db, request_id)
        item = get(db, request_id)
        if item["shelter_id"] != shelter_id:
            raise NotFound("要望が見つかりません。", "No such request.")
        if item["status"] == "handled":
            raise Conflict("この要望は対応済みです。", "This request was already handled.")
        emit(db, "resident_request.handled", {"id": request_id, **plain}, personal=personal, actor=actor,
             shelter_id=shelter_id, op=op)
    return get(db, request_id)


@applies("resident_request.handled", live=False)
def _handled(db, e):
    db.execute("update resident_requests set status = 'handled', handled_by = ?, handled_at = ?, handled_note = ? "
               "where id = ?", [e.actor.user, e.at, privacy.fact(e, "resident_requests", "handled_note"),
                                e.data["id"]])


def inbox(db, shelter_id, status=None):
    """The shelter's requests, open ones first, newest first within each."""
    sql = "select * from resident_requests where shelter_id = ?"
    args = [shelter_id]
    if status:
        sql += " and status = ?"
        args.append(status)
    return fetch_all(db, sql + " order by case status when 'open' then 0 else 1 end, created_at desc, rowid desc", args)


def counts(db, shelter_id):
    """{'open': n, 'handled': n}"""
    out = {key: 0 for key in STATUSES}
    for status, n in db.execute("select status, count(*) from resident_requests where shelter_id = ? group by status",
                                [shelter_id]).fetchall():
        out[status] = n
    return out
