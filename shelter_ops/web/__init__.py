"""The web edge: blueprints, the signed-in user, and domain errors turned into 4xx pages or JSON."""
import functools

from flask import g, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from ..db import get_db
from ..domain import accounts, clock, shelters
from ..domain.errors import N_, DomainError, Forbidden
from ..i18n import lang, message_language
from . import once


# Links other areas add to the shelter's screens and to HQ's menu: (endpoint, (ja, en), roles)
SHELTER_TOOLS = []
HQ_TOOLS = []


def shelter_tool(endpoint, ja, en, roles=("hq", "lead", "staff"), *, position=50):
    """Show a link to `endpoint` (which takes `ref`) on every shelter's screen, by `position`
    (smallest first: the desk leads, closing comes last), whatever order the modules load in."""
    SHELTER_TOOLS.append((endpoint, (ja, en), roles, position))
    SHELTER_TOOLS.sort(key=lambda tool: tool[3])


def hq_tool(endpoint, ja, en):
    """Show a link to `endpoint` in HQ's menu."""
    HQ_TOOLS.append((endpoint, (ja, en), ("hq",)))


def current_user():
    """The signed-in user: the cookie's session must still be open and its account enabled."""
    if "user" not in g:
        session_id = session.get("sid")
        g.user = accounts.user_for_session(get_db(), session_id) if session_id else None
    return g.user


def current_actor():
    """Who is acting in this request, for the domain's rules (domain/access.py) and the event log."""
    from ..eventlog import Actor, actor_of

    user = current_user()
    # nobody signed in is the public (door phones), never the system, which may do everything
    return actor_of(user) if user is not None else Actor(user="public", role="public")


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles):
    """Only these roles may use the view (after signing in)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user()["role"] not in roles:
                raise Forbidden("この画面を使う権限がありません。", "Your role cannot use this screen.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def shelter_for(ref):
    """The shelter at this URL, if the signed-in user may work on it. :raise 404/403:"""
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(current_user(), shelter)
    return shelter


def wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(error):
    if wants_json():
        return jsonify(error=error.as_dict(message_language())), error.status
    return render_template("error.html", error=error), error.status


def care_words(codes):
    """Care-needs codes (ILL, PRG, INF…) as the words a person reads, in the screen's language:
    the codes are for files and feeds, never for people."""
    from ..domain.households import CARE_CODES

    if isinstance(codes, str):
        codes = [codes]
    words = [(CARE_CODES[c][1] if lang() == "en" else CARE_CODES[c][0]) if c in CARE_CODES else c
             for c in codes or ()]
    return (", " if lang() == "en" else "、").join(words)


# The areas of the web edge, in the order they are registered (and add their screen links). A new
# area is added here: nothing is found by scanning the package.
BLUEPRINTS = ["api", "auth", "closing", "dashboard", "desk", "door", "health", "hq", "iccards", "inquiries", "interop",
              "nodes", "printing", "public", "reports", "residents", "running", "staff", "supplies", "sync"]


def _too_many_message():
    """The refusal of a rate limit, in words for the screen that hit it."""
    from ..domain.errors import TooMany

    if request.endpoint in ("door.form", "door.prereg_page"):  # an evacuee's phone: in their language
        return TooMany(N_("Too many registrations from this device. Wait about %(n)s min, or ask at the desk."),
                       params={"n": 10})
    if request.endpoint == "auth.login":
        return TooMany("サインインの失敗が続いたため、しばらく待ってからやり直してください。",
                       "Too many failed sign-ins. Wait a while and try again.")
    return TooMany("要求が多すぎます。少し待ってからやり直してください。", "Too many requests. Wait and try again.")




def blueprints():
    """The `bp` of every area in BLUEPRINTS."""
    import importlib

    return [importlib.import_module(f"{__name__}.{name}").bp for name in BLUEPRINTS]


def init_app(app):
    for blueprint in blueprints():
        app.register_blueprint(blueprint)

    app.register_error_handler(DomainError, error_response)

    @app.errorhandler(CSRFError)
    def csrf_refused(_error):
        return error_response(DomainError(
            N_("The form expired or was not sent by this site. Reload the page and try again."),
            status=400, code="CSRF"))

    @app.errorhandler(404)
    def not_found(_error):
        return error_response(DomainError(N_("Page not found."), status=404, code="NotFound"))

    @app.errorhandler(405)
    def not_allowed(_error):
        return error_response(DomainError(N_("Method not allowed."), status=405,
                                          code="MethodNotAllowed"))

    @app.errorhandler(413)
    def too_large(_error):
        limit = f"{app.config['MAX_JSON_KB']} KB" if request.is_json else f"{app.config['MAX_UPLOAD_MB']} MB"
        return error_response(DomainError(f"送信が大きすぎます（上限 {limit}）。",
                                          f"The request is too large (at most {limit}).", status=413,
                                          code="TooLarge"))

    @app.errorhandler(429)
    def too_many(_error):
        return error_response(_too_many_message())

    @app.errorhandler(400)
    def bad_request(_error):
        return error_response(DomainError("送信の形式が正しくありません。", "The request is malformed.",
                                          status=400, code="BadRequest"))

    app.add_template_filter(clock.utc_to_local, "local_time")
    app.add_template_filter(care_words, "care_words")
    app.add_template_global(once.form_guard, "form_guard")
    app.add_template_global(once.once_token, "once_token")

    @app.before_request
    def claim_form_token():
        if request.method == "POST" and not request.path.startswith("/api/"):
            user = current_user()
            return once.form_begin(user["id"] if user else None)
        return None

    app.after_request(once.form_finish)

    @app.context_processor
    def inject_user():
        return {"current_user": current_user(), "shelter_tools": SHELTER_TOOLS, "hq_tools": HQ_TOOLS}
