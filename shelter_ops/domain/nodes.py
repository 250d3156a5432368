"""Shelter nodes (SYNC.md): pairing with HQ, who each node is, what it may send, when it last spoke.

HQ keeps a row per paired node (a projection of `node.paired` / `node.revoked` events: HQ's
decisions) and, beside it, the contact figures each sync updates (`node_contacts`, not in the log:
a sync every half minute would otherwise fill it). A node keeps its side in `sync_state`: where HQ
is, its credential and sync key, and how far each way has been acknowledged.
"""
import base64
import hashlib
import json
import secrets
import string
import uuid
from datetime import timedelta

from sqlite_utils.migrations import Migrations

from .. import eventlog
from ..db import fetch_all, fetch_one, write
from ..eventlog import applies, emit
from . import access, clock
from .errors import Forbidden, Invalid, NotFound

migrations = Migrations("nodes")

CODE_HOURS = 24  # a pairing code works this long, once
CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")  # pairing codes


@migrations()
def create_nodes(db):
    db["nodes"].create({"id": str, "name": str, "shelter_ids": str, "prefix": str, "credential_hash": str,
                        "sync_key": bytes, "paired_at": str, "paired_by": str, "revoked_at": str,
                        "revoked_by": str}, pk="id")
    db["nodes"].create_index(["credential_hash"], unique=True)
    db["pairing_codes"].create({"code_hash": str, "shelter_ids": str, "expires_at": str, "issued_by": str,
                                "used_by_node": str}, pk="code_hash")
    db["node_contacts"].create({"node_id": str, "last_contact": str, "acked_seq": int, "reported_seq": int,
                                "clock_offset_s": float, "version": str, "last_direction": str}, pk="node_id")
    db["sync_state"].create({"id": int, "hq_url": str, "hq_node_id": str, "credential": str, "sync_key": bytes,
                             "shelter_ids": str, "prefix": str, "prereg_key": str, "acked_seq": int,
                             "pull_mark": int, "last_push_at": str, "last_pull_at": str, "last_error": str,
                             "last_summary": str, "paired_at": str}, pk="id")


eventlog.NOT_PROJECTIONS.update({"node_contacts", "sync_state", "sync_held", "sync_conflicts"})

access.RULES.update({
    "pair_node": access.Rule((access.HQ,), "端末の登録は本部が行います。", "Only HQ pairs shelter nodes."),
})


def _hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


# --- HQ: pairing codes and nodes ---

def issue_code(db, shelter_ids, *, actor):
    """A one-time pairing code for a node that will serve these shelters. Returns the code (shown once)."""
    access.require(actor, "pair_node")
    if not shelter_ids:
        raise Invalid("端末が担当する避難所を選んでください。", "Choose the shelters the node will serve.")
    from . import shelters

    ids = [shelters.get(db, ref)["id"] for ref in shelter_ids]
    code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
    expires = (clock.utcnow() + timedelta(hours=CODE_HOURS)).replace(microsecond=0).isoformat()
    with write(db):
        emit(db, "node.code_issued", {"code_hash": _hash(code), "shelter_ids": ids, "expires_at": expires},
             actor=actor)
    return code


@applies("node.code_issued", live=False)
def _code_issued(db, e):
    db.execute("insert into pairing_codes (code_hash, shelter_ids, expires_at, issued_by) values (?, ?, ?, ?)",
               [e.data["code_hash"], json.dumps(e.data["shelter_ids"]), e.data["expires_at"], e.actor.user])


BAD_CODE = ("登録コードが正しくないか、期限切れか、使用済みです。本部で新しいコードを発行してください。",
            "The pairing code is wrong, expired or already used. Ask HQ for a new one.")


def redeem_code(db, code, *, name, config=None):
    """HQ's side of `shelter-ops node init`: the code becomes a node. Returns what the node keeps:
    its origin id, credential, sync key, reception-number prefix, shelters, HQ's id, the prereg key."""
    code = (code or "").strip().upper()
    row = fetch_one(db, "select * from pairing_codes where code_hash = ?", [_hash(code)])
    if row is None or row["used_by_node"] or row["expires_at"] < clock.now():
        raise Forbidden(*BAD_CODE, code="BadPairingCode")
    node_id = str(uuid.uuid4())
    credential = secrets.token_urlsafe(32)
    sync_key = secrets.token_bytes(32)
    prefix = _next_prefix(db)
    shelter_ids = json.loads(row["shelter_ids"])
    from . import iccards

    with write(db):
        emit(db, "node.paired", {"id": node_id, "name": (name or "")[:100] or node_id[:8], "shelter_ids": shelter_ids,
                                 "prefix": prefix, "code_hash": row["code_hash"]},
             personal={"credential_hash": _hash(credential), "sync_key": base64.b64encode(sync_key).decode()},
             subject=f"node:{node_id}", actor="pairing")
        card_secret = iccards.secret(db, create=True)  # one card hashes the same at HQ and every node
    return {"node_id": node_id, "credential": credential, "sync_key": base64.b64encode(sync_key).decode(),
            "prefix": prefix, "shelter_ids": shelter_ids, "hq_node_id": eventlog.node_id(db),
            "prereg_key": (config or {}).get("PREREG_KEY") or "",
            "card_secret": base64.b64encode(card_secret).decode()}


def _next_prefix(db):
    """A reception-number prefix no other node has (HQ's own numbers carry none: codes.py)."""
    from . import codes

    used = {r[0] for r in db.execute("select prefix from nodes")}
    for first in codes.ALPHABET:
        for second in codes.ALPHABET:
            if first + second not in used:
                return first + second
    raise Invalid("登録できる端末の数を超えました。", "No more nodes can be paired.")


@applies("node.paired", live=False)
def _paired(db, e):
    key = e.data.get("sync_key")
    db.execute("insert into nodes (id, name, shelter_ids, prefix, credential_hash, sync_key, paired_at, paired_by) "
               "values (?, ?, ?, ?, ?, ?, ?, ?)",
               [e.data["id"], e.data["name"], json.dumps(e.data["shelter_ids"]), e.data["prefix"],
                e.data.get("credential_hash") or f"purged:{e.data['id']}", base64.b64decode(key) if key else None,
                e.at, e.actor.user])
    db.execute("update pairing_codes set used_by_node = ? where code_hash = ?", [e.data["id"], e.data["code_hash"]])


def revoke(db, node_id, *, actor):
    """A lost laptop: the node's credential stops working at its next contact."""
    access.require(actor, "pair_node")
    node = get(db, node_id)
    with write(db):
        emit(db, "node.revoked", {"id": node["id"]}, actor=actor)


@applies("node.revoked", live=False)
def _revoked(db, e):
    db.execute("update nodes set revoked_at = ?, revoked_by = ? where id = ?", [e.at, e.actor.user, e.data["id"]])


def _decode(row):
    if row is None:
        return None
    row = dict(row)
    row["shelter_ids"] = json.loads(row["shelter_ids"] or "[]")
    return row


def get(db, node_id):
    node = _decode(fetch_one(db, "select * from nodes where id = ?", [node_id]))
    if node is None:
        raise NotFound("その端末は登録されていません。", "No such node.")
    return node


REVOKED = ("この端末の登録は本部で取り消されています。本部に連絡してください。",
           "HQ has revoked this node's pairing. Call HQ.")


def authenticate(db, credential):
    """The node whose credential this is. :raise Forbidden: unknown or revoked."""
    node = _decode(fetch_one(db, "select * from nodes where credential_hash = ?", [_hash(credential or "")]))
    if node is None:
        raise Forbidden("端末の認証情報が正しくありません。", "The node's credential is not valid.", code="BadNodeCredential")
    if node["revoked_at"]:
        raise Forbidden(*REVOKED, code="NodeRevoked")
    return node


def record_contact(db, node, *, acked_seq=None, reported_seq=None, sent_at=None, version=None, direction=""):
    """What HQ learnt at a sync: when, how far it holds the node's log, what the node said it has."""
    offset = None
    if sent_at:
        try:
            offset = round((clock.parse_time(sent_at) - clock.utcnow()).total_seconds(), 1)
        except ValueError:
            offset = None
    with write(db):
        known = fetch_one(db, "select * from node_contacts where node_id = ?", [node["id"]]) or {}
        db.execute("insert or replace into node_contacts (node_id, last_contact, acked_seq, reported_seq, "
                   "clock_offset_s, version, last_direction) values (?, ?, ?, ?, ?, ?, ?)",
                   [node["id"], clock.now(), acked_seq if acked_seq is not None else known.get("acked_seq"),
                    reported_seq if reported_seq is not None else known.get("reported_seq"),
                    offset if offset is not None else known.get("clock_offset_s"),
                    version or known.get("version"), direction])


def overview(db):
    """Every node for HQ's screen: shelters, last contact, events still owed, clock offset, version."""
    from . import shelters

    names = {s["id"]: s["name"] for s in shelters.list_all(db)}
    out = []
    for node in fetch_all(db, "select n.*, c.last_contact, c.acked_seq, c.reported_seq, c.clock_offset_s, c.version "
                              "from nodes n left join node_contacts c on c.node_id = n.id order by n.paired_at"):
        node = _decode(node)
        node["shelters"] = [names.get(i, i) for i in node["shelter_ids"]]
        held = db.execute("select coalesce(max(seq), 0) from events where origin = ?", [node["id"]]).fetchone()[0]
        node["held_seq"] = held
        node["owed"] = max(0, (node["reported_seq"] or 0) - held)
        node.pop("credential_hash", None)
        node.pop("sync_key", None)
        out.append(node)
    return out


def silent_shelters(db, minutes):
    """Shelters served by a node that has not spoken for `minutes`: their public figures are 確認中."""
    cutoff = (clock.utcnow() - timedelta(minutes=minutes)).replace(microsecond=0).isoformat()
    silent = set()
    for node in fetch_all(db, "select n.shelter_ids, c.last_contact from nodes n left join node_contacts c "
                              "on c.node_id = n.id where n.revoked_at is null"):
        if node["last_contact"] is None or node["last_contact"] < cutoff:
            silent.update(json.loads(node["shelter_ids"] or "[]"))
    return silent


# --- the node's side ---

def state(db):
    """This node's pairing and sync marks, or None when this install is not a paired node."""
    row = fetch_one(db, "select * from sync_state where id = 1")
    if row is not None:
        row["shelter_ids"] = json.loads(row["shelter_ids"] or "[]")
    return row


def become_node(db, hq_url, answer):
    """Keep what pairing gave: this database's origin id becomes the node id HQ made for it."""
    own = db.execute("select count(*) from events where origin = ?", [eventlog.node_id(db)]).fetchone()[0]
    if own:
        raise Invalid("この端末のデータベースにはすでに記録があります。新しいデータベースで登録してください。",
                      "This database already has records of its own. Pair a new, empty database.")
    with write(db):
        db.execute("update node set id = ?, role = 'node'", [answer["node_id"]])
        db.execute("insert or replace into sync_state (id, hq_url, hq_node_id, credential, sync_key, shelter_ids, "
                   "prefix, prereg_key, acked_seq, pull_mark, paired_at) values (1, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)",
                   [hq_url.rstrip("/"), answer["hq_node_id"], answer["credential"],
                    base64.b64decode(answer["sync_key"]), json.dumps(answer["shelter_ids"]), answer["prefix"],
                    answer.get("prereg_key") or "", clock.now()])
    eventlog.forget_node_cache(db)
    from . import codes, iccards

    codes.set_number_prefix(db, answer["prefix"])  # its numbers never collide with HQ's or another node's
    if answer.get("card_secret"):  # an HQ older than IC cards sends none: the node makes its own on first use
        iccards.adopt_secret(db, base64.b64decode(answer["card_secret"]))


def note_sync(db, **fields):
    with write(db):
        db.execute(f"update sync_state set {', '.join(f'{k} = ?' for k in fields)} where id = 1", list(fields.values()))
