"""The reception desk (tablet): scan to check in, register, key in paper cards, count heads, movements."""
import io

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import get_db
from ..domain import access, codes, households, iccards, shelters
from ..domain.errors import DomainError, Forbidden, Invalid, NotFound
from . import current_actor, current_user, login_required, shelter_for, shelter_tool, wants_json
from .door import _request_id, household_from_form, person_rows, qr_svg

bp = Blueprint("desk", __name__, url_prefix="/shelters")

MAX_DECODED_PIXELS = 64_000_000  # a 20000×20000 PNG is a few bytes and 400 MB decoded: refused unread
MAX_PHOTO_PIXELS = 2400  # longest side fed to the decoder: phone photos are 4000+ px, QR codes need far less


def decode_photo(data):
    """The text of the first QR code (or other barcode) in an image file. :raise Invalid: none found"""
    import zxingcpp
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_DECODED_PIXELS:
            raise Image.DecompressionBombError(image.size)
        image = ImageOps.exif_transpose(image).convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise Invalid("画像を読み込めません（JPEG か PNG の写真を選んでください）。",
                      "The file is not an image this desk can read (use a JPEG or PNG photo).") from None
    if max(image.size) > MAX_PHOTO_PIXELS:
        image.thumbnail((MAX_PHOTO_PIXELS, MAX_PHOTO_PIXELS))
    found = zxingcpp.read_barcodes(image)
    if not found:
        raise Invalid("写真にQRコードが見つかりません。QRコードを大きく、ピントを合わせて撮り直してください。",
                      "No QR code found in the photo. Take it again, closer and in focus.")
    return found[0].text


def _visibility():
    return households.visibility(current_user()["role"])


def _summary(household):
    """What the desk shows after a scan: number, people (visible ones), where they stay."""
    return {
        "id": household["id"],
        "number": household["display_number"],
        "status": household["status"],
        "staying": household["staying"],
        "people": len(household["persons"]) + household.get("hidden_persons", 0),
        # the desk screen faces the queue: 非公開 names stay off it even for lead/hq
        "names": [p.get("name") or "—" for p in household["persons"] if not p.get("non_disclosure")],
    }


def _scan(shelter, code, mode="inout"):
    """Check in by a code, or tap an IC card (web/iccards.py); the result as the desk shows it: kind ok /
    already / unknown, words in ja and en."""
    from . import iccards as cards

    if iccards.looks_like_card(code):
        return cards.tap_result(shelter, code, mode)
    if mode != "inout":
        return {"result": "unknown", "status": 400, "message": _("In a pickup mode, tap an IC card. Switch to "
                                                                  "Check in / out to check a household in.")}
    try:
        result = households.check_in(get_db(), shelter["id"], code, actor=current_actor(),
                                     key=current_app.config.get("PREREG_KEY"))
    except DomainError as refused:
        return {"result": "unknown", "status": refused.status, "message": refused.message(_lang()),
                "message_ja": refused.ja, "message_en": refused.en}
    household = households.get(get_db(), result["household"]["id"], **_visibility())
    return {
        "result": "already" if result["already"] else "ok",
        "message": _("Already checked in") if result["already"] else _("Check-in done"),
        "household": _summary(household),
        "warnings": [w[_lang()] for w in result["warnings"]],
    }


def _lang():
    from ..i18n import lang

    return lang()


def _counts(shelter):
    """The desk header's figures now: checked in, waiting at the desk, staying outside."""
    return households.desk_counts(get_db(), [shelter["id"]])[shelter["id"]]


def _desk_page(shelter, result=None, status=200):
    return render_template("desk/desk.html", shelter=shelter, result=result, counts=_counts(shelter),
                           vocab=households, ref=shelters.ref(shelter), card_modes=iccards.MODES,
                           mode=request.values.get("mode") or "inout"), status


@bp.route("/<ref>/desk")
@login_required
def desk(ref):
    """The scan screen: wedge scanner, photo, camera (HTTPS), or the number typed in."""
    return _desk_page(shelter_for(ref))


@bp.route("/<ref>/desk/scan", methods=["POST"])
@login_required
def scan(ref):
    """One scan (or photo, or typed number) → checked in / already checked in / not recognised."""
    shelter = shelter_for(ref)
    photo = request.files.get("photo")
    if photo and photo.filename:
        try:
            code = decode_photo(photo.read())
        except Invalid as refused:
            result = {"result": "unknown", "status": 400, "message": refused.message(_lang()),
                      "message_ja": refused.ja, "message_en": refused.en}
        else:
            result = _scan(shelter, code, request.form.get("mode") or "inout")
    else:
        result = _scan(shelter, request.form.get("code", ""), request.form.get("mode") or "inout")
    if wants_json():
        return jsonify({**result, "counts": _counts(shelter)})
    return _desk_page(shelter, result, 200 if result["result"] != "unknown" else 400)


@bp.route("/<ref>/desk/register", methods=["GET", "POST"])
@login_required
def register(ref):
    """Register a household at the desk (checked in at once), key in a paper card, or someone staying outside."""
    shelter = shelter_for(ref)
    db = get_db()
    error = None
    paper = request.values.get("paper") == "1"
    if request.method == "POST":
        household, persons = household_from_form(request.form)
        household["zone_id"] = request.form.get("zone_id")
        try:
            created = households.register(db, shelter["id"], household, persons, actor=current_actor(),
                                          source="paper" if paper else "desk", status="checked_in",
                                          reception_number=request.form.get("reception_number") if paper else None,
                                          request_id=_request_id(request.form))
        except DomainError as refused:
            error = refused
        else:
            return redirect(url_for("desk.registered", ref=ref, household_id=created["id"]))
    return render_template("desk/register.html", shelter=shelter, vocab=households, error=error, form=request.form,
                           rows=person_rows(), mode="desk", paper=paper, ref=ref,
                           zones=shelters.zones(db, shelter["id"]),
                           staying_default=request.args.get("staying", "shelter")), 400 if error else 200


@bp.route("/<ref>/desk/registered/<household_id>")
@login_required
def registered(ref, household_id):
    """The household just registered: its number and QR (to write on the card or wristband)."""
    shelter = shelter_for(ref)
    household = households.get(get_db(), household_id, **_visibility())
    if household["shelter_id"] != shelter["id"]:
        raise Forbidden("この避難所の世帯ではありません。", "This household is not at this shelter.")
    return render_template("desk/registered.html", shelter=shelter, household=household, ref=ref, vocab=households,
                           qr=qr_svg(household["reception_number"]),
                           cards=iccards.linked_persons(get_db(), household["id"]), done=request.args.get("done"))


@bp.route("/<ref>/desk/count", methods=["GET", "POST"])
@login_required
def count(ref):
    """Count-only mode: one tap per person by sex and age band, no personal data."""
    shelter = shelter_for(ref)
    db = get_db()
    if request.method == "POST":
        try:
            delta = int(request.form.get("delta", 1))
        except ValueError:
            delta = 0
        counts = households.count_head(db, shelter["id"], request.form.get("sex"), request.form.get("age_band"),
                                       actor=current_actor(), delta=delta)
        if wants_json():
            return jsonify(total=counts["total"], present=households.present_counts(db)[shelter["id"]]["total"],
                           groups={f"{s}:{b}": n for (s, b), n in counts["groups"].items()})
        return redirect(url_for("desk.count", ref=ref))
    return render_template("desk/count.html", shelter=shelter, ref=ref, vocab=households,
                           counts=households.headcounts(db, shelter["id"]),
                           present=households.present_counts(db).get(shelter["id"], {}).get("total", 0))


@bp.route("/<ref>/desk/roster")
@login_required
def roster(ref):
    """Who is here: tick persons who left (from the paper roster) and enter them as check-outs at once."""
    shelter = shelter_for(ref)
    db = get_db()
    user = current_user()
    targets = [s for s in shelters.list_all(db, state="open", include_hidden=user["role"] == "hq")
               if s["id"] != shelter["id"]]
    return render_template("desk/roster.html", shelter=shelter, ref=ref, vocab=households, targets=targets,
                           roster=households.roster(db, shelter["id"], statuses=("checked_in", "pending"),
                                                    **_visibility()),
                           sensitive=_visibility()["include_sensitive"], done=request.args.get("done"),
                           can_reserve=access.allowed(current_actor(), "reserve_cards"))


@bp.route("/<ref>/desk/checkout", methods=["POST"])
@login_required
def checkout(ref):
    """Check out every ticked person (of any household) in one go; source paper when from the printed roster."""
    shelter = shelter_for(ref)
    db = get_db()
    ticked = request.form.getlist("person")
    if not ticked:
        raise Invalid("退所する人にチェックを入れてください。", "Tick the persons who left.")
    by_household = {}
    marks = ",".join("?" * len(ticked))
    for person_id, household_id in db.execute(f"select id, household_id from persons where id in ({marks})", ticked):
        by_household.setdefault(household_id, []).append(person_id)
    source = "paper" if request.form.get("source") == "paper" else "desk"
    for household_id, person_ids in by_household.items():
        households.check_out(db, shelter["id"], household_id, actor=current_actor(), person_ids=person_ids,
                             source=source)
    return redirect(url_for("desk.roster", ref=ref, done="checkout"))


@bp.route("/<ref>/desk/households/<household_id>/<action>", methods=["POST"])
@login_required
def move(ref, household_id, action):
    """One household's movement: check-out, away overnight (外泊), back, transfer, where it stays."""
    shelter = shelter_for(ref)
    db = get_db()
    actor = current_actor()
    person_ids = request.form.getlist("person") or None
    if action == "checkout":
        households.check_out(db, shelter["id"], household_id, actor=actor, person_ids=person_ids)
    elif action == "away":
        households.set_away(db, shelter["id"], household_id, actor=actor, person_ids=person_ids,
                            until=request.form.get("until"))
    elif action == "back":
        households.set_back(db, shelter["id"], household_id, actor=actor, person_ids=person_ids)
    elif action == "checkin":
        household = households.get(db, household_id)
        if household["shelter_id"] != shelter["id"]:  # a family at another shelter comes with its number
            raise NotFound("この避難所にその世帯はありません。", "No such household at this shelter.")
        households.check_in(db, shelter["id"], household["reception_number"], actor=actor)
    elif action == "transfer":
        target = shelters.get(db, request.form.get("to", ""))
        result = households.transfer(db, household_id, target["id"], actor=actor, from_shelter_id=shelter["id"])
        done = "transfer-warn" if result["warnings"] else "transfer"
        return redirect(url_for("desk.roster", ref=ref, done=done))
    elif action == "update":
        households.update_household(db, shelter["id"], household_id,
                                    {k: request.form[k] for k in ("staying", "zone_id", "consent") if k in request.form},
                                    actor=actor)
    else:
        raise Invalid("不明な操作です。", "Unknown action.")
    return redirect(url_for("desk.roster", ref=ref, done=action) + f"#h-{household_id}")


@bp.route("/<ref>/desk/cards", methods=["POST"])
@login_required
def cards(ref):
    """Reserve numbers for pre-numbered paper cards (lead/hq); the printing is done by the paper tools."""
    shelter = shelter_for(ref)
    try:
        n = int(request.form.get("count", 0))
    except ValueError:
        n = 0
    numbers = codes.reserve_block(get_db(), shelter["id"], n, actor=current_actor())
    return render_template("desk/cards.html", shelter=shelter, ref=ref, numbers=[codes.display(x) for x in numbers])


shelter_tool("desk.desk", "受付（QR読み取り）", "Reception desk (scan)", position=0)
shelter_tool("desk.roster", "入所者一覧・退所・移送", "Roster, check-out, transfer", position=1)
