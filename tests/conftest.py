"""Fixtures: a fresh app and database per test, clients signed in by role, shelters to work on."""
import re
from pathlib import Path

import pytest

from shelter_ops import create_app
from shelter_ops.config import DEFAULTS
from shelter_ops.db import connect
from shelter_ops.domain import accounts, shelters

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
PASSWORD = "correct horse battery"
TEST_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
FAST_HASH = "pbkdf2:sha256:1000"  # scrypt costs ~0.4 s a sign-in; the test app needs no real cost
TEST_SETTINGS = {"SECRET_KEY": TEST_SECRET, "PASSWORD_HASH": FAST_HASH, "DEMO": False}


def pytest_collection_modifyitems(items):
    """The long tests (browsers, real servers, Redis: marked slow, browser or redis) first, the quick ones
    after: pytest-xdist hands tests out in this order, so the quick ones fill the gaps at the end instead
    of one worker finishing a long test alone (longest first). Stable: the order within each group stays."""
    long = {"slow", "browser", "redis"}
    items.sort(key=lambda item: not long.intersection(m.name for m in item.iter_markers()))


def shared_file(name):
    """A real public file from ../shared/data; the test is skipped where the folder is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"../shared/data/{name} is not here (a fresh clone has no ../shared)")
    return path


@pytest.fixture(autouse=True)
def no_flask_cli_flag():
    """Flask's CLI, run in-process by a test, sets FLASK_RUN_FROM_CLI; a run.py started later would inherit it
    and ignore app.run(). Every test starts without it."""
    import os

    yield
    os.environ.pop("FLASK_RUN_FROM_CLI", None)


@pytest.fixture
def app(tmp_path):
    app = create_app({"DB": str(tmp_path / "test.sqlite"), **TEST_SETTINGS, "TESTING": True})
    yield app


@pytest.fixture
def db(app):
    """A connection of the test's own, outside any request (an app context held open here would
    leak `g` into the requests of the test client)."""
    conn = connect(app.config["DB"])
    yield conn
    conn.close()


# the states a shelter passes through on its way to each state (transitions the system may make)
PATH_TO = {"standby": (), "opening": ("opening",), "open": ("open",), "closing": ("open", "closing"),
           "closed": ("open", "closing", "closed")}


def insert_shelter(db, kyotsu_id="E1420400001111", name="第一小学校", state="standby", zones=(("体育館", "general", 350.0),),
                   *, opened_at=None, hidden=0, safety=None, **extra):
    """A shelter with zones, made through the domain as HQ would (so replay rebuilds it), then taken to
    `state` (opened at `opened_at`: the clock is set to that time while it opens), `safety` and `hidden`."""
    from shelter_ops.domain import clock

    fields = {"kyotsu_id": kyotsu_id, "municipality_code": "142042", "name": name, "name_en": "School",
              "address": "鎌倉市", "lat": 35.31, "lon": 139.55, "kind": "general", **extra}
    shelter = shelters.register(db, fields, actor="system")
    for zone_name, kind, m2 in zones:
        shelters.add_zone(db, shelter["id"], {"name": zone_name, "kind": kind, "usable_m2": m2}, actor="system")
    if safety:
        shelters.mark_item(db, shelter["id"], "safety_check", items=shelters.checklist_items(DEFAULTS["CHECKLIST"]),
                           actor="system", result=safety)
    previous = clock._source
    if opened_at is not None:
        moment = clock.parse_time(opened_at)
        clock.set_source(lambda: moment)
    try:
        for step in PATH_TO[state]:
            shelters.transition(db, shelter["id"], step, actor="system", confirmed=True)
    finally:
        clock.set_source(previous)
    if hidden:
        shelters.set_hidden(db, shelter["id"], True, actor="system")
    return shelters.get(db, shelter["id"])


@pytest.fixture
def shelter_a(db):
    return insert_shelter(db, "E1420400001111", "第一小学校")


@pytest.fixture
def shelter_b(db):
    return insert_shelter(db, "E1420400002111", "第二小学校")


class Session:
    """A browser-like client signed in as one user; posts forms with their CSRF token."""

    def __init__(self, app, name):
        self.client = app.test_client()
        self.name = name

    def login(self):
        page = self.client.get("/login")
        response = self.client.post("/login", data={"name": self.name, "password": PASSWORD,
                                                    "csrf_token": csrf_from(page)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, page=None, **kwargs):
        """POST a form, with the CSRF token of `page` (default: the start page)."""
        token = csrf_from(page or self.client.get("/public/"))
        return self.client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def csrf_from(response):
    match = re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True)) or \
        re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def signed_in(app, db):
    """signed_in(role, shelter=None) -> a Session for a new user with that role."""
    count = [0]

    def make(role, shelter=None):
        count[0] += 1
        name = f"{role}{count[0]}"
        accounts.add_user(db, name, PASSWORD, role, shelter_id=shelter["id"] if shelter else None)
        return Session(app, name).login()

    return make


@pytest.fixture
def api(app, db):
    """api(role, shelter=None) -> a test client whose requests carry a bearer token."""
    count = [0]

    def make(role, shelter=None):
        count[0] += 1
        name = f"api-{role}{count[0]}"
        accounts.add_user(db, name, PASSWORD, role, shelter_id=shelter["id"] if shelter else None)
        token = accounts.create_token(db, name)
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    return make


# --- real browsers (headless Chromium, the system package) against the app on 127.0.0.1 ---

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path():
    """The system Chromium; installed with apt-get when missing and we are root; else skip, saying why."""
    import os
    import shutil
    import subprocess

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, timeout=900, env=env)
        path = shutil.which("chromium")
        if path:
            return path
        pytest.skip("Chromium is not installed and `apt-get install -y chromium` did not install it")
    pytest.skip("Chromium is not installed and this user cannot install it (run .ci/run as root, or "
                "apt-get install chromium)")


@pytest.fixture
def live_server(app):
    """The test's app served by Werkzeug in a thread on 127.0.0.1 (a free port); yields its URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser_page(live_server):
    """A Japanese-locale Chromium tab on the live server. Any request that leaves 127.0.0.1 is
    blocked and fails the test, and so does any script error on the page."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    path = chromium_path()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="ja-JP")
        outside, errors = [], []

        def only_here(route):
            if route.request.url.startswith(live_server):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", only_here)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.set_default_timeout(15000)
        yield tab
        browser.close()
        assert not outside, f"the page asked the internet for {outside}"
        assert not errors, f"script errors: {errors}"
