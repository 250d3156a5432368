"""Staff accounts (roles hq, lead, staff), their signed-in sessions, and API tokens."""
import functools
import hashlib
import secrets

from sqlite_utils.migrations import Migrations
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import fetch_all, fetch_one, new_id, now, write
from ..eventlog import applies, emit
from .errors import Invalid, NotFound

migrations = Migrations("accounts")

ROLES = {
    "hq": ("災害対策本部", "Disaster HQ"),
    "lead": ("避難所責任者", "Shelter lead"),
    "staff": ("避難所スタッフ", "Shelter staff"),
}

# werkzeug's method for new password hashes; create_app sets it from PASSWORD_HASH (tests: a cheap one)
_hash_method = ["scrypt"]


def use_password_hash(method):
    """Hash new passwords with this werkzeug method ("scrypt", "pbkdf2:sha256:600000", …)."""
    generate_password_hash("check", method=method)  # an unknown method fails here, at start
    _hash_method[0] = method


@functools.lru_cache(maxsize=8)
def _dummy_hash(method):
    return generate_password_hash(secrets.token_hex(16), method=method)


@migrations()
def create_accounts(db):
    db["users"].create(
        {"id": str, "name": str, "password_hash": str, "role": str, "shelter_id": str, "created_at": str},
        pk="id",
    )
    db["users"].create_index(["name"], unique=True)
    db["tokens"].create(
        {"id": str, "user_id": str, "token_hash": str, "created_at": str},
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
    )
    db["tokens"].create_index(["token_hash"], unique=True)


@migrations()
def add_disabling_and_sessions(db):
    """A disabled account signs nobody in; a session is a row, so signing out ends it for good."""
    db["users"].add_column("disabled_at", str)
    db["sessions"].create(
        {"id": str, "user_id": str, "created_at": str},
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
    )
    db["sessions"].create_index(["user_id"])


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _public(user):
    return {k: v for k, v in user.items() if k != "password_hash"}


def _check_password(password):
    if len(password or "") < 8:
        raise Invalid("パスワードは8文字以上にしてください。", "The password needs at least 8 characters.")


def add_user(db, name, password, role, *, shelter_id=None, actor="system"):
    name = (name or "").strip()
    if not name:
        raise Invalid("ユーザー名を入力してください。", "Enter a user name.")
    if role not in ROLES:
        raise Invalid(f"役割は hq / lead / staff のいずれかです: {role}", f"Role must be hq, lead or staff: {role}")
    if role != "hq" and not shelter_id:
        raise Invalid("lead と staff には避難所を指定してください。", "Lead and staff need a shelter.")
    _check_password(password)
    user = {
        "id": new_id(),
        "name": name,
        "password_hash": generate_password_hash(password, method=_hash_method[0]),
        "role": role,
        "shelter_id": shelter_id if role != "hq" else None,
        "created_at": now(),
    }
    with write(db):
        if db.execute("select 1 from users where name = ?", [name]).fetchone():
            raise Invalid(f"そのユーザー名は使われています: {name}", f"That user name is taken: {name}")
        _emit_with_hash(db, "user.added", {k: v for k, v in user.items() if k != "password_hash"},
                        user["password_hash"], actor)
    return _public(user)


def _emit_with_hash(db, kind, data, password_hash, actor):
    """An account event: the password hash sealed under the account's own key (never in a shelter's
    exported log, and not purged with a shelter's people)."""
    emit(db, kind, data, personal={"password_hash": password_hash}, subject=f"user:{data['id']}", actor=actor)


@applies("user.added", live=False)
def _user_added(db, event):
    db["users"].insert(event.data)


def get_user(db, user_id):
    """The account (enabled or not), without its password hash; None when there is none."""
    user = fetch_one(db, "select * from users where id = ?", [user_id])
    return None if user is None else _public(user)


def _by_name(db, name):
    """:raise NotFound:"""
    user = fetch_one(db, "select * from users where name = ?", [(name or "").strip()])
    if user is None:
        raise NotFound(f"ユーザーがいません: {name}", f"No such user: {name}")
    return user


def authenticate(db, name, password):
    """The enabled user for these credentials, or None. An unknown name costs a hash check too, so
    the answer's timing does not tell which user names exist."""
    user = fetch_one(db, "select * from users where name = ?", [(name or "").strip()])
    if user is None:
        check_password_hash(_dummy_hash(_hash_method[0]), password or "")
        return None
    if not check_password_hash(user["password_hash"], password or "") or user["disabled_at"]:
        return None
    return _public(user)


def set_password(db, name, password, *, actor="system"):
    """A new password; the user's open sessions end (a leaked password is the usual reason)."""
    user = _by_name(db, name)
    _check_password(password)
    with write(db):
        _emit_with_hash(db, "user.password_changed", {"id": user["id"], "name": user["name"]},
                        generate_password_hash(password, method=_hash_method[0]), actor)
        _end_sessions(db, user["id"])


@applies("user.password_changed", live=False)
def _password_changed(db, event):
    db.execute("update users set password_hash = ? where id = ?", [event.data["password_hash"], event.data["id"]])


def _end_sessions(db, user_id):
    """Sessions are the edge's, not the record's (eventlog.NOT_PROJECTIONS): deleted, not replayed."""
    db.execute("delete from sessions where user_id = ?", [user_id])


def set_disabled(db, name, disabled=True, *, actor="system"):
    """Disable (or enable again) an account: its sessions end and its tokens stop working at once."""
    user = _by_name(db, name)
    with write(db):
        emit(db, "user.disabled" if disabled else "user.enabled", {"id": user["id"], "name": user["name"]},
             actor=actor)
        _end_sessions(db, user["id"])
    return get_user(db, user["id"])


@applies("user.disabled", live=False)
def _disabled(db, event):
    db.execute("update users set disabled_at = ? where id = ?", [event.at, event.data["id"]])


@applies("user.enabled", live=False)
def _enabled(db, event):
    db.execute("update users set disabled_at = null where id = ?", [event.data["id"]])


def list_users(db):
    return [_public(u) for u in fetch_all(db, "select * from users order by name")]


# --- sessions: the browser's cookie names a row here; no row, no session ---

def start_session(db, user_id):
    """A new session id for this user (kept in the signed cookie)."""
    session_id = secrets.token_urlsafe(24)
    with write(db):
        db["sessions"].insert({"id": session_id, "user_id": user_id, "created_at": now()})
    return session_id


def end_session(db, session_id):
    with write(db):
        db.execute("delete from sessions where id = ?", [session_id or ""])


def user_for_session(db, session_id):
    """The enabled user of an open session, or None."""
    user = fetch_one(db, "select u.* from sessions s join users u on u.id = s.user_id "
                         "where s.id = ? and u.disabled_at is null", [session_id or ""])
    return None if user is None else _public(user)


# --- API tokens ---

def create_token(db, user_name, *, actor="system"):
    """A new API token for the user; only its hash is stored, so it is shown once."""
    user = _by_name(db, user_name)
    token = secrets.token_urlsafe(32)
    with write(db):
        emit(db, "token.created", {"id": new_id(), "user_id": user["id"], "user": user["name"],
                                   "token_hash": _hash_token(token), "created_at": now()}, actor=actor)
    return token


@applies("token.created", live=False)
def _token_created(db, event):
    db["tokens"].insert({k: event.data[k] for k in ("id", "user_id", "token_hash", "created_at")})


def list_tokens(db):
    """Every token: its id (to revoke it), its user and when it was made; never the token itself."""
    return fetch_all(db, "select t.id, u.name as user, u.role, t.created_at, u.disabled_at from tokens t "
                         "join users u on u.id = t.user_id order by u.name, t.created_at")


def revoke_token(db, token_id, *, actor="system"):
    """Delete a token by its id (or the first characters of it, as `tokens list` shows). :raise NotFound:"""
    token_id = (token_id or "").strip()
    found = fetch_all(db, "select id from tokens where substr(id, 1, ?) = ?",
                                [len(token_id), token_id]) if len(token_id) >= 8 else []
    if len(found) != 1:
        raise NotFound(f"トークンが見つかりません（または一つに決まりません）: {token_id}",
                       f"No single token has this id: {token_id}")
    with write(db):
        emit(db, "token.revoked", {"id": found[0]["id"]}, actor=actor)
    return found[0]["id"]


@applies("token.revoked", live=False)
def _token_revoked(db, event):
    db.execute("delete from tokens where id = ?", [event.data["id"]])


def user_for_token(db, token):
    """The enabled user of this token, or None."""
    user = fetch_one(db, "select u.* from tokens t join users u on u.id = t.user_id "
                         "where t.token_hash = ? and u.disabled_at is null", [_hash_token(token or "")])
    return None if user is None else _public(user)
