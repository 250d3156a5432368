"""Shelter nodes and HQ: the events that travel between them, by HTTP or on a USB stick (SYNC.md).

One wire format for both ways and both paths: a *bundle*, gzip JSON lines (a header, the events as
stored rows, the subject keys their personal facts are sealed with), encrypted and authenticated with
AES-GCM under the node's sync key (made at pairing, known to HQ and that node only). So a bundle
altered on the way, or made by anyone else, is refused whole, and a lost USB stick gives nobody the
names on it.

Receiving is the same everywhere: insert or ignore by event id, only in gap-free order per origin
(an event past a gap waits in `sync_held` until the gap is filled), then the same `apply` as for
local events. A batch cut off half way is one transaction that never committed; a batch or a file
that comes twice changes nothing more. An event whose step is no longer legal when it arrives (HQ
answered a supply request the shelter had cancelled) is kept in the log, its effect not applied, and
recorded as a conflict that both sides see.
"""
import base64
import functools
import gzip
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils.migrations import Migrations

from . import eventlog
from .db import write
from .domain import clock
from .domain.errors import DomainError, Forbidden, Invalid

migrations = Migrations("sync")

FORMAT = "shelter-ops-sync/1"
BATCH = 1000  # events per batch (SYNC.md §3)
# Events HQ makes without a shelter that every node needs (settings, city-wide announcements).
GLOBAL_PREFIXES = ("setting.", "announcement.")
# Every shelter's registry facts and state go to every node (public facts: a node sends a family to the
# nearest open shelter, or transfers one there), never anything else of another shelter.
REGISTRY_PREFIXES = ("shelter.",)


@migrations()
def index_events_by_household(db):
    db.execute("create index if not exists events_household on events (json_extract(payload, '$.household_id'))")


@migrations()
def create_sync(db):
    db["sync_held"].create({"id": str, "origin": str, "seq": int, "row": str}, pk="id")
    db["sync_held"].create_index(["origin", "seq"])
    db["sync_conflicts"].create({"event_id": str, "kind": str, "shelter_id": str, "origin": str, "reason_ja": str,
                                 "reason_en": str, "at": str}, pk="event_id")


@migrations()
def index_only_household_events(db):
    """events_household holds the events of households only: an import's row, a head count or a log
    entry no longer costs an index entry (a NULL) on every insert. The lookup by household uses it as
    before (`json_extract(...) = ?` implies `is not null`)."""
    db.execute("drop index if exists events_household")
    db.execute("create index events_household on events (json_extract(payload, '$.household_id')) "
               "where json_extract(payload, '$.household_id') is not null")


# --- bundles ---

def _b64(data):
    return base64.b64encode(data).decode("ascii") if data is not None else None


def _unb64(text):
    return base64.b64decode(text) if text is not None else None


def seal_bundle(key, header, rows, keys):
    """The bytes of a bundle: `header` (a dict naming its `sender`), event rows (dicts of
    eventlog.COLUMNS), subject keys [(subject, shelter_id, key)]. Only the first line is plain: the
    format and the sender, so the receiver knows which key opens it."""
    lines = [json.dumps({**header, "format": FORMAT, "events": len(rows)}, ensure_ascii=False)]
    for row in rows:
        lines.append(json.dumps({"e": _portable(row)}, ensure_ascii=False))
    for subject, shelter_id, secret in keys:
        lines.append(json.dumps({"k": [subject, shelter_id, _b64(secret)]}))
    body = gzip.compress("\n".join(lines).encode("utf-8"), compresslevel=6)
    first = f"{FORMAT} {header['sender']}\n".encode()
    nonce = os.urandom(12)
    return first + nonce + AESGCM(key).encrypt(nonce, body, first)


BAD_BUNDLE = ("同期ファイルが壊れているか、この端末との組み合わせのものではありません。何も取り込んでいません。",
              "The sync file is damaged or was not made for this pairing. Nothing was imported.")


def bundle_sender(blob):
    """The sender a bundle names on its plain first line. :raise Invalid: not a bundle."""
    first, _, _rest = blob[:200].partition(b"\n")
    parts = first.decode("ascii", "replace").split(" ")
    if len(parts) != 2 or parts[0] != FORMAT or not _rest:
        raise Invalid("同期ファイルではありません。", "This is not a shelter-ops sync file.", code="NotSyncBundle")
    return parts[1]


def open_bundle(key, blob, *, sender=None):
    """(header, rows, keys) of a bundle. :raise Invalid: altered, truncated, made with another key or by
    another sender than `sender`: nothing of it is used."""
    named = bundle_sender(blob)
    if sender is not None and named != sender:
        raise Invalid(*BAD_BUNDLE, code="BadSyncBundle")
    first_len = blob.index(b"\n") + 1
    first, nonce, sealed = blob[:first_len], blob[first_len:first_len + 12], blob[first_len + 12:]
    try:
        lines = gzip.decompress(AESGCM(key).decrypt(nonce, sealed, first)).decode("utf-8").split("\n")
    except (InvalidTag, OSError, EOFError, UnicodeDecodeError, ValueError):
        raise Invalid(*BAD_BUNDLE, code="BadSyncBundle") from None
    header = json.loads(lines[0])
    rows, keys = [], []
    for line in lines[1:]:
        item = json.loads(line)
        if "e" in item:
            row = item["e"]
            row["sealed"] = _unb64(row["sealed"])
            rows.append(row)
        else:
            subject, shelter_id, secret = item["k"]
            keys.append((subject, shelter_id, _unb64(secret)))
    if header.get("events") != len(rows) or header.get("sender") != named:
        raise Invalid(*BAD_BUNDLE, code="BadSyncBundle")
    return header, rows, keys


# --- what travels ---

def own_events(db, *, after_seq, limit=BATCH):
    """This install's own events past `after_seq` (what a node pushes), in order."""
    cur = db.execute(f"select {', '.join(eventlog.COLUMNS)} from events where origin = ? and seq > ? "
                     "order by seq limit ?", [eventlog.node_id(db), after_seq, limit])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def keys_for(db, rows):
    """The subject keys the rows' personal facts are sealed with (those still kept: purged ones are gone)."""
    subjects = sorted({r["subject"] for r in rows if r["subject"]})
    if not subjects:
        return []
    found = []
    for i in range(0, len(subjects), 500):
        part = subjects[i:i + 500]
        found += db.execute(f"select subject, shelter_id, key from subject_keys where subject in "
                            f"({','.join('?' * len(part))})", part).fetchall()
    return found


def event_shelters(row):
    """Every shelter an event concerns: its own, and where a household moves from or to."""
    data = json.loads(row["payload"] or "{}") if isinstance(row.get("payload"), str) else {}
    found = {row["shelter_id"]} | {data.get(k) for k in ("from", "to", "from_shelter_id", "to_shelter_id")}
    found.discard(None)
    return found


def feed_for(db, shelter_ids, origin, *, after_rowid, limit=BATCH):
    """What HQ sends a node (pull): events past `after_rowid` in HQ's own order that concern the node's
    shelters, every shelter's registry and state, HQ's city-wide settings and announcements; never the
    node's own, never other shelters' households or logs (a node holds personal data of its own shelters
    only). Returns (rows with `rowid`, last rowid looked at)."""
    wanted = set(shelter_ids)
    out, last, sent = [], after_rowid, set()
    while len(out) < limit:
        chunk = eventlog.rows(db, after_rowid=last, limit=limit * 4)
        if not chunk:
            break
        for row in chunk:
            last = row["rowid"]
            if row["origin"] == origin:
                continue
            if row["kind"] == "household.transferred_in" and row["shelter_id"] in wanted:
                # a family transferred here: its whole record comes with it (the node ignores what it has)
                for earlier in household_history(db, json.loads(row["payload"])["household_id"], row["rowid"]):
                    if earlier["id"] not in sent and earlier["origin"] != origin:
                        out.append(earlier)
                        sent.add(earlier["id"])
            if row["id"] in sent:
                continue
            if (event_shelters(row) & wanted or row["kind"].startswith(REGISTRY_PREFIXES)
                    or (row["shelter_id"] is None and row["kind"].startswith(GLOBAL_PREFIXES))):
                out.append(row)
                sent.add(row["id"])
                if len(out) >= limit:
                    break
    return out, last


def household_history(db, household_id, before_rowid):
    """Every event of a household before `before_rowid`, in HQ's order (index events_household)."""
    cur = db.execute(f"select rowid, {', '.join(eventlog.COLUMNS)} from events where "
                     "json_extract(payload, '$.household_id') = ? and rowid < ? order by rowid",
                     [household_id, before_rowid])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


# --- receiving ---

def gap_free(db, origin):
    """The highest sequence number of `origin` such that this database holds every one up to it."""
    return db.execute("select coalesce(max(seq), 0) from events where origin = ?", [origin]).fetchone()[0]


def receive(db, rows, keys, *, allowed=None, whole_streams=True):
    """Store and apply events from elsewhere, in one transaction. `allowed(row)` may refuse a row
    (:raise Forbidden:), which refuses the whole batch. Returns {"applied", "known", "held", "conflicts"}.

    `whole_streams` (a node's own events arriving at HQ): each origin's events are applied in sequence
    order only, one past a gap waiting in sync_held. HQ's feed to a node is a selection, in HQ's order
    (whole_streams=False): it has gaps by design and is applied as it comes."""
    eventlog.load_handlers()
    return eventlog.apply_carefully(db, lambda careful: _receive(db, rows, keys, allowed, whole_streams, careful))


def _receive(db, rows, keys, allowed, whole_streams, careful):
    """receive() inside its write(); `careful` as eventlog.store_and_apply's."""
    counts = {"applied": 0, "known": 0, "held": 0, "conflicts": 0, "local": 0}
    for row in rows:
        if allowed is not None:
            allowed(row)
    now = clock.now()
    db.conn.executemany("insert or ignore into subject_keys (subject, shelter_id, key, created_at) "
                        "values (?, ?, ?, ?)", [(subject, shelter_id, secret, now)
                                                for subject, shelter_id, secret in keys])
    eventlog.remember_keys(db, [row["subject"] for row in rows if row["sealed"] is not None])
    known = _known(db, [row["id"] for row in rows])
    ready, expected = [], {}  # origin -> the sequence number that may be applied next
    for row in sorted(rows, key=lambda r: (r["origin"], r["seq"])):
        if row["id"] in known:
            counts["known"] += 1
            continue
        known.add(row["id"])
        if not whole_streams:
            ready.append(row)
            continue
        origin = row["origin"]
        if origin not in expected:
            expected[origin] = gap_free(db, origin) + 1
        if row["seq"] == expected[origin]:
            ready.append(row)
            expected[origin] += 1
        elif row["seq"] > expected[origin]:
            db.execute("insert or ignore into sync_held (id, origin, seq, row) values (?, ?, ?, ?)",
                       [row["id"], origin, row["seq"], json.dumps(_portable(row))])
            counts["held"] += 1
        else:
            counts["known"] += 1
    _store_and_apply(db, ready, counts, careful)
    for origin in {row["origin"] for row in rows} if whole_streams else ():
        _drain_held(db, origin, counts, careful)
    return counts


def _known(db, ids):
    """Which of these event ids this database holds already."""
    found = set()
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        found.update(r[0] for r in db.execute(f"select id from events where id in ({','.join('?' * len(part))})",
                                              part))
    return found


def _portable(row):
    return {**{c: row[c] for c in eventlog.COLUMNS}, "sealed": _b64(row["sealed"])}


def _drain_held(db, origin, counts, careful):
    while True:
        held = db.execute("select id, row from sync_held where origin = ? and seq = ?",
                          [origin, gap_free(db, origin) + 1]).fetchone()
        if held is None:
            db.execute("delete from sync_held where origin = ? and seq <= ?", [origin, gap_free(db, origin)])
            return
        row = json.loads(held[1])
        row["sealed"] = _unb64(row["sealed"])
        db.execute("delete from sync_held where id = ?", [held[0]])
        counts["held"] -= 1
        _store_and_apply(db, [row], counts, careful)


def _store_and_apply(db, rows, counts, careful):
    """Append and apply (eventlog.store_and_apply); a step no longer legal here is kept in the log and
    listed in sync_conflicts for HQ to see, never merged silently."""
    done = eventlog.store_and_apply(db, rows, refused=lambda row, refusal: _record_conflict(db, row, refusal),
                                    careful=careful)
    counts["applied"] += done["applied"]
    counts["local"] += done["local"]  # kept in the log, never applied here (replay skips it the same way)
    counts["conflicts"] += done["refused"]


def _record_conflict(db, row, refusal):
    db.execute("insert or replace into sync_conflicts (event_id, kind, shelter_id, origin, reason_ja, reason_en, "
               "at) values (?, ?, ?, ?, ?, ?, ?)",
               [row["id"], row["kind"], row["shelter_id"], row["origin"], refusal.ja, refusal.en, row["at"]])


def _node_shelters(db, origin):
    """The shelters of the node `origin`, or None when it is no node; read once per transaction
    (a node's shelters never change inside one, and a pairing is not remembered before it happens)."""
    kept = eventlog.memo(db).setdefault("node_shelters", {})
    if origin in kept:
        return kept[origin]
    row = db.execute("select shelter_ids from nodes where id = ?", [origin]).fetchone()
    if row is None:
        return None
    kept[origin] = _shelter_set(row[0])
    return kept[origin]


@functools.lru_cache(maxsize=64)
def _shelter_set(shelter_ids_json):
    """A node's shelters as a set, parsed once per distinct list (asked for every event received)."""
    return frozenset(json.loads(shelter_ids_json or "[]"))


def permitted(db, row):
    """Whether an event's origin may change this database's tables with it: a node only its own
    shelters (a node's account or token, made for its own desks, stays the node's own business)."""
    shelters = _node_shelters(db, row["origin"])
    if shelters is None:
        return True  # this install's own events, or HQ's arriving at a node
    return row["shelter_id"] in shelters or json.loads(row["payload"] or "{}").get("from") in shelters


eventlog.GUARDS.append(permitted)


def conflicts(db, shelter_ids=None):
    sql = "select * from sync_conflicts"
    args = []
    if shelter_ids is not None:
        sql += f" where shelter_id in ({','.join('?' * len(shelter_ids))})"
        args = list(shelter_ids)
    cur = db.execute(sql + " order by at desc", args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def refuse_unless_own(node):
    """The check HQ makes on every event a node sends: its own origin, its own shelters (SYNC.md §5)."""
    shelters = set(node["shelter_ids"])

    def allowed(row):
        if row["origin"] != node["id"]:
            raise Forbidden("この端末は自分の記録しか送れません（別の端末の記録が含まれています）。",
                            "A node may send only its own events (this batch holds another origin's).",
                            code="ForeignOrigin")
        if row["shelter_id"] is not None and row["shelter_id"] not in shelters \
                and json.loads(row["payload"] or "{}").get("from") not in shelters:
            raise Forbidden("この端末の担当でない避難所の記録が含まれています。",
                            "This batch holds events of a shelter this node does not serve.",
                            code="ForeignShelter")

    return allowed


# --- files: the USB stick ---

def import_file(db, blob):
    """`shelter-ops sync import FILE`, or the upload at HQ: a node's bundle at HQ, or HQ's at the node.
    A file imported twice, late or out of order changes nothing more. Returns the counts."""
    from .domain import nodes

    sender = bundle_sender(blob)
    state = nodes.state(db)
    if state is not None:
        if sender != state["hq_node_id"]:
            raise Invalid(*BAD_BUNDLE, code="BadSyncBundle")
        header, rows, keys = open_bundle(bytes(state["sync_key"]), blob, sender=sender)
        with write(db):
            counts = receive(db, rows, keys, whole_streams=False)
            db.execute("update sync_state set pull_mark = max(pull_mark, ?), last_pull_at = ? where id = 1",
                       [int(header.get("mark") or 0), clock.now()])
        return counts
    try:
        node = nodes.get(db, sender)
    except DomainError:
        raise Invalid(*BAD_BUNDLE, code="BadSyncBundle") from None
    if node["revoked_at"]:
        raise Forbidden(*nodes.REVOKED, code="NodeRevoked")
    header, rows, keys = open_bundle(bytes(node["sync_key"]), blob, sender=sender)
    counts = receive(db, rows, keys, allowed=refuse_unless_own(node))
    if counts["applied"]:
        from .domain import duplicates

        duplicates.scan(db, rows)
    nodes.record_contact(db, node, acked_seq=gap_free(db, node["id"]), reported_seq=header.get("last_seq"),
                         version=header.get("version"), direction="file")
    return counts


def export_for_node(db, node_id):
    """HQ's file for a node that has no link: everything HQ holds that the node needs (it ignores what it has)."""
    from .domain import nodes

    node = nodes.get(db, node_id)
    rows, last = feed_for(db, node["shelter_ids"], node["id"], after_rowid=0, limit=10**9)
    header = {"sender": eventlog.node_id(db), "mark": last, "sent_at": clock.now()}
    return seal_bundle(bytes(node["sync_key"]), header, rows, keys_for(db, rows)), len(rows)
