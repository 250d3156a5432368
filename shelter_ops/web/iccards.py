"""IC cards at the desk: a tap's answer in words, and the page to link, unlink or report a lost card."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import codes, households, iccards, shelters
from ..domain.errors import DomainError, NotFound
from ..languages import BY_CODE, JAPANESE
from . import current_actor, current_user, login_required, shelter_for

bp = Blueprint("iccards", __name__, url_prefix="/shelters")


def _lang():
    from ..i18n import lang

    return lang()


def _visibility():
    return households.visibility(current_user()["role"])


def words(tapped, lang=None):
    """The desk's sentence for a tap, in the staff's language (ja or en)."""
    return tapped["message_ja"] if (lang or _lang()) in JAPANESE else tapped["message_en"]


def desk_result(shelter, tapped, *, db=None, visibility=None):
    """A tap as the desk shows it (the same shape as a scan's answer, plus "card")."""
    from .desk import _summary

    db = db or get_db()
    household = households.get(db, tapped["household_id"], **(visibility or _visibility()))
    evacuee = tapped["evacuee"]
    return {
        "result": tapped["result"],
        "message": words(tapped),
        "household": _summary(household),
        "warnings": [w[_lang()] if isinstance(w, dict) else w for w in tapped["warnings"]],
        "card": {"action": tapped["action"], "mode": tapped["mode"], "count_today": tapped["count_today"],
                 "evacuee": {"text": evacuee["text"], "lang": BY_CODE[evacuee["lang"]].html} if evacuee else None},
    }


def refused_result(shelter, refused, card=None):
    out = {"result": "unknown", "status": refused.status, "message": refused.message(_lang()),
           "message_ja": refused.ja, "message_en": refused.en}
    if refused.code == "UnknownCard":
        # the desk offers to link it: the id stays in this answer and the form, never in a URL
        out["card"] = {"unknown": True, "id": iccards.normalize(card),
                       "link_url": url_for("iccards.page", ref=shelters.ref(shelter))}
    return out


def tap_result(shelter, code, mode):
    """One tap at the desk (the wedge input, a typed id): what happened, in words."""
    try:
        tapped = iccards.tap(get_db(), shelter["id"], code, actor=current_actor(), mode=mode,
                             repeat_seconds=current_app.config["CARD_REPEAT_SECONDS"])
    except DomainError as refused:
        return refused_result(shelter, refused, code)
    return desk_result(shelter, tapped)


def _household(db, shelter, number):
    if not number:
        return None
    found = households.by_number(db, codes.validate(number), **_visibility())
    if found is None or found["shelter_id"] != shelter["id"]:
        raise NotFound("この避難所にその受付番号の世帯はありません。",
                       "No household with that reception number at this shelter.")
    return found


def _page(shelter, *, number=None, pending_card=None, error=None, done=None, status=200):
    db = get_db()
    household = None
    try:
        household = _household(db, shelter, number)
    except DomainError as refused:
        error = error or refused
        status = refused.status if status == 200 else status
    return render_template(
        "desk/ic.html", shelter=shelter, ref=shelters.ref(shelter), household=household, number=number or "",
        cards=iccards.linked_persons(db, household["id"]) if household else {}, pending_card=pending_card,
        error=error, done=done, linked=len(iccards.links(db, shelter["id"]))), status


@bp.route("/<ref>/desk/ic", methods=["GET", "POST"])
@login_required
def page(ref):
    """IC cards: find a household by its number, then link a card to a person, unlink it, or report it lost.
    POST (from a tap on an unknown card): the same page, offering to link that card."""
    shelter = shelter_for(ref)
    pending = None
    if request.method == "POST" and request.form.get("card"):
        try:
            pending = iccards.normalize(request.form["card"])
        except DomainError as refused:
            return _page(shelter, number=request.form.get("number"), error=refused, status=400)
    return _page(shelter, number=request.values.get("number"), pending_card=pending, done=request.args.get("done"))


def _back(ref, household_id, number, done):
    if request.form.get("back") == "registered":
        return redirect(url_for("desk.registered", ref=ref, household_id=household_id, done=done) + "#cards")
    return redirect(url_for("iccards.page", ref=ref, number=number, done=done) + "#cards")


def _number_of(db, household_id):
    row = db.execute("select reception_number from households where id = ?", [household_id]).fetchone()
    return codes.display(row[0]) if row else ""


@bp.route("/<ref>/desk/ic/link", methods=["POST"])
@login_required
def link(ref):
    """Link the tapped card to a person (at registration, or later at the desk)."""
    shelter = shelter_for(ref)
    db = get_db()
    person_id = request.form.get("person_id", "")
    try:
        linked = iccards.link(db, shelter["id"], person_id, request.form.get("card", ""), actor=current_actor())
    except DomainError as refused:
        row = db.execute("select household_id from persons where id = ?", [person_id]).fetchone()
        number = request.form.get("number") or (_number_of(db, row[0]) if row else "")
        return _page(shelter, number=number, error=refused, status=refused.status)
    done = "already" if linked["already"] else ("replaced" if linked["replaced"] else "linked")
    return _back(ref, linked["household_id"], _number_of(db, linked["household_id"]), done)


@bp.route("/<ref>/desk/ic/unlink", methods=["POST"])
@login_required
def unlink(ref):
    """Unlink a person's card: handed back, or lost (it stops working at once)."""
    shelter = shelter_for(ref)
    db = get_db()
    lost = request.form.get("lost") == "1"
    gone = iccards.unlink(db, shelter["id"], request.form.get("person_id", ""), actor=current_actor(), lost=lost)
    return _back(ref, gone["household_id"], _number_of(db, gone["household_id"]), "lost" if lost else "unlinked")

