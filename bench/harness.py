"""The shared harness: start the real server as a user would (run.py, 127.0.0.1, a free port, a
temporary database), give it data and a token, drive it with bounded load, stop it.

Every load generator here talks to 127.0.0.1 only and is bounded in request count and time.
"""
import contextlib
import http.client
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


class Skip(Exception):
    """A benchmark that cannot run here (a feature is not there yet); the message says why."""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_nofile(limit=8192):
    """Raise the open-file limit so many sockets fit (bounded by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(limit, hard) if hard != resource.RLIM_INFINITY else limit
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def percentile(values, q):
    """The q-th percentile (0..100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --- the database the server will start on ---

def prepare_db(path, shelters=1, state="open", usable_m2=100000.0, names=None):
    """Create the schema, `shelters` shelters in `state` with one big zone, and an hq user with a
    token. Returns {"token": ..., "shelters": [{"id", "kyotsu_id"}...]}."""
    from shelter_ops.db import connect, migrate, new_id, now, write
    from shelter_ops.domain import accounts

    db = connect(str(path))
    try:
        migrate(db)
        made = []
        with write(db):
            for n in range(shelters):
                shelter_id = new_id()
                kyotsu = f"E14204{n + 1:05d}111"[:14]
                db["shelters"].insert({
                    "id": shelter_id, "kyotsu_id": kyotsu, "municipality_code": "142042",
                    "name": names[n][0] if names else f"ベンチ小学校{n + 1}",
                    "name_en": names[n][1] if names else f"Bench School {n + 1}", "address": "鎌倉市",
                    "lat": 35.30 + n * 0.001, "lon": 139.55 + n * 0.001, "kind": "general", "state": state,
                    "hidden": 0, "opened_at": now() if state == "open" else None, "updated_at": now()})
                db["zones"].insert({"id": new_id(), "shelter_id": shelter_id, "name": "体育館", "kind": "general",
                                    "usable_m2": usable_m2, "blocked_places": 0, "position": 0,
                                    "updated_at": now()})
                made.append({"id": shelter_id, "kyotsu_id": kyotsu})
        accounts.add_user(db, "bench-hq", PASSWORD, "hq")
        token = accounts.create_token(db, "bench-hq")
        return {"token": token, "shelters": made}
    finally:
        db.close()


# --- the server process ---

class Server:
    """run.py (or `argv`, e.g. gunicorn) as a subprocess on 127.0.0.1 and a free port, on the database at `db_path`."""

    def __init__(self, db_path, async_mode="threading", env=None, start_timeout=60, argv=None):
        self.argv = argv or [sys.executable, str(ROOT / "run.py")]  # or the production command
        self.db_path = str(db_path)
        self.async_mode = async_mode
        self.port = free_port()
        self.extra_env = env or {}
        self.start_timeout = start_timeout
        self.proc = None
        self.log_path = Path(self.db_path).with_suffix(".log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ)
        env.update({
            "SHELTER_OPS_PORT": str(self.port), "SHELTER_OPS_HOST": "127.0.0.1",
            "SHELTER_OPS_DB": self.db_path, "SHELTER_OPS_ASYNC_MODE": self.async_mode,
            "SHELTER_OPS_DEMO": "0", "SHELTER_OPS_SECRET_KEY": "bench", "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        self._log = open(self.log_path, "ab")
        env.setdefault("SHELTER_OPS_BIND", f"127.0.0.1:{self.port}")  # deployment/gunicorn.conf.py
        self.proc = subprocess.Popen(self.argv, cwd=str(ROOT), env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     preexec_fn=lambda: raise_nofile(8192))
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _body = get(self.url + "/health", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer /health within {self.start_timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def pid(self):
        return self.proc.pid

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def running_server(async_mode="threading", shelters=1, state="open", env=None):
    """A fresh database in a temporary folder, prepared, and the server on it. Yields (server, info)."""
    with tempfile.TemporaryDirectory(prefix="shelter-bench-") as tmp:
        db_path = Path(tmp) / "bench.sqlite"
        info = prepare_db(db_path, shelters=shelters, state=state)
        server = Server(db_path, async_mode=async_mode, env=env)
        with server:
            yield server, info


# --- HTTP clients ---

def get(url, headers=None, timeout=10):
    """One GET on a fresh connection: (status, body bytes)."""
    host, port, path = _split(url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _split(url):
    assert url.startswith("http://127.0.0.1:"), "load generators talk to 127.0.0.1 only"
    rest = url[len("http://"):]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port), "/" + path


class Client:
    """A keep-alive HTTP/1.1 connection to the server (reconnects when the server closes it)."""

    def __init__(self, base_url, token=None, timeout=10):
        self.host, self.port, _ = _split(base_url + "/")
        self.token = token
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict, body bytes)."""
        all_headers = {"Connection": "keep-alive"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=all_headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close" or response.version == 10:
                    self.close()
                return response.status, dict(response.getheaders()), payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                self.close()
                if attempt == 2 or method != "GET":
                    raise
        raise RuntimeError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def load(base_url, make_request, *, clients=16, total=2000, max_seconds=30, token=None):
    """`clients` threads each with a keep-alive connection send `total` requests in all (or stop at
    `max_seconds`). make_request(i) -> (method, path, body, headers). Returns a dict with rate,
    latencies (s), and per-request results [(i, status, body)]."""
    counter = iter(range(total))
    lock = threading.Lock()
    latencies, results, errors = [], [], []
    stop_at = time.monotonic() + max_seconds

    def worker():
        client = Client(base_url, token=token)
        try:
            while time.monotonic() < stop_at:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                method, path, body, headers = make_request(i)
                t0 = time.perf_counter()
                try:
                    status, _h, payload = client.request(method, path, body, headers)
                except (OSError, http.client.HTTPException) as error:  # the request's fate is unknown: it was not acknowledged
                    with lock:
                        errors.append((i, repr(error)))
                    client.close()
                    continue
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    results.append((i, status, payload))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 30)
    wall = time.perf_counter() - started
    return {
        "rate": len(latencies) / wall if wall else 0.0,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "latencies": latencies,
        "results": results,
        "errors": errors,
        "wall": wall,
    }


# --- the machine ---

def machine():
    """Cores, RAM, CPU model, Python version, OS: printed with every table."""
    import psutil

    model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": model or "unknown",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
