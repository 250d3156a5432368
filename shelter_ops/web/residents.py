"""Public pages for residents (no login, no personal data): the display screen and the request form."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import clock, daylog, resident_requests, shelters
from ..domain.errors import Conflict

bp = Blueprint("residents", __name__, url_prefix="/residents")

REFRESH_SECONDS = 60
RUNNING = ("opening", "open", "closing")


@bp.app_context_processor
def announcement_helpers():
    """`running_announcements(shelter_id)` for templates/running/_announcements.html on other areas' pages."""
    return {"running_announcements": lambda shelter_id: daylog.current_announcements(get_db(), shelter_id)}


def _public_shelter(ref):
    """The shelter at this public URL: the one public rule (hidden answers exactly like unknown)."""
    return shelters.public_shelter(get_db(), ref)


@bp.route("/<ref>/display")
def display(ref):
    """The residents' display (big screen in the hall): announcements in ja and/or en, refreshed
    by the page itself every minute without JavaScript. ?show=ja|en|both (default: both)."""
    shelter = _public_shelter(ref)
    show = request.args.get("show", "both")
    if show not in ("ja", "en", "both"):
        show = "both"
    return render_template("running/display.html", shelter=shelter, show=show, refresh=REFRESH_SECONDS,
                           items=daylog.current_announcements(get_db(), shelter["id"]),
                           vocab=shelters, updated=clock.utc_to_local(daylog.now()))


@bp.route("/<ref>/requests", methods=["GET", "POST"])
def request_form(ref):
    """The request form for residents' phones (linked from the door page)."""
    shelter = _public_shelter(ref)
    if request.method == "POST":
        if shelter["state"] not in RUNNING:
            raise Conflict("この避難所は現在受け付けていません。", "This shelter is not taking requests now.")
        form = request.form
        anonymous = form.get("anonymous") == "yes"
        client = resident_requests.client_key(request.remote_addr or "", current_app.config["SECRET_KEY"])
        resident_requests.submit(
            get_db(), shelter["id"], category=form.get("category", ""), text=form.get("text", ""),
            name="" if anonymous else form.get("name", ""), room="" if anonymous else form.get("room", ""),
            anonymous=anonymous or not form.get("name", "").strip(), source="phone", actor="resident",
            client=client, limit=current_app.config["RESIDENT_REQUEST_LIMIT"],
            window_minutes=current_app.config["RESIDENT_REQUEST_WINDOW_MINUTES"])
        return redirect(url_for("residents.request_form", ref=ref, sent=1))
    return render_template("running/request_form.html", shelter=shelter, vocab=resident_requests,
                           sent=request.args.get("sent"), running=shelter["state"] in RUNNING,
                           items=daylog.current_announcements(get_db(), shelter["id"]))
