"""shelter-ops: open, run and close disaster evacuation shelters."""
import logging
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import config as config_module
from . import db, i18n, live, security
from .security import UnsafeStart, limiter  # noqa: F401  (limiter: the views' decorators use it)

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()
log = logging.getLogger(__name__)


class VendorMissing(RuntimeError):
    pass


def _secret_key(settings):
    """The configured key, or one generated once and kept beside the database (readable by us only)."""
    if settings["SECRET_KEY"]:
        return settings["SECRET_KEY"]
    if settings["DB"] == ":memory:":
        return secrets.token_hex(32)
    path = Path(settings["DB"]).with_suffix(".secret")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        db.create_private_file(path)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _check_settings(settings, serving):
    """Production refuses demo data and weak secrets; development only warns about a weak key."""
    if settings["ENV"] == "production":
        security.refuse(security.setting_problems(settings))
        if serving:  # the CLI may start, so that `users passwd` can fix what is refused below
            conn = db.connect(settings["DB"])
            try:
                db.migrate(conn)
                security.refuse(security.demo_data_problems(conn))
            finally:
                conn.close()
    elif security.weak_secret(settings["SECRET_KEY"]):
        log.warning("SHELTER_OPS_SECRET_KEY is weak (%s): anyone who guesses it can forge sign-ins. "
                    "A production start (SHELTER_OPS_ENV=production) refuses it.",
                    security.weak_secret(settings["SECRET_KEY"]))


def create_app(config=None, *, serving=True):
    """The app: settings from defaults, SHELTER_OPS_* and `config`; storage; languages; live; blueprints.
    `serving=False` (the command line) skips the production check of the database's contents."""
    from . import vendor
    from .domain import accounts

    settings = config_module.load(config)
    _check_settings(settings, serving)
    if settings["CHECK_VENDOR"] and vendor.missing():
        raise VendorMissing(
            f"Browser libraries are missing ({', '.join(vendor.missing())}). Install them with: "
            f"{vendor.INSTALL_COMMAND}"
        )
    accounts.use_password_hash(settings["PASSWORD_HASH"])
    app = Flask(__name__, template_folder=str(ROOT / "templates"))
    app.config.update(settings)
    app.config["SECRET_KEY"] = _secret_key(settings)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    security.init_app(app)
    db.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    live.init_app(app)

    from . import web

    web.init_app(app)

    from .cli import register_commands

    register_commands(app)
    if settings["PURGE_ON_START"]:
        purge_due(app)
    return app


def purge_due(app):
    """The retention purge, once at start (as `shelter-ops purge --due` does): personal data of shelters
    handed over RETENTION_DAYS ago goes even when nobody runs the command. Never refuses to start."""
    import sqlite3

    from .domain import clock, privacy

    if app.config["DB"] == ":memory:":
        return
    conn = db.connect(app.config["DB"])
    try:
        result = privacy.purge_due(conn, clock.local_date(), retention_days=app.config["RETENTION_DAYS"])
        if result["purged"]:
            app.logger.warning("purged personal data of %d closed shelters (retention)", len(result["purged"]))
    except sqlite3.OperationalError as error:
        # another process holds the database (a busy server, a backup): the next start or
        # `shelter-ops purge --due` does it
        app.logger.warning("retention purge skipped at start: %s", error)
    finally:
        conn.close()
