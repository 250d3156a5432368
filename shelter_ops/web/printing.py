"""Printing: the paper documents of a shelter and the city map as PDFs, from the tablet screens and HQ."""
from flask import Blueprint, Response, current_app, render_template, request

from offline_print import labels

from .. import printing
from ..db import get_db
from ..domain import paper, shelters
from ..domain.errors import Forbidden, Invalid
from . import current_user, hq_tool, login_required, roles_required, shelter_for, shelter_tool

bp = Blueprint("printing", __name__)

MAX_CARDS = 500  # per run from a tablet; the CLI takes up to what codes.reserve_block allows
CARD_ROLES = ("lead", "hq")  # who issues reception numbers for paper cards (as at the desk)


def _pdf(kind, shelter=None, **options):
    data, filename = printing.render(kind, get_db(), current_app.config, shelter, actor=current_user()["name"],
                                     base_url=request.host_url, **options)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # a roster must not linger in a shared browser cache
    return response


def _size():
    size = (request.values.get("size") or "A4").upper()
    if size not in ("A4", "A3"):
        raise Invalid("用紙はA4かA3を選んでください。", "Choose A4 or A3 paper.")
    return size


@bp.route("/shelters/<ref>/print")
@login_required
def index(ref):
    """The shelter's printable documents, with their options."""
    shelter = shelter_for(ref)
    return render_template("printing/shelter.html", shelter=shelter, ref=shelters.ref(shelter),
                           qr=paper.qr_addresses(current_app.config, shelter, request.host_url),
                           public_url_set=bool(current_app.config.get("PUBLIC_URL")),
                           sensitive=current_user()["role"] in ("lead", "hq"), max_cards=MAX_CARDS,
                           can_print_cards=current_user()["role"] in CARD_ROLES, card_languages=labels.languages())


@bp.route("/shelters/<ref>/print/poster.pdf")
@login_required
def poster_pdf(ref):
    """Door poster with the self-registration QR code."""
    return _pdf("poster", shelter_for(ref), size=_size())


@bp.route("/shelters/<ref>/print/floor.pdf")
@login_required
def floor_pdf(ref):
    """Floor map of the zones for the entrance wall."""
    return _pdf("floor", shelter_for(ref), size=_size())


@bp.route("/shelters/<ref>/print/cards.pdf", methods=["POST"])
@login_required
def cards_pdf(ref):
    """Pre-numbered household cards: reserves a block of reception numbers, so it is a POST.
    Like the desk's reservation, only a lead or HQ issues card numbers."""
    shelter = shelter_for(ref)
    if current_user()["role"] not in CARD_ROLES:
        raise Forbidden("紙カードの番号は責任者か本部が発行します。", "Only a lead or HQ reserves card numbers.")
    try:
        n = int(request.form.get("count") or 0)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_CARDS:
        raise Invalid(f"枚数は1〜{MAX_CARDS}で指定してください。", f"Print between 1 and {MAX_CARDS} cards.")
    lang = request.form.get("lang") or labels.DEFAULT
    if lang not in labels.languages():
        raise Invalid("カードの言語を一覧から選んでください。", "Choose the card's language from the list.")
    return _pdf("cards", shelter, count=n, lang=lang)


@bp.route("/shelters/<ref>/print/roster.pdf")
@roles_required("lead", "staff", "hq")
def roster_pdf(ref):
    """The roster by zone. Staff get the plain copy; lead and HQ the one with sensitive fields
    (or the plain one with ?edition=staff)."""
    shelter = shelter_for(ref)
    user = current_user()
    sensitive = user["role"] in ("lead", "hq") and request.args.get("edition") != "staff"
    return _pdf("roster", shelter, sensitive=sensitive)


@bp.route("/shelters/<ref>/print/report.pdf")
@login_required
def report_pdf(ref):
    """状況報告書, pre-filled from live data (?blank=1 for the empty form)."""
    return _pdf("report", shelter_for(ref), blank=bool(request.args.get("blank")), reporter=current_user()["name"])


@bp.route("/shelters/<ref>/print/supplies.pdf")
@login_required
def supplies_pdf(ref):
    """物資要請書 with the open requests written in and blank rows."""
    return _pdf("supplies", shelter_for(ref))


@bp.route("/shelters/<ref>/print/log.pdf")
@login_required
def log_pdf(ref):
    """運営日誌 page for a day (?day=YYYY-MM-DD, default today)."""
    return _pdf("log", shelter_for(ref), day=request.args.get("day") or None)


@bp.route("/hq/print")
@roles_required("hq")
def hq_index():
    """HQ's printing page: the city map and every shelter's documents."""
    return render_template("printing/hq.html", shelters=shelters.list_all(get_db()), vocab=shelters,
                           qr=paper.qr_addresses(current_app.config, base=request.host_url),
                           public_url_set=bool(current_app.config.get("PUBLIC_URL")))


@bp.route("/print/map.pdf")
@login_required
def map_pdf():
    """The city paper map (public facts only), A4/A3, portrait or landscape; ?atlas=grid|municipality
    for the atlas (overview, one sheet per grid cell or municipality, index)."""
    by = request.args.get("atlas") or None
    if by not in (None, "grid", "municipality"):
        raise Invalid("地図帳は格子ごとか市町村ごとを選んでください。", "Choose an atlas by grid cell or by municipality.")
    return _pdf("map", size=_size(), landscape=request.args.get("orientation") == "landscape",
                sites=request.args.get("sites", "1") != "0", atlas_by=by)


shelter_tool("printing.index", "印刷（紙）", "Print (paper)")
hq_tool("printing.hq_index", "印刷・紙マップ", "Print & paper map")
