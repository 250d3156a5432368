"""Public pages for residents (no login, no personal data): the display screen and the request form."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import clock, daylog, notices, resident_requests, shelters
from ..domain.errors import N_, Conflict
from ..i18n import lang
from ..languages import BY_CODE, JAPANESE, LANGUAGES, markup

bp = Blueprint("residents", __name__, url_prefix="/residents")

REFRESH_SECONDS = 60
RUNNING = ("opening", "open", "closing")
NO_ANNOUNCEMENTS = N_("No announcements at the moment.")
WRITTEN_IN = {"ja": N_("Written in Japanese"), "en": N_("Written in English")}


@bp.app_context_processor
def announcement_helpers():
    """`running_announcements(shelter_id)` for templates/running/_announcements.html on other areas' pages."""
    return {"running_announcements": lambda shelter_id: daylog.current_announcements(get_db(), shelter_id),
            "announcement_blocks": announcement_blocks}


def announcement_blocks(item, code=None):
    """What a reader of language `code` sees of one announcement: [(html lang, text, note)].
    A library notice: in their language. Free text: as written (their language first when there is
    one), each marked with the language it was written in."""
    code = code or lang()
    if item.get("notice"):
        text = notices.render(item["notice"], item.get("values"), code)
        if text is not None:
            return [(BY_CODE[code].html, text, None)]
    written = [("ja", item["ja"])] + ([("en", item["en"])] if item.get("en") else [])
    own = "ja" if code in JAPANESE else code
    written.sort(key=lambda w: (w[0] != own, w[0] != "en"))
    return [(where, text, None if where == own else markup(code, WRITTEN_IN[where])) for where, text in written]


def _public_shelter(ref):
    """The shelter at this public URL: the one public rule (hidden answers exactly like unknown)."""
    return shelters.public_shelter(get_db(), ref)


@bp.route("/<ref>/display")
def display(ref):
    """The residents' display (big screen in the hall): announcements refreshed by the page itself
    every minute without JavaScript. ?show=both (default): the page's language and Japanese;
    ?show=all: library notices in every language at once; ?show=ja|en: one language."""
    shelter = _public_shelter(ref)
    show = request.args.get("show", "both")
    if show not in ("ja", "en", "both", "all"):
        show = "both"
    shown = {"ja": ["ja"], "en": ["en"], "all": [language.code for language in LANGUAGES]}.get(
        show, list(dict.fromkeys([lang(), "ja", "en"])))
    return render_template("running/display.html", shelter=shelter, show=show, refresh=REFRESH_SECONDS,
                           items=daylog.current_announcements(get_db(), shelter["id"]),
                           vocab=shelters, updated=clock.utc_to_local(daylog.now()), shown=shown,
                           headings=list(dict.fromkeys(shown[:3] if show != "all" else [lang(), "ja"])),
                           say=markup, html_of=lambda code: BY_CODE[code].html, none_now=NO_ANNOUNCEMENTS)


@bp.route("/<ref>/requests", methods=["GET", "POST"])
def request_form(ref):
    """The request form for residents' phones (linked from the door page)."""
    shelter = _public_shelter(ref)
    if request.method == "POST":
        if shelter["state"] not in RUNNING:
            raise Conflict(N_("This shelter is not taking requests now."))
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
