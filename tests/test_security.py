"""Safe by default (#10): first start without demo accounts, production refusals, sign-in
throttling, sessions that end, cookies and headers, owner-only files, accounts that can be disabled."""
import base64
import hashlib
import logging
import os
import stat

import pytest

from shelter_ops import create_app
from shelter_ops.config import load
from shelter_ops.db import connect
from shelter_ops.domain import accounts
from shelter_ops.security import UnsafeStart

from conftest import FAST_HASH, PASSWORD, TEST_SECRET, csrf_from, insert_shelter

STRONG = "f3b1c6a09e7d4b2c8a5f0e1d3c7b9a6e4d2f8c0b1a3e5d7f9c2b4a6e8d0f1c3b"


def production(tmp_path, **overrides):
    return create_app({"DB": str(tmp_path / "prod.sqlite"), "ENV": "production", "SECRET_KEY": STRONG,
                       **overrides})


def login(client, name, password=PASSWORD, next_=None, **kwargs):
    token = csrf_from(client.get("/login", **{k: v for k, v in kwargs.items() if k == "base_url"}))
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"name": name, "password": password, "csrf_token": token}, **kwargs)


# --- HIGH 3: a fresh start has no published passwords ---

def test_a_plain_start_loads_no_demo_data_and_make_run_turns_the_demo_on():
    assert load(environ={})["DEMO"] is False
    makefile = open(os_path("Makefile"), encoding="utf-8").read()
    run_target = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "SHELTER_OPS_DEMO" in run_target and "run.py" in run_target


def os_path(name):
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), name)


def test_the_demo_accounts_are_printed_as_demo_only(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert "FOR THE DEMO ONLY" in result.output and "demo-hq-2026" in result.output


@pytest.mark.parametrize("key", ["a", "test", "short-but-not-32-characters", "x" * 40, "changeme"])
def test_production_refuses_a_weak_secret_key_and_names_the_setting(tmp_path, key):
    with pytest.raises(UnsafeStart) as refused:
        production(tmp_path, SECRET_KEY=key)
    assert "SHELTER_OPS_SECRET_KEY" in str(refused.value) and "本番" in str(refused.value)


def test_production_refuses_the_demo_setting_and_a_test_password_hash(tmp_path):
    with pytest.raises(UnsafeStart, match="SHELTER_OPS_DEMO"):
        production(tmp_path, DEMO=True)
    with pytest.raises(UnsafeStart, match="SHELTER_OPS_PASSWORD_HASH"):
        production(tmp_path, PASSWORD_HASH=FAST_HASH)


def test_production_refuses_an_account_with_its_published_demo_password_until_it_is_changed(tmp_path):
    dev = create_app({"DB": str(tmp_path / "prod.sqlite"), "SECRET_KEY": STRONG, "PASSWORD_HASH": FAST_HASH})
    db = connect(dev.config["DB"])
    accounts.add_user(db, "hq", "demo-hq-2026", "hq")
    with pytest.raises(UnsafeStart, match="users passwd"):
        production(tmp_path)
    # the command line still starts in production, so the operator can fix it
    cli_app = create_app({"DB": str(tmp_path / "prod.sqlite"), "ENV": "production", "SECRET_KEY": STRONG},
                         serving=False)
    result = cli_app.test_cli_runner().invoke(args=["users", "passwd", "hq"], input="a new long password\n")
    assert result.exit_code == 0, result.output
    assert cli_app.test_cli_runner().invoke(args=["demo"]).exit_code != 0  # and never loads the demo
    assert production(tmp_path).config["ENV"] == "production"
    db.close()


def test_production_refuses_a_database_holding_the_demo_shelters(tmp_path):
    dev = create_app({"DB": str(tmp_path / "prod.sqlite"), "SECRET_KEY": STRONG, "PASSWORD_HASH": FAST_HASH})
    db = connect(dev.config["DB"])
    insert_shelter(db, source="demo")
    db.close()
    with pytest.raises(UnsafeStart, match="SHELTER_OPS_DB"):
        production(tmp_path)


def test_a_weak_key_is_a_warning_in_development(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        create_app({"DB": str(tmp_path / "dev.sqlite"), "SECRET_KEY": "a", "PASSWORD_HASH": FAST_HASH})
    assert "SHELTER_OPS_SECRET_KEY is weak" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app({"DB": str(tmp_path / "dev.sqlite"), "SECRET_KEY": TEST_SECRET, "PASSWORD_HASH": FAST_HASH})
    assert "SECRET_KEY" not in caplog.text


# --- item 5: no open redirect after signing in ---

@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/\\evil.example",
                                    "https://evil.example/", "/%0d%0a/evil.example", "%2F%2Fevil.example",
                                    "javascript:alert(1)"])
def test_signing_in_never_redirects_off_the_site(app, db, target):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    response = login(app.test_client(), "hq1", next_=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert location.lstrip("/").startswith(("hq", "http://localhost/")) or location == "/"


def test_signing_in_goes_back_to_the_page_asked_for(app, db):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    assert login(app.test_client(), "hq1", next_="/hq/?x=1").headers["Location"] == "/hq/?x=1"


# --- item 8: throttled guessing, no user-name oracle ---

def test_wrong_passwords_are_throttled_per_address_and_name_and_the_right_one_waits_too(app, db):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    guesser = app.test_client()
    here = {"REMOTE_ADDR": "10.1.1.1"}
    statuses = [login(guesser, "hq1", f"guess-{i}", environ_base=here).status_code for i in range(7)]
    assert statuses == [401] * 5 + [429] * 2  # 5 attempts a minute (LOGIN_LIMIT)
    refused = login(guesser, "hq1", PASSWORD, environ_base=here, headers={"Accept-Language": "en"})
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.get_data(as_text=True)
    # the real user on another tablet (another address) still signs in
    assert login(app.test_client(), "hq1", environ_base={"REMOTE_ADDR": "10.1.1.2"}).status_code == 302


def test_successful_sign_ins_are_not_counted(app, db):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    client = app.test_client()
    assert all(login(client, "hq1").status_code == 302 for _ in range(8))


def test_one_address_guessing_many_names_meets_the_address_ceiling(app, db):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "8 per minute"
    guesser = app.test_client()
    statuses = [login(guesser, f"user{i}", "guess").status_code for i in range(9)]
    assert statuses == [401] * 8 + [429]


def test_an_unknown_user_name_costs_a_password_check_like_a_known_one(app, db, monkeypatch):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    checked = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checked.append(h.split("$")[0]) or real(h, p))
    assert accounts.authenticate(db, "nobody", "guess") is None
    assert accounts.authenticate(db, "hq1", "guess") is None
    assert len(checked) == 2 and checked[0] == checked[1]  # the same hash method, the same cost


# --- item 9: cookies, headers, sessions that end ---

def test_the_session_cookie_is_httponly_samesite_lax_and_secure_when_set(app, db, tmp_path):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    cookie = login(app.test_client(), "hq1").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = create_app({"DB": app.config["DB"], "SECRET_KEY": TEST_SECRET, "PASSWORD_HASH": FAST_HASH,
                         "SECURE_COOKIES": True})
    cookie = secure.test_client().get("/login", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie


def test_every_page_sends_the_security_headers(app):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_templates_inline_handlers_are_allowed_by_hash_and_nothing_else(app):
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    for code in ("window.print()", "alert(document.cookie)"):
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert (f"'sha256-{digest}'" in csp) == (code == "window.print()")


def test_the_roster_is_never_cached(app, db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    response = staff.get("/shelters/E1420400001111/desk/roster")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/static/css/app.css").headers.get("Cache-Control", "")


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, db):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    tablet = app.test_client()
    login(tablet, "hq1")
    captured = tablet.get_cookie("session").value
    assert tablet.get("/hq/").status_code == 200
    tablet.post("/logout", data={"csrf_token": csrf_from(tablet.get("/hq/"))})
    thief = app.test_client()
    thief.set_cookie("session", captured)
    assert thief.get("/hq/").status_code == 302  # to the sign-in page


# --- item 13: files only their owner can read ---

def test_the_database_its_wal_the_secret_and_backups_are_owner_only(tmp_path, db):
    folder = tmp_path / "fresh"
    app = create_app({"DB": str(folder / "shelter.sqlite"), "SECRET_KEY": "", "PASSWORD_HASH": FAST_HASH})
    conn = connect(app.config["DB"])
    accounts.add_user(conn, "hq1", PASSWORD, "hq")  # a write: the -wal exists now
    files = [folder / "shelter.sqlite", folder / "shelter.sqlite-wal", folder / "shelter.sqlite-shm",
             folder / "shelter.secret"]
    modes = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in files}
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.sqlite")])
    assert result.exit_code == 0, result.output
    modes["backup"] = oct(stat.S_IMODE((tmp_path / "backup.sqlite").stat().st_mode))
    conn.close()
    assert set(modes.values()) == {"0o600"}, modes


# --- item 14: disable users, revoke tokens ---

def test_a_disabled_user_is_signed_out_at_once_and_their_token_stops(app, db):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    tablet = app.test_client()
    login(tablet, "hq1")
    token = accounts.create_token(db, "hq1")
    bearer = {"Authorization": f"Bearer {token}"}
    assert tablet.get("/hq/").status_code == 200 and app.test_client().get("/api/v1/shelters", headers=bearer).status_code == 200
    result = app.test_cli_runner().invoke(args=["users", "disable", "hq1"])
    assert result.exit_code == 0, result.output
    assert tablet.get("/hq/").status_code == 302
    assert app.test_client().get("/api/v1/shelters", headers=bearer).status_code == 401
    assert login(app.test_client(), "hq1").status_code == 401
    app.test_cli_runner().invoke(args=["users", "enable", "hq1"])
    assert login(app.test_client(), "hq1").status_code == 302


def test_a_new_password_from_the_command_line_ends_the_old_sessions(app, db):
    accounts.add_user(db, "lead1", PASSWORD, "hq")
    tablet = app.test_client()
    login(tablet, "lead1")
    result = app.test_cli_runner().invoke(args=["users", "passwd", "lead1"], input="another long password\n")
    assert result.exit_code == 0, result.output
    assert tablet.get("/hq/").status_code == 302
    assert login(app.test_client(), "lead1").status_code == 401
    assert login(app.test_client(), "lead1", "another long password").status_code == 302
    assert app.test_cli_runner().invoke(args=["users", "passwd", "nobody"], input="x" * 9 + "\n").exit_code != 0


def test_tokens_are_listed_without_their_secret_and_revoked_by_id(app, db):
    accounts.add_user(db, "robot", PASSWORD, "hq")
    runner = app.test_cli_runner()
    token = runner.invoke(args=["tokens", "create", "robot"]).output.strip()
    listing = runner.invoke(args=["tokens", "list"]).output
    assert "robot" in listing and token not in listing
    token_id = listing.split("\t")[0]
    assert runner.invoke(args=["tokens", "revoke", "short"]).exit_code != 0  # too short to be one token
    result = runner.invoke(args=["tokens", "revoke", token_id[:8]])
    assert result.exit_code == 0 and token_id in result.output
    response = app.test_client().get("/api/v1/shelters", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert runner.invoke(args=["tokens", "list"]).output == ""


def test_no_template_needs_what_the_policy_forbids():
    """No inline <script> block and no javascript: link: the Content-Security-Policy blocks both."""
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "templates"
    for path in folder.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "javascript:" not in text, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path


def test_the_production_start_of_run_py_refuses_a_weak_key_with_the_setting_and_no_traceback(tmp_path):
    import subprocess
    import sys

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SHELTER_OPS_ENV": "production",
           "SHELTER_OPS_SECRET_KEY": "a", "SHELTER_OPS_DB": str(tmp_path / "prod.sqlite")}
    done = subprocess.run([sys.executable, os_path("run.py")], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SHELTER_OPS_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "prod.sqlite").exists()  # refused before anything was created
