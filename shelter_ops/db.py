"""Storage: one SQLite connection per app context, migrations, the write transaction, the event log."""
import contextlib
import json
import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

# One process-wide lock in front of BEGIN IMMEDIATE: writers queue here instead of
# spinning on "database is locked" (see DESIGN.md §2).
_write_lock = threading.RLock()

events_migrations = Migrations("events")


@events_migrations()
def create_events(db):
    db["events"].create(
        {"id": str, "at": str, "actor": str, "shelter_id": str, "kind": str, "payload": str},
        pk="id",
    )
    db["events"].create_index(["shelter_id", "at"])
    db["events"].create_index(["kind", "at"])


def new_id():
    return str(uuid.uuid4())


def now():
    """The current time as an ISO 8601 string in UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def parse_time(stamp):
    """An ISO 8601 string as an aware datetime (UTC where it names no zone); None stays None."""
    if not stamp:
        return None
    value = datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def fetch_all(db, sql, args=()):
    """The result of a query as a list of dicts."""
    cur = db.execute(sql, args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def fetch_one(db, sql, args=()):
    """The first row of a query as a dict, or None."""
    found = fetch_all(db, sql, args)
    return found[0] if found else None


def connect(path):
    """A connection with the pragmas every part of the app relies on."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    return db


def migration_sets():
    """Every migration set in the order it applies: the core tables first, then each other domain
    module that has a `migrations` attribute, by module name. A new module needs no registration."""
    import importlib
    import pkgutil

    from . import domain

    core = ["settings", "shelters", "accounts", "households"]
    others = sorted(m.name for m in pkgutil.iter_modules(domain.__path__) if m.name not in core)
    sets = [events_migrations]
    for name in core + others:
        module = importlib.import_module(f"{domain.__name__}.{name}")
        if hasattr(module, "migrations"):
            sets.append(module.migrations)
    return sets


def migrate(db):
    for migrations in migration_sets():
        migrations.apply(db)


@contextlib.contextmanager
def write(db):
    """The one way to write: a process lock, then BEGIN IMMEDIATE; commit or roll back.

    Nested calls on the same connection join the outer transaction, so domain
    functions compose (a transfer is a check-out and a check-in in one commit).
    """
    if getattr(db, "_writing", False):
        yield db
        return
    with _write_lock:
        db.execute("BEGIN IMMEDIATE")
        db._writing = True
        try:
            yield db
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")
        finally:
            db._writing = False


def event_seen(db, event_id):
    """True when an event with this id is already recorded: the request was done before."""
    return bool(event_id) and db.execute("select 1 from events where id = ?", [event_id]).fetchone() is not None


def record_event(db, kind, *, actor, shelter_id=None, payload=None, event_id=None):
    """Append an event (inside write()). Returns its id."""
    event_id = event_id or new_id()
    # plain SQL: this runs on every check-in, and sqlite-utils' insert inspects the table each time
    db.execute(
        "insert into events (id, at, actor, shelter_id, kind, payload) values (?, ?, ?, ?, ?, ?)",
        [event_id, now(), actor or "system", shelter_id, kind,
         json.dumps(payload or {}, ensure_ascii=False, sort_keys=True)],
    )
    return event_id


def events(db, *, shelter_id=None, kind=None, limit=200):
    """The newest events first, payloads decoded."""
    where, args = [], []
    if shelter_id:
        where.append("shelter_id = ?")
        args.append(shelter_id)
    if kind:
        where.append("kind = ?")
        args.append(kind)
    sql = "select * from events" + (" where " + " and ".join(where) if where else "")
    sql += " order by at desc, rowid desc limit ?"
    rows = db.execute(sql, [*args, limit]).fetchall()
    cols = ["id", "at", "actor", "shelter_id", "kind", "payload"]
    out = []
    for row in rows:
        item = dict(zip(cols, row))
        item["payload"] = json.loads(item["payload"] or "{}")
        out.append(item)
    return out


# --- Flask glue: one connection per app context ---

def get_db():
    from flask import current_app, g

    if "db" not in g:
        g.db = connect(current_app.config["DB"])
    return g.db


def close_db(_exc=None):
    from flask import g

    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    app.teardown_appcontext(close_db)
    db = connect(app.config["DB"])
    try:
        migrate(db)
    finally:
        db.close()
