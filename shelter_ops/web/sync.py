"""HQ's sync endpoints for shelter nodes (/sync/v1): pairing, push, pull. A node authenticates with its
own credential (not a user's token); what it sends is a sealed bundle (shelter_ops/sync.py)."""
from flask import Blueprint, Response, current_app, jsonify, request

from .. import sync
from ..db import get_db
from ..domain import nodes
from ..domain.errors import DomainError, Invalid
from ..i18n import lang

bp = Blueprint("sync", __name__, url_prefix="/sync/v1")


def _exempt_from_csrf():
    from .. import csrf

    csrf.exempt(bp)  # a node posts bundles, not forms; its credential is the proof


_exempt_from_csrf()


@bp.errorhandler(DomainError)
def refused(error):
    return jsonify(error=error.as_dict(lang())), error.status


def _node():
    header = request.headers.get("Authorization", "")
    return nodes.authenticate(get_db(), header[7:].strip() if header.lower().startswith("bearer ") else "")


@bp.route("/pair", methods=["POST"])
def pair():
    """A node redeems its one-time code: it gets its origin id, credential, sync key and number prefix."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise Invalid("JSON オブジェクトを送ってください。", "Send a JSON object.")
    return jsonify(nodes.redeem_code(get_db(), str(body.get("code") or ""), name=str(body.get("name") or ""),
                                     config=current_app.config))


@bp.route("/push", methods=["POST"])
def push():
    """The node's events past HQ's mark; HQ answers with the highest gap-free sequence it now holds."""
    db = get_db()
    node = _node()
    header, rows, keys = sync.open_bundle(bytes(node["sync_key"]), request.get_data(), sender=node["id"])
    counts = sync.receive(db, rows, keys, allowed=sync.refuse_unless_own(node))
    if counts["applied"]:
        from ..domain import duplicates

        duplicates.scan(db, rows)
    acked = sync.gap_free(db, node["id"])
    nodes.record_contact(db, node, acked_seq=acked, reported_seq=header.get("last_seq"),
                         sent_at=header.get("sent_at"), version=header.get("version"), direction="push")
    return jsonify(acked=acked, **counts)


@bp.route("/pull", methods=["POST"])
def pull():
    """What the node needs from HQ past its mark, as a sealed bundle; X-Sync-Mark is the new mark."""
    db = get_db()
    node = _node()
    body = request.get_json(silent=True) or {}
    after = int(body.get("after") or 0) if str(body.get("after") or "0").isdigit() else 0
    rows, last = sync.feed_for(db, node["shelter_ids"], node["id"], after_rowid=after)
    blob = sync.seal_bundle(bytes(node["sync_key"]), eventlog_header(db, rows, last), rows, sync.keys_for(db, rows))
    nodes.record_contact(db, node, sent_at=body.get("sent_at"), version=body.get("version"),
                         reported_seq=body.get("last_seq"), direction="pull")
    response = Response(blob, mimetype="application/octet-stream")
    response.headers["X-Sync-Mark"] = str(last)
    return response


def eventlog_header(db, rows, last):
    from .. import eventlog
    from ..domain import clock

    return {"sender": eventlog.node_id(db), "mark": last, "sent_at": clock.now(), "rows": len(rows)}
