"""Several server processes share live updates through Redis: a check-in on A reaches a screen on B."""
import os
import queue
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shelter_ops import create_app
from shelter_ops.db import connect
from shelter_ops.domain import accounts

from conftest import insert_shelter

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 30
WAIT_SECONDS = 10

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {seconds}s")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers():
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    try:
        wait_until(answers, START_SECONDS, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


@pytest.fixture
def start_server(tmp_path):
    """start_server(db, redis_url, mode) -> base URL of a run.py process on 127.0.0.1."""
    processes = []

    def start(db_path, redis_url, mode):
        port = free_port()
        env = {**os.environ, "SHELTER_OPS_HOST": "127.0.0.1", "SHELTER_OPS_PORT": str(port),
               "SHELTER_OPS_DB": str(db_path), "SHELTER_OPS_MESSAGE_QUEUE": redis_url,
               "SHELTER_OPS_ASYNC_MODE": mode, "SHELTER_OPS_DEMO": "0", "SHELTER_OPS_SECRET_KEY": "test"}
        log = open(tmp_path / f"server-{port}.log", "wb")
        process = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append((process, log))
        base = f"http://127.0.0.1:{port}"

        def answers():
            if process.poll() is not None:
                raise AssertionError("server exited:\n" + (tmp_path / f"server-{port}.log").read_text(errors="replace"))
            return requests.get(base + "/public/status.json", timeout=2).status_code == 200

        wait_until(answers, START_SECONDS, f"run.py on port {port}")
        return base

    yield start
    for process, log in processes:
        stop(process)
        log.close()


@pytest.mark.parametrize("mode", ["threading", "gevent"])
def test_a_check_in_on_one_process_reaches_a_screen_on_another(tmp_path, redis_url, start_server, mode):
    import socketio

    db_path = tmp_path / "shared.sqlite"
    create_app({"DB": str(db_path), "DEMO": False, "SECRET_KEY": "test"})  # creates the tables
    db = connect(str(db_path))
    shelter = insert_shelter(db, state="open", opened_at="2030-01-01T00:00:00+00:00")
    accounts.add_user(db, "desk-a", "correct horse battery", "staff", shelter_id=shelter["id"])
    token = accounts.create_token(db, "desk-a")
    db.close()

    a = start_server(db_path, redis_url, mode)
    b = start_server(db_path, redis_url, mode)

    updates = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("occupancy", updates.put)
    client.on("snapshot", lambda data: updates.put(("snapshot", data)))
    client.connect(b, auth={"rooms": ["public"]}, transports=["websocket"], wait_timeout=WAIT_SECONDS)
    try:
        snapshot = updates.get(timeout=WAIT_SECONDS)
        assert snapshot[0] == "snapshot" and snapshot[1]["shelters"][0]["occupancy"] == 0

        response = requests.post(f"{a}/api/v1/shelters/{shelter['kyotsu_id']}/checkins", timeout=WAIT_SECONDS,
                                 headers={"Authorization": f"Bearer {token}"},
                                 json={"household": {"staying": "shelter"},
                                       "persons": [{"name": "鎌倉太郎", "age": 40}, {"name": "鎌倉花子", "age": 38}]})
        assert response.status_code == 201, response.text

        deadline = time.monotonic() + WAIT_SECONDS
        seen = []
        while time.monotonic() < deadline:
            try:
                message = updates.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(message)
            if isinstance(message, dict) and message["kyotsu_id"] == shelter["kyotsu_id"] and message["occupancy"] == 2:
                break
        arrived = [m for m in seen if isinstance(m, dict) and m["occupancy"] == 2]
        assert arrived, f"process B's screen got no update; it got {seen}"
        assert "鎌倉太郎" not in repr(seen)
    finally:
        client.disconnect()
