"""The shelter's door (public, no login): the household form on a phone, its QR, and home pre-registration."""
import io
import json
import uuid

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from offline_print import geo

from .. import limiter
from ..db import get_db
from ..domain import households, paper, prereg, shelters
from ..domain.errors import N_, DomainError, Invalid, NotFound

bp = Blueprint("door", __name__)

PERSON_ROWS = 3  # person blocks shown on a fresh form; "More people" shows more (?persons=N without JS)
SPARE_ROWS = 7  # hidden blocks the "More people" button reveals without reloading (and losing) the form
PERSON_KEYS = ("name", "kana", "sex", "birth_date", "age", "relation", "nationality", "language",
               "injury_illness", "medication", "medical_devices", "diet", "notes", "allergens_other")


# --- QR codes ---

def qr_svg(text, *, scale=10, level="M"):
    """An SVG QR code (EC level M by default, quiet zone 4 modules) as markup for a page or a file."""
    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q}
    code = qrcode.QRCode(error_correction=levels[level], box_size=scale, border=4,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    svg = out.getvalue().decode()
    return Markup(svg[svg.index("<svg"):])


def qr_png(text, *, scale=10, level="M"):
    """A PNG QR code (needs Pillow)."""
    levels = {"M": qrcode.constants.ERROR_CORRECT_M, "Q": qrcode.constants.ERROR_CORRECT_Q}
    code = qrcode.QRCode(error_correction=levels[level], box_size=scale, border=4)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return out.getvalue()


# --- the household form, shared with the desk ---

def household_from_form(form):
    """(household, persons) from the household form's fields (p0_name, p0_care, …)."""
    household = {key: form.get(key) for key in households.HOUSEHOLD_FIELDS if key != "zone_id"}
    persons = []
    for i in range(households.MAX_PERSONS):
        person = {key: form.get(f"p{i}_{key}") for key in PERSON_KEYS}
        person["care_codes"] = form.getlist(f"p{i}_care")
        person["allergens"] = form.getlist(f"p{i}_allergens")
        person["non_disclosure"] = form.get(f"p{i}_non_disclosure")
        if person.get("sex") == "unanswered" and not any(
                v for k, v in person.items() if k != "sex" and v not in (None, "", [])):
            continue  # an untouched block
        if any(v not in (None, "", []) for v in person.values()):
            persons.append(person)
    return household, persons


def refused_field(form, error):
    """The form field a refusal is about ("p1_age"), so that the page ties the message to it (aria-describedby);
    None when it is about the whole form."""
    if getattr(error, "msgid", None) == "Enter at least one person.":
        return "p0_name"
    field = error.details.get("field") if isinstance(error, DomainError) else None
    if field not in ("age", "birth_date"):
        return None
    for i in range(households.MAX_PERSONS):  # the first block the same check refuses
        try:
            households.clean_person({key: form.get(f"p{i}_{key}") for key in ("age", "birth_date")})
        except DomainError:
            return f"p{i}_{field}"
    return None


def person_rows():
    """How many person blocks to show: asked for, or as many as were filled in (a refused form keeps them)."""
    filled = max([int(k[1:k.index("_")]) + 1 for k, v in request.form.items()
                  if k[:1] == "p" and "_" in k and k[1:k.index("_")].isdigit() and v] or [0])
    try:
        asked = int(request.args.get("persons", PERSON_ROWS))
    except ValueError:
        asked = PERSON_ROWS
    return max(1, min(households.MAX_PERSONS, max(asked, filled)))


def form_id():
    """A fresh id for one filled form: pressing Send twice registers the household once."""
    return uuid.uuid4().hex


@bp.app_context_processor
def _form_helpers():
    return {"checkin_form_id": form_id, "checkin_spare_rows": SPARE_ROWS}


def _request_id(form):
    value = form.get("form_id", "")
    return f"form:{value}" if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


# --- who may register how often (Flask-Limiter) ---
# Per phone: a signed random id in a cookie, so a family sharing one address (a shelter's Wi-Fi,
# a carrier's NAT) is never refused for its neighbours; per address: a generous ceiling for a
# client that throws its cookie away. Only registrations that went through count.

DEVICE_COOKIE = "door_device"


def _device_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="door-device")


def _device():
    try:
        return "device:" + _device_signer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return "address:" + get_remote_address()


def _registered(_response):
    return g.get("door_registered", False)


def _per_device(factor=1):
    return limiter.limit(lambda: f"{current_app.config['DOOR_REGISTRATIONS_PER_10_MIN'] * factor} per 10 minutes",
                         key_func=_device, methods=["POST"], deduct_when=_registered)


def _per_address(factor=1):
    return limiter.limit(
        lambda: f"{current_app.config['DOOR_REGISTRATIONS_PER_ADDRESS_10_MIN'] * factor} per 10 minutes",
        methods=["POST"], deduct_when=_registered)


@bp.after_request
def _give_device_cookie(response):
    if request.endpoint in ("door.form", "door.prereg_page") and DEVICE_COOKIE not in request.cookies:
        response.set_cookie(DEVICE_COOKIE, _device_signer().dumps(uuid.uuid4().hex), max_age=30 * 86400,
                            httponly=True, samesite="Lax", secure=bool(current_app.config["SECURE_COOKIES"]))
    return response


# --- tokens: the result page of a door registration ---

def _signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="door-household")


def household_token(household_id):
    return _signer().dumps(household_id)


def _household_for(token):
    try:
        household_id = _signer().loads(token)
    except BadSignature:
        raise NotFound(N_("This page does not exist.")) from None
    return households.get(get_db(), household_id, include_sensitive=False, include_hidden=False)


def _distance_km(a, b):
    if None in (a.get("lat"), a.get("lon"), b.get("lat"), b.get("lon")):
        return None
    return geo.distance_km((a["lon"], a["lat"]), (b["lon"], b["lat"]))


def nearest_open(db, shelter, n=3):
    """Open, public shelters nearest to this one (name, address, distance): where to go instead."""
    out = []
    for other in shelters.list_all(db, state="open", include_hidden=False):
        if other["id"] == shelter["id"]:
            continue
        distance = _distance_km(shelter, other)
        out.append({"name": other["name"], "name_en": other["name_en"], "address": other["address"],
                    "distance_km": None if distance is None else round(distance, 1),
                    "ref": shelters.ref(other)})
    out.sort(key=lambda s: (s["distance_km"] is None, s["distance_km"] or 0))
    return out[:n]


def _public_shelter(db, ref):
    """The shelter behind a door page: the one public rule (a hidden shelter is not found)."""
    return shelters.public_shelter(db, ref)


@bp.route("/door/<ref>", methods=["GET", "POST"])
@_per_device()
@_per_address()
def form(ref):
    """The household form at the door; a closed shelter says where to go instead."""
    db = get_db()
    shelter = _public_shelter(db, ref)
    if shelter["state"] != "open":
        return render_template("door/closed.html", shelter=shelter, nearest=nearest_open(db, shelter),
                               vocab=shelters), 200 if request.method == "GET" else 409
    error = None
    if request.method == "POST":
        household, persons = household_from_form(request.form)
        try:
            created = households.register(db, shelter["id"], household, persons, actor="door", source="door",
                                          status="pending", request_id=_request_id(request.form))
            g.door_registered = True
        except DomainError as refused:
            error = refused
        else:  # the desks' 受付待ち count goes up at once: write() tells live after the commit
            return redirect(url_for("door.done", ref=ref, token=household_token(created["id"])))
    return render_template("door/form.html", shelter=shelter, vocab=households, error=error, form=request.form,
                           rows=person_rows(), error_field=refused_field(request.form, error) if error else None,
                           mode="door"), 400 if error else 200


@bp.route("/door/<ref>/done/<token>")
def done(ref, token):
    """The household's number and QR, to show at the desk."""
    shelter = _public_shelter(get_db(), ref)
    household = _household_for(token)
    return render_template("door/done.html", shelter=shelter, household=household,
                           qr=qr_svg(household["reception_number"]), token=token)


@bp.route("/door/code/<token>.svg")
def household_qr(token):
    """The household's QR code alone (to save on the phone)."""
    household = _household_for(token)
    return Response(str(qr_svg(household["reception_number"])), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=86400"})


@bp.route("/door/<ref>/qr.svg")
def door_qr(ref):
    """The QR code of this shelter's door page, for the poster at the entrance."""
    shelter = _public_shelter(get_db(), ref)
    url = paper.door_url(current_app.config, shelter, request.host_url)
    return Response(str(qr_svg(url, level="Q")), mimetype="image/svg+xml")


@bp.route("/door/<ref>/poster")
def poster(ref):
    """The door poster is the printed one (printing.poster_pdf); this address keeps working."""
    return redirect(url_for("printing.poster_pdf", ref=ref))


@bp.route("/prereg", methods=["GET", "POST"])
@_per_device(3)
@_per_address(3)
def prereg_page():
    """Pre-registration at home: fill the card once, keep the QR (paper or phone), bring it to any shelter."""
    key = current_app.config.get("PREREG_KEY")
    sealed = error = None
    if request.method == "POST" and key:
        household, persons = household_from_form(request.form)
        try:
            if not persons:
                raise Invalid(N_("Enter at least one person."))
            cleaned = households.clean_household(household)
            cleaned_persons = [households.clean_person(p) for p in persons]
            for person in cleaned_persons:  # back to plain lists for the card
                for field in ("care_codes", "allergens"):
                    person[field] = json.loads(person[field])
                person.pop("age_band", None)
            sealed = prereg.seal(key, cleaned, cleaned_persons)
            g.door_registered = True
        except DomainError as refused:
            error = refused
    return render_template("door/prereg.html", available=bool(key), vocab=households, error=error,
                           error_field=refused_field(request.form, error) if error else None,
                           form=request.form, rows=person_rows(), mode="prereg",
                           qr=qr_svg(sealed) if sealed else None, sealed=sealed,
                           persons=len(household_from_form(request.form)[1]) if sealed else 0)


