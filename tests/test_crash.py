"""Faults a shelter will meet: the server killed (power cut, kill -9) in the middle of a burst of
check-ins, and a backup taken while the desk keeps checking people in, then restored.

These start the real server (run.py) on 127.0.0.1 and a free port, on a temporary database."""
import http.client
import json
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_api  # noqa: E402
from bench.harness import Client, Server, prepare_db  # noqa: E402

pytestmark = pytest.mark.slow


def checkins_path(server, ref):
    path = bench_api.checkins_path(server)
    return path.replace("{ref}", ref)


class Desk:
    """Threads checking households in through the API; remembers what the server acknowledged."""

    def __init__(self, server, token, path, threads=6, per_thread=400):
        self.server, self.token, self.path = server, token, path
        self.threads, self.per_thread = threads, per_thread
        self.acked, self.lost = {}, []  # key -> household id; keys never acknowledged
        self.bodies = {}  # key -> the body sent with it (a retry sends the same)
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def _work(self, n):
        client = Client(self.server.url, token=self.token, timeout=5)
        for i in range(self.per_thread):  # bounded
            if self.stop.is_set():
                return
            key = str(uuid.uuid4())
            sent = bench_api.household(n * 10_000 + i)
            with self.lock:
                self.bodies[key] = sent
            try:
                status, _h, body = client.request("POST", self.path, sent, {"Idempotency-Key": key})
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.lost.append(key)
                return  # the server is gone
            if status == 201:
                with self.lock:
                    self.acked[key] = json.loads(body)["household"]["id"]

    def start(self):
        self.pool = [threading.Thread(target=self._work, args=(n,), daemon=True) for n in range(self.threads)]
        for thread in self.pool:
            thread.start()
        return self

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while len(self.acked) < count and time.monotonic() < deadline and any(t.is_alive() for t in self.pool):
            time.sleep(0.01)

    def join(self):
        self.stop.set()
        for thread in self.pool:
            thread.join(30)


def integrity(path):
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def recorded(path, keys):
    """{key: how many events carry that Idempotency-Key} and the set of household ids stored."""
    conn = sqlite3.connect(str(path))
    try:
        counts = {}
        for (event_id,) in conn.execute("select op from events where op like 'api:%' and kind = 'household.registered'"):
            suffix = event_id.rsplit(":", 1)[-1]
            counts[suffix] = counts.get(suffix, 0) + 1
        households = {row[0] for row in conn.execute("select id from households")}
    finally:
        conn.close()
    return {key: counts.get(key, 0) for key in keys}, households


@pytest.fixture
def served(tmp_path):
    db_path = tmp_path / "shelter.sqlite"
    info = prepare_db(db_path)
    servers = []

    def start():
        server = Server(db_path).start()
        servers.append(server)
        return server

    yield db_path, info, start
    for server in servers:
        server.stop()


def test_every_acknowledged_check_in_survives_kill_9_exactly_once(served):
    db_path, info, start = served
    ref = info["shelters"][0]["kyotsu_id"]
    server = start()
    path = checkins_path(server, ref)
    desk = Desk(server, info["token"], path).start()
    desk.wait_for(150)
    server.kill9()  # mid-burst: the threads are still sending
    desk.join()
    acked = dict(desk.acked)
    assert len(acked) >= 150, "the burst did not get going before the kill"

    server = start()  # the same database, as an operator restarting the laptop would
    assert integrity(db_path) == "ok"
    counts, households = recorded(db_path, acked)
    assert [key for key, n in counts.items() if n != 1] == []
    assert set(acked.values()) <= households
    # the desk's retry of an acknowledged request after the restart changes nothing
    client = Client(server.url, token=info["token"])
    some_key = next(iter(acked))
    status, _h, body = client.request("POST", path, desk.bodies[some_key], {"Idempotency-Key": some_key})
    assert status == 201 and json.loads(body)["household"]["id"] == acked[some_key]  # the first answer again
    status, _h, body = client.request("GET", f"/api/v1/shelters/{ref}/households")
    assert status == 200
    listed = {h["id"] for h in json.loads(body)["households"]}
    assert set(acked.values()) <= listed
    client.close()


def shelter_ops(*args, db_path, stdin=None):
    env = {"SHELTER_OPS_DB": str(db_path), "SHELTER_OPS_DEMO": "0", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", "from shelter_ops.cli import main; main()", *args], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=120, input=stdin)


def test_backup_while_checking_in_is_consistent_and_restores(served, tmp_path):
    db_path, info, start = served
    ref = info["shelters"][0]["kyotsu_id"]
    server = start()
    path = checkins_path(server, ref)
    desk = Desk(server, info["token"], path, threads=4, per_thread=2000).start()  # stopped after the backup
    desk.wait_for(50)
    dest = tmp_path / "backups" / "copy.sqlite"
    result = shelter_ops("backup", str(dest), db_path=db_path)
    still_running = any(t.is_alive() for t in desk.pool)
    desk.join()
    assert result.returncode == 0, result.stderr
    assert dest.exists() and integrity(dest) == "ok"
    # a consistent snapshot: every household in the copy has its registration event, and back
    conn = sqlite3.connect(str(dest))
    try:
        in_copy = {row[0] for row in conn.execute("select id from households")}
        registered = conn.execute("select count(*) from events where kind = 'household.registered'").fetchone()[0]
    finally:
        conn.close()
    assert len(in_copy) == registered
    assert 50 <= len(in_copy) <= len(desk.acked)
    assert still_running, "the desk had stopped before the backup finished: not a backup under load"

    # restore: stop the server, put the copy back, start again
    server.stop()
    result = shelter_ops("restore", str(dest), "--yes", db_path=db_path)
    assert result.returncode == 0, result.stderr
    assert integrity(db_path) == "ok"
    server = start()
    client = Client(server.url, token=info["token"])
    status, _h, body = client.request("GET", f"/api/v1/shelters/{ref}/households")
    client.close()
    assert status == 200
    assert {h["id"] for h in json.loads(body)["households"]} == in_copy


def test_backup_refuses_to_overwrite_the_database_itself(tmp_path):
    db_path = tmp_path / "shelter.sqlite"
    prepare_db(db_path)
    result = shelter_ops("backup", str(db_path), db_path=db_path)
    assert result.returncode != 0
    assert "The backup destination is the database itself." in result.stderr
