"""Backup and restore of the SQLite database with SQLite's online backup API.

`shelter-ops backup DEST` copies the live database page by page while the server keeps taking
check-ins: the copy is one consistent snapshot (a transaction committed during the copy restarts
it), written to a temporary file first and renamed into place, then checked with
`PRAGMA integrity_check`. `shelter-ops restore SRC` puts a backup back; stop the server first.
"""
import os
import sqlite3
from pathlib import Path

from .domain import clock
from .domain.errors import Invalid


def _check(path):
    conn = sqlite3.connect(str(path))
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if result != "ok":
        raise Invalid(f"バックアップが壊れています: {result}", f"The backup is damaged: {result}")


def _private(path):
    from .db import create_private_file

    create_private_file(path)


def backup(db_path, dest, *, pages=1024):
    """Copy the database at `db_path` to `dest` (a file, or a folder: a dated name inside it).
    Returns the path written. Safe while the server is writing."""
    dest = Path(dest)
    if dest.is_dir():

        dest = dest / f"shelter_ops-{clock.utcnow().astimezone(clock.JST).strftime('%Y%m%d-%H%M%S')}.sqlite"
    if dest.resolve() == Path(db_path).resolve():
        raise Invalid("バックアップ先がデータベース自身です。", "The backup destination is the database itself.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    _private(partial)  # a backup holds the same personal data: owner-only, like the database
    source = sqlite3.connect(str(db_path), timeout=30)
    target = sqlite3.connect(str(partial))
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(target, pages=pages)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        target.close()
        source.close()
    _check(partial)
    os.replace(partial, dest)
    return dest


def restore(src, db_path):
    """Put the backup `src` in place of the database at `db_path` (the server must be stopped).
    The current database is kept beside it as <name>.before-restore. Returns that path."""
    src = Path(src)
    _check(src)
    db_path = Path(db_path)
    kept = db_path.with_name(db_path.name + ".before-restore")
    from .db import release_pool

    release_pool(str(db_path))  # idle pooled connections of this process close while the old file is in place
    if db_path.exists():
        # fold the WAL into the old file so the kept copy is complete, then set it aside
        conn = sqlite3.connect(str(db_path))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        os.replace(db_path, kept)
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    copy = sqlite3.connect(str(src))
    _private(db_path)
    target = sqlite3.connect(str(db_path))
    try:
        copy.backup(target)
    finally:
        target.close()
        copy.close()
    _check(db_path)
    return kept
