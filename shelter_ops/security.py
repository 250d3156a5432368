"""Safe by default: the checks a start makes (secrets, demo data, password hashing), the HTTP
security headers and cookie flags, the request limits, and the rate limiter's home."""
import base64
import hashlib
import json
import re
from pathlib import Path

from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman

# Rate limits for sign-in and the door form (Flask-Limiter; storage from RATELIMIT_STORAGE_URI)
limiter = Limiter(key_func=get_remote_address)

WEAK_SECRETS = {"secret", "changeme", "change-me", "password", "dev", "development", "test", "key",
                "secret-key", "secret_key", "shelter", "shelter-ops", "please-change-me"}
MIN_SECRET_LENGTH = 32


class UnsafeStart(RuntimeError):
    """A production start refused: the message names the setting to change (in ja and en)."""


def weak_secret(key):
    """Why this SECRET_KEY is too weak (en), or "" when it is fine. An empty key is fine: one is generated."""
    if not key:
        return ""
    if key.strip().lower() in WEAK_SECRETS:
        return "it is a well-known word"
    if len(key) < MIN_SECRET_LENGTH:
        return f"it has {len(key)} characters, at least {MIN_SECRET_LENGTH} are needed"
    if len(set(key)) < 10:
        return "it repeats too few different characters"
    return ""


def cheap_password_hash(method):
    """True for a werkzeug method cheaper than its defaults (tests use one; production must not)."""
    parts = method.split(":")
    if parts[0] == "scrypt":
        return len(parts) > 1 and int(parts[1]) < 2 ** 15
    if parts[0] == "pbkdf2":
        return len(parts) > 2 and int(parts[2]) < 600_000
    return True


def setting_problems(settings):
    """What a production start refuses in the settings alone: (ja, en) pairs, each naming its setting."""
    problems = []
    why = weak_secret(settings["SECRET_KEY"])
    if why:
        problems.append(("SHELTER_OPS_SECRET_KEY が弱すぎます。32文字以上のランダムな値にしてください"
                         "（例: python -c 'import secrets; print(secrets.token_hex(32))'）。空にすると自動生成されます。",
                         f"SHELTER_OPS_SECRET_KEY is too weak ({why}). Use 32 or more random characters "
                         "(python -c 'import secrets; print(secrets.token_hex(32))'), or leave it empty "
                         "to have one generated."))
    if settings["DEMO"]:
        problems.append(("SHELTER_OPS_DEMO が有効です。本番ではデモデータ（公開済みのパスワードのアカウント）を読み込みません。",
                         "SHELTER_OPS_DEMO is on: production never loads the demo data (its accounts' "
                         "passwords are published). Unset it."))
    if cheap_password_hash(settings["PASSWORD_HASH"]):
        problems.append(("SHELTER_OPS_PASSWORD_HASH が弱すぎます（テスト用）。既定の scrypt にしてください。",
                         f"SHELTER_OPS_PASSWORD_HASH={settings['PASSWORD_HASH']} is a cheap (test) hash. "
                         "Unset it to use scrypt."))
    return problems


def demo_data_problems(db):
    """What a production start refuses in the database: the demo municipality, or an account that
    still opens with its published demo password."""
    from werkzeug.security import check_password_hash

    from .demo import DEMO_FILE

    problems = []
    if db.execute("select 1 from shelters where source = 'demo' limit 1").fetchone():
        problems.append(("このデータベースにはデモの避難所があります（SHELTER_OPS_DB）。本番は新しいデータベースで始めてください。",
                         "This database holds the demo shelters (SHELTER_OPS_DB): start production on a new "
                         "database."))
    published = {a["name"]: a["password"] for a in json.loads(DEMO_FILE.read_text(encoding="utf-8"))["accounts"]}
    still_open = [name for name, hash_ in
                  db.execute(f"select name, password_hash from users where name in "
                             f"({','.join('?' * len(published))})", list(published)).fetchall()
                  if check_password_hash(hash_, published[name])]
    if still_open:
        names = ", ".join(sorted(still_open))
        problems.append((f"デモのパスワードのままのアカウントがあります: {names}。"
                         f"shelter-ops users passwd または users disable で変えてください。",
                         f"These accounts still have their published demo passwords: {names}. Change them "
                         f"with `shelter-ops users passwd NAME` or `shelter-ops users disable NAME`."))
    return problems


def refuse(problems):
    """:raise UnsafeStart: listing every problem, in Japanese and in English."""
    if problems:
        lines = ["本番モード（SHELTER_OPS_ENV=production）では起動できません:",
                 *(f"  - {ja}" for ja, _ in problems),
                 "Refusing a production start (SHELTER_OPS_ENV=production):",
                 *(f"  - {en}" for _, en in problems)]
        raise UnsafeStart("\n".join(lines))


# --- JSON bodies: a nesting limit, so a deep body is a 400 and never a RecursionError (500) ---

def json_depth_exceeds(value, limit):
    """True when `value` nests lists/objects deeper than `limit`."""
    level = [value]
    for _ in range(limit + 1):
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return any(isinstance(item, (dict, list)) for item in level)


class LimitedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with bodies refused (ValueError: a 400) when nested past MAX_JSON_DEPTH."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if json_depth_exceeds(value, self._app.config["MAX_JSON_DEPTH"]):
            raise ValueError("JSON nested too deeply")
        return value


# --- headers: Flask-Talisman sets them; our additions are the inline-handler hashes and no-store ---

INLINE_HANDLER = re.compile(r'\son[a-z]+="([^"]*)"')


def inline_handler_hashes(template_folder):
    """CSP hashes of the templates' inline event handlers (onclick="window.print()"), so that
    'unsafe-hashes' allows exactly these and no injected one."""
    found = set()
    for path in Path(template_folder).rglob("*.html"):
        for code in INLINE_HANDLER.findall(path.read_text(encoding="utf-8")):
            if "{{" not in code and "{%" not in code:
                digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
                found.add(f"'sha256-{digest}'")
    return sorted(found)


def content_security_policy(template_folder):
    return {
        "default-src": "'self'",
        # 'wasm-unsafe-eval': the barcode decoder's .wasm (served from static/vendor)
        "script-src": " ".join(["'self'", "'wasm-unsafe-eval'", "'unsafe-hashes'",
                                *inline_handler_hashes(template_folder)]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


class _Talisman(Talisman):
    """Flask-Talisman, with each policy header built once instead of on every response (our CSP has
    no nonces: inline handlers are allowed by hash): a tenth of a trivial request's time."""

    def _parse_policy(self, policy):
        if getattr(request, "csp_nonce", None):
            return super()._parse_policy(policy)
        built = self.__dict__.setdefault("_built_policies", {})
        if id(policy) not in built:
            built[id(policy)] = (policy, super()._parse_policy(policy))  # holding `policy` keeps its id its own
        return built[id(policy)][1]


def init_app(app):
    """Cookie flags, security headers, proxies, request limits and the rate limiter."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    config = app.config
    if config["PROXY_COUNT"]:
        n = config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    config["MAX_CONTENT_LENGTH"] = int(config["MAX_UPLOAD_MB"] * 1024 * 1024)
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SECURE"] = bool(config["SECURE_COOKIES"])
    app.json = LimitedJSONProvider(app)
    _Talisman(app, force_https=False, strict_transport_security=bool(config["SECURE_COOKIES"]),
             session_cookie_secure=bool(config["SECURE_COOKIES"]), session_cookie_samesite="Lax",
             frame_options="DENY", referrer_policy="same-origin",
             content_security_policy=content_security_policy(app.template_folder))

    config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    # Every limit here is on a decorated view (sign-in, the door), which checks its own limits. The
    # app-wide check that init_app adds is for default and blueprint limits, which we have none of:
    # dropped, it no longer costs every other request a fifth of a /health (docs/PERFORMANCE.md).
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or manager._blueprint_limits:
        raise RuntimeError("app-wide rate limits need the limiter's app-wide check: keep it")
    app.before_request_funcs[None].remove(limiter._check_request_limit)

    @app.before_request
    def json_size():
        """A JSON body has a smaller limit than an upload: it is parsed whole, in memory."""
        if request.is_json and (request.content_length or 0) > config["MAX_JSON_KB"] * 1024:
            from werkzeug.exceptions import RequestEntityTooLarge

            raise RequestEntityTooLarge()

    @app.after_request
    def no_store(response):
        """Nothing a screen shows is kept by a browser or a proxy (rosters, cards, reports), except
        the static files and answers that chose their own caching."""
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
