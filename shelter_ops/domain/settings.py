"""Settings that HQ changes during an event (m² per person, …), stored in the database."""
import json

from sqlite_utils.migrations import Migrations

from ..db import write
from ..eventlog import applies, emit
from . import access

migrations = Migrations("settings")


@migrations()
def create_settings(db):
    db["settings"].create({"key": str, "value": str, "updated_at": str, "updated_by": str}, pk="key")


def get(db, key, default=None):
    row = db.execute("select value from settings where key = ?", [key]).fetchone()
    return default if row is None else json.loads(row[0])


def put(db, key, value, *, actor):
    """HQ changes a setting; every figure that depends on it follows (the screens are told)."""
    access.require(actor, "change_settings")
    with write(db):
        emit(db, "setting.changed", {"key": key, "value": value}, actor=actor)


@applies("setting.changed")  # shelter None: every shelter's figures may change
def _changed(db, e):
    db.execute("insert or replace into settings (key, value, updated_at, updated_by) values (?, ?, ?, ?)",
               [e.data["key"], json.dumps(e.data["value"]), e.at, e.actor.user])
