"""A request counts once: the API's Idempotency-Key and the web forms' one-time token, at the edge.

API: a mutating call with `Idempotency-Key` runs inside one write transaction together with the
stored answer, keyed by (user, method, path, key). The same key with the same body gets the first
answer again, byte for byte; with another body, a 409. The domain receives a server-made operation
id (`operation_id()`), so its events say which request made them.

Forms: every rendered form carries a one-time token (`form_guard()` in templates). The first POST
with it claims it; a second (a double tap on a slow link) is not run again and goes back to the
page it came from, saying that it was already saved. A refused or failed POST frees the token, so
the person can correct the form and send it again.
"""
import hashlib
import time
import uuid
import zlib
from datetime import timedelta

from flask import g, request
from markupsafe import Markup, escape
from sqlite_utils.migrations import Migrations

from ..db import get_db, write
from ..domain import clock
from ..domain.errors import N_, Conflict, Invalid

migrations = Migrations("once")

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
NOT_STORED = {429, 503}  # refusals that a retry may get past: never replayed


@migrations()
def create_once(db):
    db["idempotency"].create(
        {"user_id": str, "method": str, "path": str, "key": str, "body_hash": str, "status": int,
         "mimetype": str, "body": bytes, "at": str},
        pk=("user_id", "method", "path", "key"),
    )
    db["idempotency"].create_index(["at"])
    db["form_tokens"].create({"token": str, "user_id": str, "path": str, "at": str, "status": int, "mimetype": str,
                              "location": str, "body": bytes}, pk="token")
    db["form_tokens"].create_index(["at"])


# --- the API ---

def operation_id():
    """The server-made id of this request's operation: from the Idempotency-Key when there is one."""
    return g.get("operation_id")


def api_begin(user):
    """Before a mutating API view: answer a repeated key, refuse a reused one, or open the transaction
    that the view and its stored answer share. Returns a response to send instead, or None."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if request.method not in MUTATING or not key:
        return None
    if len(key) > 200:
        raise Invalid("Idempotency-Key が長すぎます（200文字まで）。", "Idempotency-Key is too long (200 max).")
    scope = (user["id"], request.method, request.path, key)
    digest = hashlib.sha256(request.get_data()).hexdigest()
    db = get_db()
    transaction = write(db)
    transaction.__enter__()
    g.once_transaction = transaction
    row = db.execute("select body_hash, status, mimetype, body from idempotency where user_id = ? and method = ? "
                     "and path = ? and key = ?", scope).fetchone()
    if row is not None:
        _end(None)
        if row[0] != digest:
            raise Conflict("この Idempotency-Key は別の内容の操作で使われています。新しいキーで送ってください。",
                           "This Idempotency-Key was used for a request with another body. Send it with a new key.",
                           code="IdempotencyKeyReused")
        from flask import Response

        response = Response(_unpacked(row[3]), status=row[1], mimetype=row[2])
        response.headers["Idempotent-Replayed"] = "true"
        return response
    g.once_scope = scope
    g.once_digest = digest
    g.operation_id = f"api:{request.method} {request.path}:{user['id']}:{key}"  # readable in the log
    return None


def api_finish(response):
    """After the view: store the answer in the view's own transaction and commit both (a refusal is rolled
    back first, then stored on its own, so a retry gets the same refusal)."""
    scope = g.pop("once_scope", None)
    if scope is None or g.get("once_transaction") is None:
        return response
    status = response.status_code
    stored = [*scope, g.pop("once_digest"), status, response.mimetype, _packed(response.get_data()), clock.now()]
    insert = ("insert or replace into idempotency (user_id, method, path, key, body_hash, status, mimetype, body, at) "
              "values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    if status < 400:
        get_db().execute(insert, stored)
        _prune(get_db())
        _end(None)
    else:
        _end(RuntimeError("refused"))
        if status < 500 and status not in NOT_STORED:
            with write(get_db()) as db:
                db.execute(insert, stored)
    return response


def _end(error):
    transaction = g.pop("once_transaction", None)
    if transaction is None:
        return
    if error is None:
        transaction.__exit__(None, None, None)
    else:
        try:
            transaction.__exit__(type(error), error, None)
        except type(error):
            pass  # the rollback re-raises what it was given


def api_teardown(error):
    """A request that ended in an unhandled error rolls its transaction back."""
    if g.get("once_transaction") is not None:
        _end(error or RuntimeError("request ended"))


# --- the web forms ---

FIELD = "_once"
WAIT_SECONDS = 10  # how long a second tap waits for the first to finish before saying so
KEEP_HOURS = 24  # answers kept for retries; older ones are deleted as new ones come


def once_token():
    """A new one-time token (for pages that render many small forms and write the CSRF field once)."""
    return str(uuid.uuid4())


def form_guard():
    """The hidden fields every form carries: the CSRF token and a one-time token for this rendering."""
    from flask_wtf.csrf import generate_csrf

    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
                  f'<input type="hidden" name="{FIELD}" value="{once_token()}">')


def form_begin(user_id):
    """Before a form POST: claim its one-time token. A second POST with the same token (a double tap)
    is not run again: it waits for the first and gets the first's answer (the same next page).
    Returns a response to send instead, or None."""
    token = (request.form.get(FIELD) or "").strip()[:64]
    if request.method != "POST" or not token:
        return None
    db = get_db()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with write(db):
            claimed = db.execute("insert or ignore into form_tokens (token, user_id, path, at) values (?, ?, ?, ?)",
                                 [token, user_id, request.path, clock.now()]).rowcount
            if claimed:
                _prune(db)
        if claimed:
            g.form_token = token
            return None
        row = db.execute("select status, mimetype, location, body from form_tokens where token = ?", [token]).fetchone()
        if row is not None and row[0] is not None:
            return _replayed(row)
        if time.monotonic() > deadline:
            # a double tap at the door too: a message id, so the evacuee reads it in their language
            raise Conflict(N_("The first tap is still being saved. Reload the page in a moment."), code="StillSaving")
        time.sleep(0.05)  # gevent mode patches time.sleep: other requests go on meanwhile


def _replayed(row):
    from flask import Response

    status, mimetype, location, body = row
    response = Response(_unpacked(body) or b"", status=status, mimetype=mimetype)
    if location:
        response.headers["Location"] = location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def form_finish(response):
    """Keep the first answer for a second tap; a refused or failed form frees its token, so the
    corrected form may be sent again."""
    token = g.pop("form_token", None)
    if not token:
        return response
    with write(get_db()) as db:
        if response.status_code >= 400:
            db.execute("delete from form_tokens where token = ?", [token])
        else:
            body = None if response.is_streamed or response.status_code in (301, 302, 303) \
                else _packed(response.get_data())
            db.execute("update form_tokens set status = ?, mimetype = ?, location = ?, body = ? where token = ?",
                       [response.status_code, response.mimetype, response.headers.get("Location"), body, token])
    return response


PRUNE_SECONDS = 60  # old answers are deleted at most this often (by the app's clock), not on every write
_pruned_at = {}  # database file -> when this process last deleted old answers


PACKED = b"\x00z"  # a stored answer's prefix when compressed (no JSON or HTML answer starts with NUL)


def _packed(body):
    """A stored answer, compressed: a household's JSON is ~1.8 KB, and every check-in keeps one for a day
    (a third of the bytes the database grew by per check-in, and so of each commit's pages)."""
    return PACKED + zlib.compress(body, 1) if body and len(body) > 256 else body


def _unpacked(body):
    return zlib.decompress(body[len(PACKED):]) if body and body.startswith(PACKED) else body


def _prune(db):
    now, where = clock.utcnow(), getattr(db, "file_path", None)
    last = _pruned_at.get(where)
    if last is not None and timedelta(0) <= now - last < timedelta(seconds=PRUNE_SECONDS):
        return
    _pruned_at[where] = now
    cutoff = (now - timedelta(hours=KEEP_HOURS)).replace(microsecond=0).isoformat()
    db.execute("delete from form_tokens where at < ?", [cutoff])
    db.execute("delete from idempotency where at < ?", [cutoff])


def forget(db):
    """The purge: stored answers may hold personal data (a household as the API returned it)."""
    db.execute("delete from form_tokens")
    db.execute("delete from idempotency")
