"""The node's side of sync: pair with HQ, then push its events and pull HQ's whenever HQ is reachable.

Every step is safe to cut anywhere: the push mark moves only on HQ's answer, the pull mark only in
the transaction that applied what was pulled. The background loop backs off while HQ is away.
"""
import json
import threading
import time
import urllib.error
import urllib.request

from . import eventlog, sync
from .db import connect, write
from .domain import clock, nodes
from .domain.errors import DomainError

VERSION = "0.2.0"
BACKOFF = (5, 10, 30, 60, 120, 300)  # seconds between tries while HQ does not answer


class Unreachable(Exception):
    """HQ did not answer (no link, or it refused the connection)."""


def http_post(url, body, headers, timeout=30):
    """POST with the standard library; returns (status, headers, body). :raise Unreachable:"""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(str(error)) from error


def _refusal(status, body):
    try:
        error = json.loads(body)["error"]
        return DomainError(error["message_ja"], error["message_en"], status=status, code=error.get("code"))
    except (ValueError, KeyError, TypeError):
        return DomainError(f"本部が応答しました（{status}）。", f"HQ answered {status}.", status=status)


def pair(db, hq_url, code, *, name="", post=None):
    """`shelter-ops node init`: redeem the code at HQ and become that node."""
    post = post or http_post
    status, _headers, body = post(f"{hq_url.rstrip('/')}/sync/v1/pair",
                                  json.dumps({"code": code, "name": name}).encode(),
                                  {"Content-Type": "application/json"})
    if status != 200:
        raise _refusal(status, body)
    answer = json.loads(body)
    nodes.become_node(db, hq_url, answer)
    return answer


def _auth(state):
    return {"Authorization": f"Bearer {state['credential']}"}


def push(db, *, post=None, progress=None):
    """Send every own event HQ has not acknowledged, in batches. Returns the number acknowledged now."""
    post = post or http_post
    state = nodes.state(db)
    sent = 0
    last_seq = sync.gap_free(db, eventlog.node_id(db))
    while True:
        rows = sync.own_events(db, after_seq=state["acked_seq"])
        if not rows:
            break
        header = {"sender": eventlog.node_id(db), "sent_at": clock.now(), "last_seq": last_seq, "version": VERSION}
        blob = sync.seal_bundle(bytes(state["sync_key"]), header, rows, sync.keys_for(db, rows))
        status, _headers, body = post(f"{state['hq_url']}/sync/v1/push", blob,
                                      {**_auth(state), "Content-Type": "application/octet-stream"})
        if status != 200:
            raise _refusal(status, body)
        acked = int(json.loads(body)["acked"])
        if acked <= state["acked_seq"]:
            break  # HQ holds nothing more of ours (a gap it waits to fill): try again later
        sent += acked - state["acked_seq"]
        nodes.note_sync(db, acked_seq=acked, last_push_at=clock.now())
        state = nodes.state(db)
        if progress is not None:
            progress(len(rows))
    return sent


def pull(db, *, post=None):
    """Apply what HQ has for this node past the mark. Returns the number of events applied."""
    post = post or http_post
    state = nodes.state(db)
    applied = 0
    while True:
        body = json.dumps({"after": state["pull_mark"], "sent_at": clock.now(), "version": VERSION,
                           "last_seq": sync.gap_free(db, eventlog.node_id(db))}).encode()
        status, headers, blob = post(f"{state['hq_url']}/sync/v1/pull", body,
                                     {**_auth(state), "Content-Type": "application/json"})
        if status != 200:
            raise _refusal(status, blob)
        _header, rows, keys = sync.open_bundle(bytes(state["sync_key"]), blob, sender=state["hq_node_id"])
        mark = int({k.lower(): v for k, v in headers.items()}.get("x-sync-mark", state["pull_mark"]))
        with write(db):
            counts = sync.receive(db, rows, keys, whole_streams=False)
            db.execute("update sync_state set pull_mark = ?, last_pull_at = ? where id = 1", [mark, clock.now()])
        applied += counts["applied"]
        if mark == state["pull_mark"] or not rows:
            break
        state = nodes.state(db)
    return applied


def sync_now(db, *, post=None, progress=None):
    """Push, then pull; say in words what happened (for the node's dashboard and the CLI). While it runs,
    `progress_of(database file)` tells how much of the backlog has gone (the dashboard's bar)."""
    post = post or http_post
    progress = progress or Progress()
    progress.total = owed(db)
    _progress[getattr(db, "file_path", None)] = progress
    try:
        sent = push(db, post=post, progress=progress)
        received = pull(db, post=post)
    except Unreachable as error:
        nodes.note_sync(db, last_error=f"unreachable: {error}")
        summary = {"ok": False, "ja": "本部に接続できません。記録はこの端末に保存されています。",
                   "en": "HQ cannot be reached. Everything is kept on this node."}
    except DomainError as error:
        nodes.note_sync(db, last_error=error.en)
        summary = {"ok": False, "ja": error.ja, "en": error.en}
    else:
        summary = {"ok": True, "sent": sent, "received": received,
                   "ja": f"本部へ{sent}件送り、本部から{received}件受け取りました。",
                   "en": f"Sent {sent} events to HQ and received {received} from HQ."}
        nodes.note_sync(db, last_error=None, last_summary=json.dumps(summary, ensure_ascii=False))
    finally:
        progress.finish()
    progress.result = summary
    return summary


def owed(db):
    """How many of this node's own events HQ has not acknowledged yet."""
    state = nodes.state(db)
    if state is None:
        return 0
    return max(0, sync.gap_free(db, eventlog.node_id(db)) - (state["acked_seq"] or 0))


class Progress:
    """A sync going on, or the last one, on this node: how many events it had to send, how many have gone,
    and in the end what it said. The node's dashboard draws it as a bar while a large backlog goes up."""

    def __init__(self):
        self.total, self.sent, self.result = 0, 0, None
        self.finished = threading.Event()

    def __call__(self, sent):
        self.sent = min(self.total, self.sent + sent)

    def finish(self):
        self.finished.set()

    @property
    def running(self):
        return not self.finished.is_set()

    @property
    def percent(self):
        return 100 if not self.total else round(100 * self.sent / self.total)


_progress = {}  # database file -> its Progress (in this process: a node is one process)


def progress_of(path):
    return _progress.get(path)


def sync_in_background(path, *, post=None, wait=0.0):
    """The dashboard's button: start a sync of the node database at `path` unless one is running, and
    wait up to `wait` seconds for it. Returns its Progress, finished or still running."""
    current = _progress.get(path)
    if current is None or not current.running:
        current = _progress[path] = Progress()

        def run():
            db = connect(path)
            try:
                sync_now(db, post=post, progress=current)
            finally:
                db.close()

        threading.Thread(target=run, name="sync-now", daemon=True).start()
    current.finished.wait(wait)
    return current


def export_file(db):
    """`shelter-ops sync export` on a node: every own event HQ has not acknowledged, for a USB stick."""
    state = nodes.state(db)
    rows = sync.own_events(db, after_seq=state["acked_seq"], limit=10**9)
    header = {"sender": eventlog.node_id(db), "sent_at": clock.now(), "last_seq": rows[-1]["seq"] if rows else 0,
              "version": VERSION}
    return sync.seal_bundle(bytes(state["sync_key"]), header, rows, sync.keys_for(db, rows)), len(rows)


def start_background(app, interval=30):
    """On a paired node: sync whenever HQ answers, backing off while it does not. Returns the thread."""
    db_path = app.config["DB"]

    def loop():
        tries = 0
        while True:
            db = connect(db_path)
            try:
                ok = nodes.state(db) is not None and sync_now(db)["ok"]
            except Exception:  # noqa: BLE001 - the loop must outlive any one failure
                app.logger.exception("sync: round failed")
                ok = False
            finally:
                db.close()
            tries = 0 if ok else tries + 1
            time.sleep(interval if ok else BACKOFF[min(tries, len(BACKOFF)) - 1])

    thread = threading.Thread(target=loop, name="sync", daemon=True)
    thread.start()
    return thread


def start_if_paired(app):
    """The explicit start hook run.py calls: on a paired node, sync in the background every SYNC_SECONDS
    (0 turns it off: sync by the button, the command or a file only)."""
    seconds = int(app.config.get("SYNC_SECONDS") or 0)
    if seconds <= 0:
        return None
    db = connect(app.config["DB"])
    try:
        paired = nodes.state(db) is not None
    finally:
        db.close()
    return start_background(app, interval=seconds) if paired else None
