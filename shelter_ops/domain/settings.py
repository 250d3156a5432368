"""Settings that HQ changes during an event (m² per person, …), stored in the database."""
import json

from sqlite_utils.migrations import Migrations

from ..db import now, record_event, write

migrations = Migrations("settings")


@migrations()
def create_settings(db):
    db["settings"].create({"key": str, "value": str, "updated_at": str, "updated_by": str}, pk="key")


def get(db, key, default=None):
    row = db.execute("select value from settings where key = ?", [key]).fetchone()
    return default if row is None else json.loads(row[0])


def put(db, key, value, *, actor):
    with write(db):
        db["settings"].upsert(
            {"key": key, "value": json.dumps(value), "updated_at": now(), "updated_by": actor}, pk="key"
        )
        record_event(db, "setting.changed", actor=actor, payload={"key": key, "value": value})
