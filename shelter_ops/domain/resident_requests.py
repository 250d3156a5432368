"""Residents' requests (要望): from a phone or keyed in from paper, anonymous if they wish; staff handle them."""
import hashlib
from datetime import timedelta

from sqlite_utils.migrations import Migrations

from ..db import event_seen, fetch_all, new_id, now, record_event, write
from . import clock
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


# Blanked by the closing purge (closing.other_personal_columns reads this).
PERSONAL_COLUMNS = {"resident_requests": ["name", "room"]}

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
           client=None, limit=5, window_minutes=60, event_id=None):
    """Record a request. Anonymous: no name or place is stored at all. From a phone, at most
    `limit` requests per client per `window_minutes` (429). Returns the request."""
    if not isinstance(category, str) or category not in CATEGORIES:
        raise Invalid(N_("Choose a category."))
    if not isinstance(source, str) or source not in SOURCES:
        raise Invalid("受付方法が不明です。", "Unknown source.")
    text = free_text(text, "要望の内容", "request")
    name = "" if anonymous else free_text(name, "お名前", "name", required=False, limit=100)
    room = "" if anonymous else free_text(room, "場所", "place", required=False, limit=100)
    item = {
        "id": new_id(),
        "shelter_id": shelter_id,
        "category": category,
        "text": text,
        "name": name or None,
        "room": room or None,
        "source": source,
        "status": "open",
        "created_by": actor,
        "created_at": now(),
    }
    with write(db):
        if event_seen(db, event_id):
            return None
        if client:
            since = (clock.utcnow() - timedelta(minutes=window_minutes)).replace(microsecond=0).isoformat()
            db.execute("delete from resident_request_throttle where at < ?", [since])
            sent = db.execute("select count(*) from resident_request_throttle where client = ? and at >= ?",
                              [client, since]).fetchone()[0]
            if sent >= limit:
                raise TooMany(N_("Too many requests sent. Wait about %(minutes)s minutes, or tell the staff at "
                                 "reception."), params={"minutes": window_minutes})
            db["resident_request_throttle"].insert({"client": client, "shelter_id": shelter_id, "at": item["created_at"]})
        db["resident_requests"].insert(item)
        # the event says that a request came, not who sent it or what it said
        record_event(db, "resident_request.received", actor=actor, shelter_id=shelter_id, event_id=event_id,
                     payload={"id": item["id"], "category": category, "source": source})
    return item


def get(db, request_id):
    rows = fetch_all(db, "select * from resident_requests where id = ?", [request_id])
    if not rows:
        raise NotFound("要望が見つかりません。", "No such request.")
    return rows[0]


def mark_handled(db, shelter_id, request_id, *, note="", actor):
    """Mark a request handled, with a note of what was done. Returns it."""
    note = free_text(note, "対応内容", "note", required=False, limit=1000)
    with write(db):
        item = get(db, request_id)
        if item["shelter_id"] != shelter_id:
            raise NotFound("要望が見つかりません。", "No such request.")
        if item["status"] == "handled":
            raise Conflict("この要望は対応済みです。", "This request was already handled.")
        db["resident_requests"].update(request_id, {"status": "handled", "handled_by": actor, "handled_at": now(),
                                                    "handled_note": note or None})
        record_event(db, "resident_request.handled", actor=actor, shelter_id=shelter_id, payload={"id": request_id})
    return get(db, request_id)


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
