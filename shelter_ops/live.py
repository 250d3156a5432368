"""Live updates over Socket.IO: after each COMMIT, db.write() calls `changed` with the shelters its events
touched; that is how figures reach the screens (views never call live). The one other message is a tap
on a card reader attached to the server (`card_tap`), which is news for the desk, not a figure.

Rooms: `shelter:<id>` (that shelter's staff and HQ), `hq` (HQ only), `public` (anyone). A change
only marks the shelter dirty; a background task flushes the dirty shelters at most every FLUSH_SECONDS
with its own database connection, so a burst of check-ins costs each request a set insert and
reaches every screen as a few updates per second carrying the latest state.
"""
import threading
import time

from flask import current_app, request
from flask_socketio import SocketIO, emit, join_room

from .db import connect
from .domain import capacity, households, shelters

socketio = SocketIO()

FLUSH_SECONDS = 0.3  # at most one update per shelter this often (the latest state wins)
IDLE_SECONDS = 30  # the flusher stops after this long without changes; the next notify starts it again
EXTENSION = "shelter_ops_live"


class Hub:
    """The dirty shelters of one app and the task that flushes them.

    A change after a quiet spell goes out at once (leading edge); changes during the following
    FLUSH_SECONDS are collected and go out together at its end, as the latest state.
    """

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.dirty = set()
        self.everything = False
        self.running = False
        self.flushes = 0
        self.last_flush = 0.0
        self.wake = socketio.server.eio.create_event()  # a gevent event in gevent mode
        self.published = set()  # shelters this process has shown the public room

    def mark(self, shelter_id=None):
        with self.lock:
            if shelter_id is None:
                self.everything = True
            else:
                self.dirty.add(shelter_id)
            self.wake.set()
            if self.running:
                return
            self.running = True
        socketio.start_background_task(self.run)

    def take(self):
        """The shelters to send now, and whether to send every shelter."""
        with self.lock:
            ids, everything = self.dirty, self.everything
            self.dirty, self.everything = set(), False
            return ids, everything

    def run(self):
        db = connect(self.app.config["DB"])
        try:
            while True:
                if not self.wake.wait(timeout=IDLE_SECONDS):
                    with self.lock:
                        if not self.dirty and not self.everything:
                            self.running = False
                            return
                    continue
                wait = self.last_flush + FLUSH_SECONDS - time.monotonic()
                if wait > 0:
                    socketio.sleep(wait)
                self.wake.clear()  # before take(): a change from now on wakes the next round
                ids, everything = self.take()
                if not ids and not everything:
                    continue
                self.last_flush = time.monotonic()
                try:
                    self.flush(db, ids, everything)
                except Exception:  # a failed flush must not stop live updates for good
                    self.app.logger.exception("live: flush failed")
        finally:
            with self.lock:
                self.running = False
            db.close()

    def flush(self, db, ids, everything):
        snaps, desks = _figures(db, self.app.config)
        self.flushes += 1
        for snap in snaps:
            if everything or snap["id"] in ids:
                send(snap, snaps, self.app.config, desks.get(snap["id"], households.NO_DESK_COUNTS))
                if shelters.is_public(snap):
                    self.published.add(snap["id"])
                elif snap["id"] in self.published:
                    # HQ just hid it: public screens drop it (its 共通ID was public until now)
                    self.published.discard(snap["id"])
                    socketio.emit("withdrawn", {"kyotsu_id": snap["kyotsu_id"]}, to="public")


def _figures(db, config):
    """Every shelter's snapshot and every desk's header counts, counting the people present once."""
    present = households.present_counts(db)
    return capacity.snapshots(db, config, counts=present), households.desk_counts(db, present=present)


def send(snap, snaps, config, desk=None):
    """One shelter's state to its staff (with the desk's counts), to HQ and (unless hidden) to the public."""
    socketio.emit("occupancy", staff_payload(snap, desk), to=f"shelter:{snap['id']}")
    socketio.emit("occupancy", hq_payload(snap, snaps, config), to="hq")
    if shelters.is_public(snap):
        socketio.emit("occupancy", capacity.public_record(snap), to="public")


def staff_payload(snap, desk=None):
    """The snapshot, and for the shelter's own screens the desk header's counts (受付待ち, 在宅・車中泊)."""
    out = {key: value for key, value in snap.items()}
    if desk is not None:
        out["desk"] = {"pending": desk["pending"], "outside": desk["outside"]}
    return out


def hq_payload(snap, snaps, config, candidates=None):
    """What HQ gets: the staff figures, plus the nearest shelters with space when this one is at the alert share
    (`candidates`: capacity.with_space(snaps), found once when every shelter is sent)."""
    out = staff_payload(snap)
    alert = capacity.alerts([snap], config) and snap["state"] == "open"
    out["alert"] = bool(alert)
    out["nearest"] = [
        {"id": s["id"], "kyotsu_id": s["kyotsu_id"], "name": s["name"], "name_en": s["name_en"],
         "km": round(km, 2), "free": s["capacity"] - s["occupancy"], "level": s["level"]}
        for s, km in (capacity.nearest_with_space(snaps, snap["lat"], snap["lon"], exclude=snap["id"],
                                                  candidates=candidates) if alert else [])
    ]
    return out


def init_app(app):
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"] or None,
    )
    app.extensions[EXTENSION] = Hub(app)
    from . import db

    if changed not in db.AFTER_COMMIT:
        db.AFTER_COMMIT.append(changed)


def _hub():
    try:
        return current_app.extensions.get(EXTENSION)
    except RuntimeError:  # outside the app (a script): nobody is listening here
        return None


def changed(shelter_ids):
    """After a COMMIT (db.AFTER_COMMIT): these shelters' figures may have changed; None among them means
    every shelter (a setting all figures depend on)."""
    hub = _hub()
    if hub is None:
        return
    for shelter_id in shelter_ids:
        hub.mark(shelter_id)


def card_tap(shelter_id, result):
    """A card was tapped on a reader attached to the server (nfc_reader.py): the words go at once to the
    shelter's own screens (its desks show them as if tapped there). Not coalesced: each tap is news."""
    socketio.emit("card_tap", result, to=f"shelter:{shelter_id}")


# --- clients joining rooms; each gets a fresh snapshot on (re)joining ---

def _user():
    from .web import current_user

    return current_user()


def _refuse(ja, en):
    emit("refused", {"message_ja": ja, "message_en": en})
    return False


# Each join sends a whole snapshot (all shelters for public and HQ): one connection may ask for this
# many a minute, so one anonymous socket cannot make the server build thousands. (Hand-written:
# Flask-Limiter limits HTTP requests, not the events of an open socket.)
SNAPSHOTS_PER_MINUTE = 30
_snapshots_sent = {}  # socket id -> monotonic times of its recent snapshots
_snapshots_lock = threading.Lock()


def _snapshot_allowed():
    sid, now = request.sid, time.monotonic()
    with _snapshots_lock:
        recent = [t for t in _snapshots_sent.get(sid, ()) if t > now - 60]
        if len(recent) >= SNAPSHOTS_PER_MINUTE:
            _snapshots_sent[sid] = recent
            return False
        _snapshots_sent[sid] = recent + [now]
        return True


def join(spec):
    """Join one room: "public", "hq" or a shelter ("shelter:<ref>" or {"shelter": ref}). Returns True when joined."""
    from .db import get_db
    from .domain import shelters
    from .domain.errors import DomainError

    if not _snapshot_allowed():
        return _refuse("要求が多すぎます。少し待ってから再読み込みしてください。",
                       "Too many requests on this connection. Wait a little, then reload.")

    if isinstance(spec, dict):
        spec = spec.get("room") or (f"shelter:{spec['shelter']}" if spec.get("shelter") else "")
    spec = str(spec or "")
    config = current_app.config
    db = get_db()
    if spec == "public":
        join_room("public")
        snaps = [s for s in capacity.snapshots(db, config) if shelters.is_public(s)]
        hub = _hub()
        if hub is not None:
            hub.published.update(s["id"] for s in snaps)
        emit("snapshot", {"room": "public", "shelters": [capacity.public_record(s) for s in snaps]})
        return True
    user = _user()
    if user is None:
        return _refuse("サインインしてください。", "Sign in first.")
    if spec == "hq":
        if user["role"] != "hq":
            return _refuse("本部の画面です。", "This is for HQ only.")
        join_room("hq")
        snaps = capacity.snapshots(db, config)
        candidates = capacity.with_space(snaps)
        emit("snapshot", {"room": "hq", "shelters": [hq_payload(s, snaps, config, candidates) for s in snaps],
                          "totals": capacity.totals(snaps)})
        return True
    if spec.startswith("shelter:"):
        try:
            shelter = shelters.get(db, spec.split(":", 1)[1])
            shelters.require_access(user, shelter)
        except DomainError as error:
            return _refuse(error.ja, error.en)
        join_room(f"shelter:{shelter['id']}")
        desk = households.desk_counts(db, [shelter["id"]])[shelter["id"]]
        emit("occupancy", staff_payload(capacity.snapshot(db, config, shelter["id"]), desk))
        return True
    return _refuse(f"不明な部屋です: {spec}", f"Unknown room: {spec}")


@socketio.on("connect")
def on_connect(auth=None):
    """Anyone may connect; rooms named in `auth` ({"rooms": [...]}) or ?room= are joined at once."""
    rooms = []
    if isinstance(auth, dict):
        rooms = auth.get("rooms") or ([auth["room"]] if auth.get("room") else [])
    rooms += request.args.getlist("room")
    for room in rooms:
        join(room)
    return True


@socketio.on("join")
def on_join(spec):
    return join(spec)


@socketio.on("disconnect")
def on_disconnect(*_args):
    with _snapshots_lock:
        _snapshots_sent.pop(request.sid, None)
