"""The baseline for live delivery: a bare python-socketio server in gevent mode (no Flask, no app)
that broadcasts the same `occupancy` payload to every client when GET /fire is asked.

python -m bench.bare_socketio PORT
"""
from gevent import monkey

monkey.patch_all()  # as run.py does in gevent mode: the same server stack, minus Flask and the app

import json  # noqa: E402
import sys  # noqa: E402

import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

PAYLOAD = {"kyotsu_id": "E1420400001111", "occupancy": 123, "capacity": 400, "level": "some", "stale": False,
           "updated_at": "2026-01-01T00:00:00+00:00", "m2_per_person": 3.5}

sio = socketio.Server(async_mode="gevent", cors_allowed_origins=[])


def fire(environ, start_response):
    if environ["PATH_INFO"] == "/fire":
        sio.emit("occupancy", PAYLOAD)
        body = b'{"ok": true}'
    else:
        body = json.dumps({"ok": True}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


app = socketio.WSGIApp(sio, fire)

if __name__ == "__main__":
    port = int(sys.argv[1])
    pywsgi.WSGIServer(("127.0.0.1", port), app, handler_class=WebSocketHandler, log=None).serve_forever()
