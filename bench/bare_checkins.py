"""The fair baseline for check-ins: the same server stack as run.py in gevent mode (gevent's pywsgi with
geventwebsocket's handler and TCP_NODELAY, a Flask app, sqlite3 in WAL with synchronous=FULL) and the same
SQL writes as a desk registration checked in at once (BEGIN IMMEDIATE; the subject key, the event, the
household, its persons, the movement, the stored answer for the Idempotency-Key; COMMIT), without our layers: no token check, no schema check of the
body, no validation, no idempotency lookup, no sealing, no live update.

python -m bench.bare_checkins PORT DB_PATH
"""
from gevent import monkey

monkey.patch_all()  # as run.py does in gevent mode

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

from flask import Flask, jsonify, request  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

app = Flask(__name__)
conn = None
seq = [0]


def connect(path):
    db = sqlite3.connect(path, timeout=5, check_same_thread=False, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=5000"):
        db.execute(f"PRAGMA {pragma}")
    return db


@app.get("/health")
def health():
    return jsonify(ok=True)


@app.post("/checkins")
def checkin():
    body = request.get_json()
    at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    household_id, event_id = str(uuid.uuid4()), str(uuid.uuid4())
    persons = body["persons"]
    seq[0] += 1
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("insert into subject_keys (subject, shelter_id, key, created_at) values (?, ?, ?, ?)",
                     [household_id, "bare", os.urandom(16), at])
        conn.execute("insert into events (id, origin, seq, hlc, at, kind, version, shelter_id, actor, actor_role, "
                     "actor_origin, op, subject, payload, sealed) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [event_id, "bare", seq[0], f"{seq[0]:015d}-00000", at, "household.registered", 1, "bare",
                      "bench-hq", "hq", "bare", request.headers.get("Idempotency-Key"), household_id,
                      json.dumps({"household_id": household_id, "household": body["household"],
                                  "persons": [{"sex": p.get("sex")} for p in persons]}),
                      os.urandom(300)])
        conn.execute("insert into households (id, reception_number, shelter_id, status, source, staying, consent, "
                     "registered_at, updated_at, created_by, checked_in_at, address, phone) "
                     "values (?, ?, ?, 'checked_in', 'desk', 'shelter', 'none', ?, ?, ?, ?, ?, ?)",
                     [household_id, uuid.uuid4().hex[:7].upper(), "bare", at, at, "bench-hq", at,
                      body["household"].get("address"), body["household"].get("phone")])
        for position, person in enumerate(persons):
            conn.execute("insert into persons (id, household_id, position, name, kana, sex, age, age_band, status, "
                         "non_disclosure, care_codes, allergens, updated_at) "
                         "values (?, ?, ?, ?, ?, ?, ?, 'adult', 'in', 0, '[]', '[]', ?)",
                         [str(uuid.uuid4()), household_id, position, person.get("name"), person.get("kana"),
                          person.get("sex"), person.get("age"), at])
        conn.execute("insert into movements (id, event_id, shelter_id, at, direction, persons, cause, household_id) "
                     "values (?, ?, ?, ?, 'in', ?, 'check-in', ?)",
                     [f"{event_id}:in", event_id, "bare", at, len(persons), household_id])
        response = jsonify(household={"id": household_id, "reception_number": None,
                                      "persons": [{"name": p.get("name")} for p in persons]})
        conn.execute("insert or replace into idempotency (user_id, method, path, key, body_hash, status, mimetype, "
                     "body, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     ["bench-hq", "POST", request.path, request.headers.get("Idempotency-Key"),
                      hashlib.sha256(request.get_data()).hexdigest(), 201, response.mimetype, response.get_data(), at])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return response, 201


def no_delay(handler_class):
    original = handler_class.__init__

    def __init__(self, sock, *args, **kwargs):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self, sock, *args, **kwargs)

    handler_class.__init__ = __init__
    return handler_class


if __name__ == "__main__":
    port, path = int(sys.argv[1]), sys.argv[2]
    conn = connect(path)
    pywsgi.WSGIServer(("127.0.0.1", port), app, handler_class=no_delay(WebSocketHandler), log=None).serve_forever()
