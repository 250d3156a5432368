"""The event log is the record: every change is an event appended here and applied to the state tables.

How to write (DESIGN.md §2):

    with write(db):
        emit(db, "household.checked_in", {"household_id": hid, "persons": 3},
             actor=actor, shelter_id=sid, op=request_id)

`emit` appends the event and runs the one handler registered for its kind:

    @applies("household.checked_in")
    def _checked_in(db, e):            # e.data: the facts; e.at, e.shelter_id, e.actor, e.id
        db.execute("update households set status = 'checked_in', ... where id = ?", [...])

Handlers are the only code that writes state tables. They read nothing but the event and the state
tables (never the clock, never a random number: ids and times travel in the event), so replaying the
log into an empty database rebuilds every table (`replay`). Personal facts go in `personal=`, not in
`data`: they are sealed with a key per subject (a household), and the purge deletes the key, so the
log never has to be rewritten and no personal byte outlives the purge.

Each event carries a time-ordered id (UUIDv7), its origin (this install's node id), a gap-free
sequence number per origin, a hybrid logical clock stamp (causal order across installs whose clocks
disagree, SYNC.md §5), the actor as (origin, user, role), the kind and its schema version.
"""
import json
import os
import uuid
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils.migrations import Migrations

from .db import write, writing
from .domain import clock

migrations = Migrations("events")


@migrations()
def create_events(db):
    # the first round's summary log; kept as it was by the next migration
    db["events"].create(
        {"id": str, "at": str, "actor": str, "shelter_id": str, "kind": str, "payload": str},
        pk="id",
    )


@migrations()
def events_are_the_record(db):
    if db["events"].count:
        db.execute("alter table events rename to events_v1")  # the old summary log, for the audit only
    else:
        db["events"].drop()
    db.execute("""
        create table events (
            id text primary key,          -- UUIDv7
            origin text not null,         -- node id of the install where it happened
            seq integer not null,         -- gap-free per origin
            hlc text not null,            -- hybrid logical clock: '<ms:015>-<counter:05>'
            at text not null,             -- the origin's wall clock, ISO UTC (what screens show)
            kind text not null,
            version integer not null,
            shelter_id text,
            actor text,                   -- the user's name, as screens show it
            actor_role text,
            actor_origin text,
            op text,                      -- the operation (idempotency): one op may emit several events
            subject text,                 -- whose key seals `sealed`
            payload text not null,        -- JSON: the facts that are not personal
            sealed blob,                  -- the personal facts, AES-GCM under the subject's key
            unique (origin, seq)
        )""")
    db.execute("create index events_shelter_at on events (shelter_id, at)")
    db.execute("create index events_kind_at on events (kind, at)")
    db.execute("create index events_op on events (op) where op is not null")
    db.execute("create index events_hlc on events (hlc)")
    db["node"].create({"id": str, "created_at": str, "role": str}, pk="id")
    db["node"].insert({"id": str(uuid.uuid4()), "created_at": clock.now(), "role": "hq"})
    db["subject_keys"].create({"subject": str, "shelter_id": str, "key": bytes, "created_at": str}, pk="subject")
    db["subject_keys"].create_index(["shelter_id"])


# --- kinds and their handlers ---

@dataclass(frozen=True)
class Handler:
    apply: object
    version: int
    live: bool  # whether the occupancy snapshot can change: screens are told after COMMIT


HANDLERS = {}


def applies(kind, *, version=1, live=True):
    """Register the one function that writes state for events of `kind`."""
    def register(function):
        known = HANDLERS.get(kind)
        if known is not None and known.apply.__qualname__ != function.__qualname__:
            raise RuntimeError(f"two handlers for event kind {kind}")
        HANDLERS[kind] = Handler(function, version, live)
        return function

    return register


def _nothing(db, event):
    pass


def log_only(*kinds, live=False):
    """Kinds that change no state table: the event is the whole record (an export, an inquiry answered)."""
    for kind in kinds:
        HANDLERS.setdefault(kind, Handler(_nothing, 1, live))


@dataclass(frozen=True)
class Actor:
    """Who did it: the account's name and role (None for the system itself: CLI, demo, retention), the
    shelter a lead or staff account belongs to, and the install (node) where they acted."""
    user: str
    role: str = None
    shelter_id: str = None
    origin: str = None
    user_id: str = None

    @property
    def is_system(self):
        return self.role is None


def actor_of(value):
    """An Actor from an Actor, a user record (dict with name/role) or a plain name ("desk", "cli")."""
    if isinstance(value, Actor):
        return value
    if isinstance(value, dict):
        return Actor(user=value.get("name") or value.get("user") or "system", role=value.get("role"),
                     shelter_id=value.get("shelter_id"), user_id=value.get("id"))
    return Actor(user=str(value or "system"))


@dataclass
class Event:
    """An event as handlers see it: `data` holds every fact, the personal ones unsealed (None once purged)."""
    id: str
    kind: str
    at: str
    shelter_id: str
    actor: Actor
    data: dict
    origin: str
    seq: int
    hlc: str
    op: str = None
    version: int = 1
    extra: dict = field(default_factory=dict)


# --- identity and clocks ---

def uuid7(ms=None, counter=None):
    """A time-ordered UUID (RFC 9562 version 7): 48 bits of milliseconds, 12 bits of the clock's counter
    (so ids made in one millisecond still sort in order), then randomness."""
    ms = clock.now_ms() if ms is None else ms
    rand = int.from_bytes(os.urandom(10), "big")
    sub = (rand >> 62 & 0xFFF) if counter is None else min(counter, 0xFFF)
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | sub << 64 | 0b10 << 62 | rand & (2**62 - 1)
    h = f"{value:032x}"  # str(uuid.UUID(int=value)), without building the object (made for every row)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def node_id(db):
    """This install's origin id, made once by the migration (and replaced at pairing, SYNC.md §2)."""
    cached = getattr(db, "_node_id", None)
    if cached is None:
        cached = db.execute("select id from node").fetchone()[0]
        db._node_id = cached
    return cached


def forget_node_cache(db):
    db._node_id = None


def parse_hlc(stamp):
    wall, counter = stamp.split("-")
    return int(wall), int(counter)


def format_hlc(wall, counter):
    return f"{wall:015d}-{counter:05d}"


# --- sealing personal facts ---

def memo(db):
    """What the current transaction has read once and may keep (write() starts each with an empty one);
    outside write() nothing is kept."""
    kept = getattr(db, "_memo", None)
    return kept if kept is not None else {}


def remember_keys(db, subjects):
    """Read these subjects' keys in one query for the rest of the transaction (a batch from a node
    unseals every registration in it)."""
    keys = memo(db).setdefault("keys", {})
    subjects = [s for s in set(subjects) if s and s not in keys]
    for i in range(0, len(subjects), 500):
        part = subjects[i:i + 500]
        keys.update(db.execute(f"select subject, key from subject_keys where subject in ({','.join('?' * len(part))})",
                               part).fetchall())


def _subject_key(db, subject, shelter_id=None, *, create=False):
    known = memo(db).get("keys", {}).get(subject)
    if known is not None:
        return known
    row = db.execute("select key from subject_keys where subject = ?", [subject]).fetchone()
    if row is not None:
        return row[0]
    if not create:
        return None
    key = AESGCM.generate_key(bit_length=128)
    db.execute("insert into subject_keys (subject, shelter_id, key, created_at) values (?, ?, ?, ?)",
               [subject, shelter_id, key, clock.now()])
    return key


def seal(db, subject, shelter_id, facts):
    key = _subject_key(db, subject, shelter_id, create=True)
    nonce = os.urandom(12)
    body = json.dumps(facts, ensure_ascii=False, sort_keys=True).encode()
    return nonce + AESGCM(key).encrypt(nonce, body, subject.encode())


def unseal(db, subject, sealed):
    """The personal facts, or None when the subject's key was purged."""
    if sealed is None or subject is None:
        return None
    key = _subject_key(db, subject)
    if key is None:
        return None
    try:
        return json.loads(AESGCM(key).decrypt(sealed[:12], sealed[12:], subject.encode()))
    except InvalidTag:  # sealed under a key the purge forgot; the subject has a new key since (a reopened shelter)
        return None


def move_subject(db, subject, shelter_id):
    """The subject (a household) now belongs to another shelter: that shelter's purge will forget it."""
    db.execute("update subject_keys set shelter_id = ? where subject = ?", [shelter_id, subject])


def forget_subjects(db, *, shelter_id=None, subjects=()):
    """Delete the keys (the purge): every personal fact sealed under them becomes unreadable for good.
    Run with PRAGMA secure_delete=ON so the freed pages are overwritten."""
    removed = 0
    if shelter_id is not None:
        removed += db.execute("delete from subject_keys where shelter_id = ?", [shelter_id]).rowcount
    for subject in subjects:
        removed += db.execute("delete from subject_keys where subject = ?", [subject]).rowcount
    memo(db).pop("keys", None)
    return removed


# --- appending and applying ---

COLUMNS = ("id", "origin", "seq", "hlc", "at", "kind", "version", "shelter_id", "actor", "actor_role",
           "actor_origin", "op", "subject", "payload", "sealed")
_INSERT = f"insert into events ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})"


_payload = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # an event's data as stored


def _next(db):
    """(origin, seq, hlc) for the next event. Read once per transaction, then counted on: write() holds the
    process lock and BEGIN IMMEDIATE, so nobody else appends meanwhile."""
    kept = memo(db)
    state = kept.get("log")
    if state is None:
        origin = node_id(db)
        seq = db.execute("select coalesce(max(seq), 0) from events where origin = ?", [origin]).fetchone()[0]
        state = kept["log"] = [origin, seq, db.execute("select max(hlc) from events").fetchone()[0]]
    state[1] += 1
    wall = clock.now_ms()
    if state[2] is None:
        state[2] = format_hlc(wall, 0)
    else:
        last_wall, last_counter = parse_hlc(state[2])
        state[2] = format_hlc(wall, 0) if wall > last_wall else format_hlc(last_wall, last_counter + 1)
    return state[0], state[1], state[2]


def _next_many(db, n):
    """n × (origin, seq, hlc, wall, counter) for a run of events (emit_all): one clock reading, the HLC's
    counter counting on from it."""
    if not n:
        return []
    origin, seq, hlc = _next(db)
    wall, counter = parse_hlc(hlc)
    out = [(origin, seq + i, format_hlc(wall, counter + i), wall, counter + i) for i in range(n)]
    state = memo(db)["log"]
    state[1], state[2] = out[-1][1], out[-1][2]
    return out


def reset(db):
    """Forget the per-transaction counters (foreign events change them; each transaction starts without)."""
    memo(db).pop("log", None)


def emit(db, kind, data=None, *, actor, shelter_id=None, personal=None, subject=None, op=None):
    """Append an event of `kind` and apply it, inside `write()`. Returns the Event.

    `data`: the facts that are not personal (JSON-able); `personal`: the facts the purge must be able
    to remove (sealed under `subject`'s key; `subject` defaults to the shelter); `op`: the operation id
    a retried request carries, so the domain can tell it was done (`done(db, op)`)."""
    if not writing(db):
        raise RuntimeError(f"emit({kind}) outside write(): every change goes through the one boundary")
    handler = HANDLERS.get(kind)
    if handler is None:
        raise RuntimeError(f"no handler for event kind {kind}: register one with @applies or log_only")
    who = actor_of(actor)
    data = dict(data or {})
    if personal:
        subject = subject or f"shelter:{shelter_id}"
    origin, seq, hlc = _next(db)
    event = Event(id=uuid7(*parse_hlc(hlc)), kind=kind, at=clock.now(), shelter_id=shelter_id, actor=who,
                  data={**data, **(personal or {})}, origin=origin, seq=seq, hlc=hlc, op=op,
                  version=handler.version)
    sealed = seal(db, subject, shelter_id, personal) if personal else None
    db.execute(_INSERT, [event.id, origin, seq, hlc, event.at, kind, handler.version, shelter_id, who.user,
                         who.role, who.origin or origin, op, subject if personal else None,
                         _payload(data), sealed])
    handler.apply(db, event)
    touched(db, shelter_id, handler.live)
    return event


def emit_all(db, kind, items, *, actor):
    """Append and apply many events of one kind at once (an import of thousands of registry rows):
    `items` is [(data, shelter_id)]; no personal facts, no op. Returns the number of events."""
    if not writing(db):
        raise RuntimeError(f"emit_all({kind}) outside write()")
    handler = HANDLERS[kind]
    who = actor_of(actor)
    at = clock.now()
    events, values = [], []
    for (data, shelter_id), (origin, seq, hlc, wall, counter) in zip(items, _next_many(db, len(items))):
        event = Event(id=uuid7(wall, counter), kind=kind, at=at, shelter_id=shelter_id, actor=who,
                      data=data, origin=origin, seq=seq, hlc=hlc, version=handler.version)
        events.append(event)
        values.append([event.id, origin, seq, hlc, at, kind, handler.version, shelter_id, who.user, who.role,
                       who.origin or origin, None, None, _payload(data), None])
    db.conn.executemany(_INSERT, values)
    apply_all = getattr(handler.apply, "apply_all", None)  # a handler may apply a run of its events at once
    if apply_all is not None:
        apply_all(db, events)
    for event in events:
        if apply_all is None:
            handler.apply(db, event)
        touched(db, event.shelter_id, handler.live)
    return len(events)


def touched(db, shelter_id, live=True):
    """Note that a shelter's live figures may have changed: write() tells the screens after COMMIT."""
    if live:
        db._touched.add(shelter_id)


def from_row(db, row):
    """An Event from a row of `events` (a dict with COLUMNS), its personal facts unsealed where the key lives."""
    data = json.loads(row["payload"] or "{}")
    personal = unseal(db, row["subject"], row["sealed"])
    if row["sealed"] is not None and personal is None:
        personal = {}  # purged: the handler sees the personal facts as missing
    return Event(id=row["id"], kind=row["kind"], at=row["at"], shelter_id=row["shelter_id"],
                 actor=Actor(user=row["actor"], role=row["actor_role"], origin=row["actor_origin"]),
                 data={**data, **(personal or {})}, origin=row["origin"], seq=row["seq"], hlc=row["hlc"],
                 op=row["op"], version=row["version"])


# Checks an event from elsewhere must pass before it changes any table (sync.permitted: a node writes
# only its own shelters). The event is kept in the log either way; replay skips it the same way.
GUARDS = []


def apply_row(db, row):
    """Apply an event that arrived from elsewhere (replay, a node's batch): the same handler as emit's."""
    handler = HANDLERS.get(row["kind"])
    if handler is None:
        raise RuntimeError(f"no handler for event kind {row['kind']} (event {row['id']}): is this install older?")
    reset(db)  # its sequence number and clock stamp move ours on
    handler.apply(db, from_row(db, row))
    touched(db, row["shelter_id"], handler.live)


class Redo(Exception):
    """Raised by store_and_apply(careful=False) at the first refused step: the caller's write() rolls
    the whole lot back, and the caller does it again with careful=True (apply_carefully)."""


def store_and_apply(db, rows, *, refused=None, careful=True):
    """Append events from elsewhere (a replay, a node's batch) to the log and apply each in order, inside
    write(). Returns {"applied", "local", "refused"} counts.

    An event the GUARDS keep out stays in the log unapplied ("local"). An event whose step is no longer
    legal here (a DomainError from its handler) stays in the log too, without its effect, and
    `refused(row, error)` is told. Refusals are rare, so the lot is first applied in one go; after a
    refusal it is rolled back and done again with a savepoint per event. `careful=False` leaves that roll
    back to the caller's write() (raising Redo): a savepoint around the lot makes SQLite copy every page
    the lot touches, which cost a fifth of absorbing a node's backlog."""
    from .domain.errors import DomainError

    if not careful:
        try:
            return _store_all(db, rows, per_event=False, refused=refused)
        except DomainError as error:
            raise Redo() from error
    db.execute("savepoint store_and_apply")
    try:
        counts = _store_all(db, rows, per_event=False, refused=refused)
    except DomainError:
        db.execute("rollback to savepoint store_and_apply")
        counts = _store_all(db, rows, per_event=True, refused=refused)
    db.execute("release savepoint store_and_apply")
    return counts


def apply_carefully(db, body):
    """Run `body(careful)` in its own write(): first with careful=False, and again with careful=True when
    a refused step rolled that write back (Redo). Inside another write() (which a Redo would not roll
    back alone) it is careful from the start."""
    if not writing(db):
        try:
            with write(db):
                return body(False)
        except Redo:
            pass
    with write(db):
        return body(True)


def _store_all(db, rows, *, per_event, refused):
    from .domain.errors import DomainError

    counts = {"applied": 0, "local": 0, "refused": 0}
    # appended all at once: no handler reads the log, and they are applied below in the same order
    db.conn.executemany(_INSERT, ([row[c] for c in COLUMNS] for row in rows))
    for row in rows:
        if not all(guard(db, row) for guard in GUARDS):
            counts["local"] += 1
            continue
        if not per_event:
            apply_row(db, row)
            counts["applied"] += 1
            continue
        db.execute("savepoint apply_event")
        try:
            apply_row(db, row)
            counts["applied"] += 1
        except DomainError as error:
            db.execute("rollback to savepoint apply_event")
            counts["refused"] += 1
            if refused is not None:
                refused(row, error)
        db.execute("release savepoint apply_event")
    return counts


def done(db, op, *, kind=None):
    """The first event of operation `op`, or None: a retried request finds what it did the first time.
    With `kind` (an event kind or a prefix such as "supply."), an op that did something else is a
    reused Idempotency-Key: refused (409)."""
    if not op:
        return None
    cur = db.execute("select * from events where op = ? order by origin, seq limit 1", [op])
    row = cur.fetchone()
    if row is None:
        return None
    first = from_row(db, dict(zip([c[0] for c in cur.description], row)))
    if kind is not None and not first.kind.startswith(kind):
        from .domain.errors import Conflict

        raise Conflict("この Idempotency-Key は別の操作で使われています。",
                       "This Idempotency-Key was used for another request.", code="IdempotencyKeyReused")
    return first


def rows(db, *, after_rowid=0, limit=1000):
    """Events in the order this database received them, as dicts of COLUMNS (with `rowid`)."""
    cur = db.execute(f"select rowid, {', '.join(COLUMNS)} from events where rowid > ? order by rowid limit ?",
                     [after_rowid, limit])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


# Tables that are not projections of the log: the log itself, its keys, this install's identity, and
# what the edge keeps to answer retries and stop abuse. Everything else is rebuilt by replay.
NOT_PROJECTIONS = {"events", "events_v1", "node", "subject_keys", "_sqlite_migrations", "idempotency",
                   "form_tokens", "login_attempts", "door_throttle", "resident_request_throttle", "sessions"}


def projection_tables(db):
    return sorted(t for t in db.table_names() if t not in NOT_PROJECTIONS and not t.startswith("sqlite_"))


# Modules that register handlers (beside those with migrations, db.MIGRATING_MODULES).
HANDLER_MODULES = ["importers.store", "domain.privacy", "domain.paper", "demo"]


def load_handlers():
    """Import every module that registers handlers, so a replay or a sync knows every kind."""
    import importlib

    from .db import MIGRATING_MODULES

    for name in MIGRATING_MODULES + HANDLER_MODULES:
        importlib.import_module(f"shelter_ops.{name}")


def replay(source, target, *, batch=5000, progress=None):
    """Rebuild every projection in `target` (a new, migrated database) from `source`'s log alone.
    Returns the number of events applied."""
    load_handlers()

    if target.execute("select count(*) from events").fetchone()[0]:
        raise RuntimeError("replay needs an empty database")
    with write(target):
        target.execute("delete from node")
        for row in source.execute("select id, created_at, role from node"):
            target.execute("insert into node (id, created_at, role) values (?, ?, ?)", row)
        for row in source.execute("select subject, shelter_id, key, created_at from subject_keys"):
            target.execute("insert into subject_keys (subject, shelter_id, key, created_at) values (?, ?, ?, ?)", row)
    forget_node_cache(target)
    applied, last = 0, 0
    while True:
        chunk = rows(source, after_rowid=last, limit=batch)
        if not chunk:
            break
        # a step refused when it first arrived is skipped again
        apply_carefully(target, lambda careful: store_and_apply(target, chunk, careful=careful))
        applied += len(chunk)
        last = chunk[-1]["rowid"]
        if progress is not None:
            progress(len(chunk))
    return applied
