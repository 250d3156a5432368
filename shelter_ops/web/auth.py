"""Signing in and out, the language switch, and the start page for each role."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with name and password."""
    error = None
    if request.method == "POST":
        user = accounts.authenticate(get_db(), request.form.get("name"), request.form.get("password"))
        if user is None:
            error = Invalid("ユーザー名またはパスワードが違います。", "Wrong user name or password.")
        else:
            keep_lang = session.get("lang")
            session.clear()
            session["user_id"] = user["id"]
            if keep_lang:
                session["lang"] = keep_lang
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("auth.index"))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
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
    response = redirect(target or url_for("auth.index"))
    if code:
        session["lang"] = code
        remember(response, code)
    return response
