"""Tablet screens for supplies: the shelter's ledger and requests to HQ; HQ's open requests across shelters."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import get_db
from ..domain import iccards, shelters, supplies
from ..i18n import pick
from . import current_actor, current_user, hq_tool, login_required, roles_required, shelter_for, shelter_tool

bp = Blueprint("supplies", __name__, url_prefix="/supplies")

shelter_tool("supplies.shelter", "物資", "Supplies")
hq_tool("supplies.hq_requests", "物資要請", "Supply requests")


def _labels():
    """Words used on every row, translated once per page rather than once per row (HQ's list can be long)."""
    return {
        "steps": {"requested": _("Requested"), "accepted": _("Accepted"), "sent": _("Sent"),
                  "received": _("Received"), "cancelled": _("Cancelled"), "refused": _("Refused")},
        "status": {key: pick(label) for key, label in supplies.STATUSES.items()},
        "priority": {key: pick(label) for key, label in supplies.PRIORITIES.items()},
        "history": _("History"), "reason": _("Reason"),
        "actions": {"accepted": _("Accept"), "sent": _("Mark sent"), "cancelled": _("Cancel request"),
                    "refused": _("Refuse")},
        "more": _("Refuse or cancel…"),
    }


@bp.route("/<ref>")
@login_required
def shelter(ref):
    """Stock, the ledger, requests to HQ and the needs estimated from the roster."""
    shelter = shelter_for(ref)
    db = get_db()
    try:
        days = max(1, min(14, int(request.args.get("days", 3))))
    except ValueError:
        days = 3
    return render_template(
        "running/supplies.html",
        shelter=shelter, ref=shelters.ref(shelter),
        stock=supplies.stock(db, shelter["id"]),
        moves=supplies.ledger(db, shelter["id"], limit=50),
        requests=supplies.requests(db, shelter["id"]),
        needs=supplies.estimate_needs(db, shelter["id"], days=days),
        vocab=supplies, done=request.args.get("done"), T=_labels(),
        pickups=iccards.pickups(db, shelter["id"]),
    )


@bp.route("/<ref>/moves", methods=["POST"])
@login_required
def add_move(ref):
    """Record supplies received or distributed."""
    shelter = shelter_for(ref)
    form = request.form
    supplies.record_move(get_db(), shelter["id"], item=form.get("item"), unit=form.get("unit"),
                         direction=form.get("direction", ""), quantity=form.get("quantity"),
                         expiry=form.get("expiry"), note=form.get("note", ""), actor=current_actor())
    return redirect(url_for("supplies.shelter", ref=ref, done="move") + "#stock")


@bp.route("/<ref>/requests", methods=["POST"])
@login_required
def add_request(ref):
    """Send a supply request to HQ."""
    shelter = shelter_for(ref)
    form = request.form
    supplies.create_request(get_db(), shelter["id"], item=form.get("item"), quantity=form.get("quantity"),
                            unit=form.get("unit"), priority=form.get("priority", "normal"),
                            wanted_by=form.get("wanted_by"), note=form.get("note", ""),
                            actor=current_actor())
    return redirect(url_for("supplies.shelter", ref=ref, done="request") + "#requests")


@bp.route("/requests/<request_id>/<to>", methods=["POST"])
@login_required
def advance(request_id, to):
    """Take a request one step (accept, send, receive, cancel, refuse); illegal steps answer 409."""
    db = get_db()
    item = supplies.get_request(db, request_id)
    shelter = shelter_for(item["shelter_id"])
    user = current_user()
    supplies.advance_request(db, request_id, to, actor=current_actor(),
                             reason=request.form.get("reason", ""),
                             received_quantity=request.form.get("received_quantity"),
                             expiry=request.form.get("expiry"))
    if request.form.get("back") == "hq" and user["role"] == "hq":
        return redirect(url_for("supplies.hq_requests", done=to))
    return redirect(url_for("supplies.shelter", ref=shelters.ref(shelter), done=to) + "#requests")


@bp.route("/hq")
@roles_required("hq")
def hq_requests():
    """HQ: every open request across shelters, most urgent first, with accept and send buttons."""
    status = request.args.get("status") or "open"
    if status != "open" and status not in supplies.STATUSES:
        status = "open"
    rows = supplies.requests(get_db(), status=status)
    return render_template("running/hq_requests.html", requests=rows, status=status, vocab=supplies,
                           done=request.args.get("done"), T=_labels())
