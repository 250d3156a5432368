"""Signing in and out, the language switch, and the start page for each role."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address

from .. import limiter
from ..db import get_db
from ..domain import accounts, shelters
from ..domain.errors import Invalid
from ..i18n import remember
from ..languages import code_of
from . import current_user

bp = Blueprint("auth", __name__)


@bp.route("/")
def index():
    """Staff go to their shelter, HQ to the overview, everyone else to the public status."""
    user = current_user()
    if user is None:
        return redirect(url_for("public.index"))
    if user["role"] == "hq":
        return redirect(url_for("hq.overview"))
    shelter = shelters.get(get_db(), user["shelter_id"])
    return redirect(url_for("staff.shelter", ref=shelters.ref(shelter)))


@bp.route("/favicon.ico")
def favicon():
    """The tab's icon (browsers ask for /favicon.ico whatever the page says)."""
    response = current_app.send_static_file("favicon.ico")
    response.cache_control.max_age = 86400
    return response


def safe_next(target):
    """`target` when it is a path on this site, else "": no scheme, no host, and no character a
    browser drops or turns into a slash (`/\\t/evil.example` becomes `//evil.example`)."""
    target = target or ""
    if not target.startswith("/") or any(c <= " " or c in "\\\x7f" for c in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return ""
    return target


def _address_and_name():
    return f"{get_remote_address()}|{(request.form.get('name') or '').strip().lower()}"


def _failed(response):
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], key_func=_address_and_name, methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
def login():
    """Sign in with name and password. Failed attempts are throttled per address and user name."""
    error = None
    if request.method == "POST":
        db = get_db()
        user = accounts.authenticate(db, request.form.get("name"), request.form.get("password"))
        if user is None:
            error = Invalid("ユーザー名またはパスワードが違います。", "Wrong user name or password.")
        else:
            keep_lang = session.get("lang")
            session.clear()
            session["sid"] = accounts.start_session(db, user["id"])
            if keep_lang:
                session["lang"] = keep_lang
            return redirect(safe_next(request.args.get("next")) or url_for("auth.index"))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: the session ends on the server, so a copy of the cookie opens nothing."""
    if session.get("sid"):
        accounts.end_session(get_db(), session["sid"])
    keep_lang = session.get("lang")
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
def switch_language(code):
    """Remember the chosen language (a cookie) and go back to the page."""
    code = code_of(code)
    back = urlsplit(request.referrer or "")
    target = back.path + ("?" + back.query if back.query else "") if back.netloc == request.host else ""
    response = redirect(safe_next(target) or url_for("auth.index"))
    if code:
        session["lang"] = code
        remember(response, code)
    return response
