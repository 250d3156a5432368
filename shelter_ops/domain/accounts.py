"""Staff accounts (roles hq, lead, staff) and API tokens."""
import hashlib
import secrets

from sqlite_utils.migrations import Migrations
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import new_id, now, record_event, write
from .errors import Invalid, NotFound

migrations = Migrations("accounts")

ROLES = {
    "hq": ("災害対策本部", "Disaster HQ"),
    "lead": ("避難所責任者", "Shelter lead"),
    "staff": ("避難所スタッフ", "Shelter staff"),
}


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


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _public(user):
    return {k: v for k, v in user.items() if k != "password_hash"}


def add_user(db, name, password, role, *, shelter_id=None, actor="system"):
    name = (name or "").strip()
    if not name:
        raise Invalid("ユーザー名を入力してください。", "Enter a user name.")
    if role not in ROLES:
        raise Invalid(f"役割は hq / lead / staff のいずれかです: {role}", f"Role must be hq, lead or staff: {role}")
    if role != "hq" and not shelter_id:
        raise Invalid("lead と staff には避難所を指定してください。", "Lead and staff need a shelter.")
    if len(password or "") < 8:
        raise Invalid("パスワードは8文字以上にしてください。", "The password needs at least 8 characters.")
    user = {
        "id": new_id(),
        "name": name,
        "password_hash": generate_password_hash(password),
        "role": role,
        "shelter_id": shelter_id if role != "hq" else None,
        "created_at": now(),
    }
    with write(db):
        if db.execute("select 1 from users where name = ?", [name]).fetchone():
            raise Invalid(f"そのユーザー名は使われています: {name}", f"That user name is taken: {name}")
        db["users"].insert(user)
        record_event(db, "user.added", actor=actor, shelter_id=user["shelter_id"],
                     payload={"id": user["id"], "name": name, "role": role})
    return _public(user)


def get_user(db, user_id):
    cur = db.execute("select * from users where id = ?", [user_id])
    row = cur.fetchone()
    return None if row is None else _public(dict(zip([c[0] for c in cur.description], row)))


def authenticate(db, name, password):
    """The user for these credentials, or None."""
    cur = db.execute("select * from users where name = ?", [(name or "").strip()])
    row = cur.fetchone()
    if row is None:
        return None
    user = dict(zip([c[0] for c in cur.description], row))
    return _public(user) if check_password_hash(user["password_hash"], password or "") else None


def create_token(db, user_name, *, actor="system"):
    """A new API token for the user; only its hash is stored, so it is shown once."""
    cur = db.execute("select id from users where name = ?", [user_name])
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"ユーザーがいません: {user_name}", f"No such user: {user_name}")
    token = secrets.token_urlsafe(32)
    with write(db):
        db["tokens"].insert({"id": new_id(), "user_id": row[0], "token_hash": _hash_token(token), "created_at": now()})
        record_event(db, "token.created", actor=actor, payload={"user": user_name})
    return token


def user_for_token(db, token):
    row = db.execute("select user_id from tokens where token_hash = ?", [_hash_token(token or "")]).fetchone()
    return None if row is None else get_user(db, row[0])
