"""Storage: one SQLite connection per app context (pooled), migrations, the write transaction."""
import contextlib
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import sqlite_utils

from .domain.clock import now, parse_time  # noqa: F401 - the one clock, re-exported for storage code

# One process-wide lock in front of BEGIN IMMEDIATE: writers queue here instead of
# spinning on "database is locked" (see DESIGN.md §2).
_write_lock = threading.RLock()

# Called after each COMMIT with the set of shelter ids whose live figures may have changed (None: all);
# live.py registers the one that tells the screens (so views never call live themselves).
AFTER_COMMIT = []


def new_id():
    """A new row id: time-ordered (UUIDv7), so new households, persons and movements go to the end of
    their indexes instead of a random page each (fewer pages written per commit)."""
    from .eventlog import uuid7

    return uuid7()


def fetch_all(db, sql, args=()):
    """The result of a query as a list of dicts."""
    cur = db.execute(sql, args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def fetch_one(db, sql, args=()):
    """The first row of a query as a dict, or None."""
    found = fetch_all(db, sql, args)
    return found[0] if found else None


def create_private_file(path):
    """Create `path` empty, readable and writable by its owner only (0600), unless it exists.
    SQLite gives a database's -wal and -shm files the database file's own permissions."""
    try:
        os.close(os.open(str(path), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


_made_folders = set()  # folders already created by connect(): one mkdir per folder per process


def connect(path):
    """A connection with the pragmas every part of the app relies on."""
    if path != ":memory:":
        folder = str(Path(path).parent)
        if folder not in _made_folders:
            Path(folder).mkdir(parents=True, exist_ok=True)
            _made_folders.add(folder)
        if not path.startswith("file:"):
            create_private_file(path)
    try:
        conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
    except sqlite3.OperationalError:
        if path == ":memory:":
            raise
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # the folder went away since
        conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.file_path = path  # which file, for per-file bookkeeping (web/once.py's pruning)
    if path != ":memory:" and not path.startswith("file:"):
        db._shared_file = os.path.realpath(path)  # writers to one file share commits (write())
    db.execute("PRAGMA journal_mode=WAL")
    # FULL: a shelter's usual failure is a power cut, and NORMAL in WAL mode may lose the last
    # acknowledged commits then (docs/architecture.md, "Durability")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    # what is deleted or overwritten is zeroed, not left readable in free space (the purge relies on it;
    # many builds default to it, this makes it so everywhere, whichever connection a write runs on)
    db.execute("PRAGMA secure_delete=ON")
    # statement journals (every insert that fires the tally triggers inside a grouped writer's savepoint
    # keeps one) in memory, not in a temporary file: that file's writes cost a check-in more than its SQL
    db.execute("PRAGMA temp_store=MEMORY")
    return db


def migration_sets():
    """Every migration set in the order it applies: the event log first, then each domain module's."""
    import importlib

    from . import eventlog

    sets = [eventlog.migrations]
    for name in MIGRATING_MODULES:
        sets.append(importlib.import_module(f"shelter_ops.{name}").migrations)
    return sets


# The modules with a `migrations` set, in the order their tables must be created (a new module is added here).
MIGRATING_MODULES = [
    "domain.settings", "domain.shelters", "domain.accounts", "domain.households", "domain.capacity",
    "domain.closing", "domain.codes", "domain.daylog", "domain.inquiries", "domain.reports",
    "domain.resident_requests", "domain.supplies", "domain.iccards", "web.once", "domain.nodes", "domain.duplicates", "sync",
]


def migrate(db):
    for migrations in migration_sets():
        migrations.apply(db)


# --- the write boundary, with group commit ---
#
# synchronous=FULL makes each COMMIT wait for the disk, and that wait is most of a small write's cost.
# So writers to one file that are ready at the same moment share one transaction and one COMMIT: the
# first (the leader) opens it, runs its own work, then yields once (time.sleep(0)) so that the writers
# ready meanwhile run theirs inside it, each in its own SAVEPOINT; then it commits for all. Nobody is
# answered before the COMMIT that holds its work returns, and a member that fails undoes only its own
# work. A member's `db` is pointed at the leader's connection for the duration of its write(), so
# domain code does not know. In gevent mode the COMMIT itself runs in gevent's thread pool, so the other
# requests go on (reading, checking, getting ready to write) while it waits for the disk.

class _Group:
    """One open transaction that writers arriving together share."""

    def __init__(self, conn):
        self.conn = conn  # the leader's connection: every member's work runs on it
        self.done = threading.Event()  # set after the COMMIT (or the rollback)
        self.error = None  # why the shared transaction failed: every member fails with it
        self.memo = {}  # eventlog.memo: what this transaction has read once and may keep
        self.body_of = None  # the thread (greenlet) whose work runs now: its own nested write() joins in
        self.closing = False  # the leader is committing: later writers wait and start the next one
        # whether the leader yields for others to join: greenlets only (see _cooperative)
        self.gathers = _cooperative()


_groups = {}  # file -> the _Group whose transaction is open now
GROUP_WAIT = 30  # seconds a member waits for its leader's COMMIT before committing the group itself


def _cooperative():
    """Whether writers are greenlets (gevent mode), which group well: one yields, the others run their
    work in its transaction. Real threads (run.py's default) commit each their own: grouped, they waited
    for each other's turns on the GIL (threading-mode check-ins: p99 89 ms alone, 250–340 ms grouped)."""
    gevent = sys.modules.get("gevent.monkey")
    return gevent is not None and gevent.is_module_patched("threading")


def _off_the_loop(function, *args):
    """Run a blocking SQLite call (a COMMIT waits for the disk) in gevent's thread pool, so that the
    other requests go on meanwhile; with real threads, here (sqlite3 lets go of the GIL anyway)."""
    if _cooperative():
        import gevent

        return gevent.get_hub().threadpool.apply(function, args)
    return function(*args)


def _shared(db):
    """What writers group on: the file's real path, or this connection alone for a database no other
    connection can reach (":memory:")."""
    return getattr(db, "_shared_file", None) or ("own", id(db.conn))


def writing(db):
    """Whether a write() is open on this handle: a write() entered now joins it, so an exception raised
    inside it no longer undoes that inner part alone."""
    return getattr(db, "_writing", False)


@contextlib.contextmanager
def write(db):
    """The one way to write: a process lock, then BEGIN IMMEDIATE; commit or roll back; then tell the
    screens about the shelters whose events were applied (AFTER_COMMIT).

    Nested calls on the same connection join the outer transaction, so domain functions compose (a
    transfer is a check-out and a check-in in one commit). Writers ready at the same moment share one
    COMMIT (group commit, above)."""
    if writing(db):
        yield db
        return
    path = _shared(db)
    me = threading.get_ident()
    while True:
        _write_lock.acquire()
        group = _groups.get(path)
        nested = group is not None and group.body_of == me
        if group is None or nested or not group.closing:
            break
        _write_lock.release()  # that transaction is being committed: start the next one after it
        _await(path, group)
    try:
        leads = group is None
        if leads:
            db.conn.execute("BEGIN IMMEDIATE")
            group = _groups[path] = _Group(db.conn)
        else:
            group.conn.execute("SAVEPOINT member")
        own_conn, db.conn = db.conn, group.conn
        outer_body, group.body_of = group.body_of, me
        db._writing, db._touched, db._memo = True, set(), group.memo
        try:
            yield db
        except BaseException:
            if leads:  # nobody has joined yet: the others join only once the leader's own work is done
                group.error = RuntimeError("the leader's work failed")
                _close(path, group)
            else:
                _undo_member(group)
            raise
        else:
            if not leads:
                group.conn.execute("RELEASE member")
        finally:
            db.conn, db._writing, db._memo = own_conn, False, None
            group.body_of = outer_body
        if leads and not group.gathers:
            _close(path, group)  # before anyone else takes the lock
    finally:
        _write_lock.release()
    changed, db._touched = db._touched, set()
    if nested:
        return
    if leads and group.gathers:
        try:
            time.sleep(0)  # the writers ready now reach write() and join this transaction
        finally:
            group.closing = True
            with _write_lock:
                _close(path, group)
    elif not leads:
        _await(path, group)
    if group.error is not None:
        raise sqlite3.OperationalError(f"not saved: the transaction it shared failed ({group.error})") \
            from group.error
    if changed:
        for hook in AFTER_COMMIT:
            hook(changed)


def _undo_member(group):
    """Undo one member's work (its SAVEPOINT). When SQLite has ended the whole transaction (a full disk),
    the members before it fail too."""
    group.memo.clear()  # the log's counters and the keys read may include what was just undone
    try:
        if group.conn.in_transaction:
            group.conn.execute("ROLLBACK TO member")
            group.conn.execute("RELEASE member")
    except sqlite3.Error as exc:
        group.error = exc
    if not group.conn.in_transaction and group.error is None:
        group.error = sqlite3.OperationalError("the transaction was rolled back")


def _close(path, group):
    """COMMIT the group's transaction (roll it back when it failed) and wake its members; once only."""
    if _groups.get(path) is not group:
        return
    del _groups[path]
    try:
        if group.error is None:
            _off_the_loop(group.conn.execute, "COMMIT")
    except BaseException as exc:
        group.error = exc
        raise
    finally:
        if group.conn.in_transaction:
            try:
                group.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        group.done.set()


def _await(path, group):
    """Wait for the group's COMMIT; if its leader never comes back (killed), commit it here."""
    if not group.done.wait(GROUP_WAIT):
        group.closing = True
        with _write_lock:
            _close(path, group)


@contextlib.contextmanager
def alone(db):
    """Hold the file with no transaction of this process open on it, for what needs the file to itself
    (VACUUM, a TRUNCATE checkpoint); writers wait meanwhile."""
    path = _shared(db)
    with _write_lock:
        group = _groups.get(path)
        if group is not None:
            group.closing = True
            _close(path, group)
        yield db


def events(db, *, shelter_id=None, kind=None, limit=200):
    """The newest events first, payloads decoded (personal facts are not included)."""
    import json

    where, args = [], []
    if shelter_id:
        where.append("shelter_id = ?")
        args.append(shelter_id)
    if kind:
        where.append("kind = ?")
        args.append(kind)
    sql = "select id, at, actor, shelter_id, kind, payload from events" + (
        " where " + " and ".join(where) if where else "")
    sql += " order by at desc, rowid desc limit ?"
    rows = db.execute(sql, [*args, limit]).fetchall()
    cols = ["id", "at", "actor", "shelter_id", "kind", "payload"]
    out = []
    for row in rows:
        item = dict(zip(cols, row))
        item["payload"] = json.loads(item["payload"] or "{}")
        out.append(item)
    return out


# --- connection pool: requests reuse connections instead of opening one each ---
#
# Opening a connection (and sqlite_utils.Database's plugin hooks, and the four PRAGMAs) cost more
# than a check-in itself (docs/PERFORMANCE.md). A request takes a pooled connection at its first
# get_db() and gives it back at teardown, unless it is inside a transaction (a failed request's
# half-done work never reaches the next request: that connection is closed, which rolls back).
# Pools are keyed by database path; a connection remembers the file it opened (device, inode) and
# is dropped when the path now names another file (restore, a test replacing the file), so a
# replaced database is never served from a stale connection. `release_pool(path)` closes them
# all at once (after replacing or deleting a file).

# idle connections kept per database file: as many as requests run at once (16 desks), since opening
# one costs more than a check-in (with 8, a busy desk group kept opening and closing them)
POOL_SIZE = 32
POOL_PATHS = 4  # database files with a pool; the least recently used is closed beyond this
_pools = {}  # path -> list of (db, file identity), most recently used path last
_pool_lock = threading.Lock()


def _identity(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _close_quietly(db):
    try:
        db.conn.close()
    except Exception:  # noqa: BLE001 - a broken connection is dropped either way
        pass


def acquire(path):
    """A connection to `path` from the pool, or a new one (":memory:" is never pooled)."""
    if path == ":memory:":
        return connect(path)
    identity = _identity(path)
    stale = []
    found = None
    with _pool_lock:
        pool = _pools.get(path)
        while pool:
            db, opened = pool.pop()
            if opened == identity and identity is not None:
                found = db
                break
            stale.append(db)
    for db in stale:
        _close_quietly(db)
    if found is not None:
        return found
    db = connect(path)
    db._pool_identity = _identity(path)
    return db


def release(path, db):
    """Give a connection back to the pool, or close it when it is mid-transaction, its file was
    replaced, or the pool is full."""
    db._writing = False
    opened = getattr(db, "_pool_identity", None)
    try:
        # no stat here: acquire() checks the file before handing the connection out again
        reusable = path != ":memory:" and opened is not None and not db.conn.in_transaction
    except sqlite3.ProgrammingError:  # closed by its user
        return
    if reusable:
        evicted = []
        with _pool_lock:
            pool = _pools.pop(path, [])
            _pools[path] = pool  # most recently used last
            if len(pool) < POOL_SIZE:
                pool.append((db, opened))
                db = None
            while len(_pools) > POOL_PATHS:
                oldest = next(iter(_pools))
                evicted.extend(d for d, _ in _pools.pop(oldest))
        for old in evicted:
            _close_quietly(old)
        if db is None:
            return
    if db.conn.in_transaction:
        try:
            db.conn.rollback()
        except sqlite3.Error:
            pass
    _close_quietly(db)


def release_pool(path=None):
    """Close the pooled connections of `path` (every path when None): call it after replacing or
    deleting a database file. Connections in use are not touched; they are dropped when returned."""
    with _pool_lock:
        if path is None:
            dropped = [d for pool in _pools.values() for d, _ in pool]
            _pools.clear()
        else:
            dropped = [d for d, _ in _pools.pop(str(path), [])]
    for db in dropped:
        _close_quietly(db)
    return len(dropped)


# --- Flask glue: one connection per app context, from the pool ---

def get_db():
    from flask import current_app, g

    if "db" not in g:
        path = current_app.config["DB"]
        g.db = acquire(path)
        g.db_path = path
    return g.db


def close_db(_exc=None):
    from flask import g

    db = g.pop("db", None)
    path = g.pop("db_path", None)
    if db is not None:
        release(path, db)


def init_app(app):
    app.teardown_appcontext(close_db)
    db = connect(app.config["DB"])
    try:
        migrate(db)
    finally:
        db.close()
