"""shelter-ops: open, run and close disaster evacuation shelters."""
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import config as config_module
from . import db, i18n, live

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


class VendorMissing(RuntimeError):
    pass


def _secret_key(settings):
    """The configured key, or one generated once and kept beside the database."""
    if settings["SECRET_KEY"]:
        return settings["SECRET_KEY"]
    if settings["DB"] == ":memory:":
        return secrets.token_hex(32)
    path = Path(settings["DB"]).with_suffix(".secret")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config=None):
    """The app: settings from defaults, SHELTER_OPS_* and `config`; storage; languages; live; blueprints."""
    from . import vendor

    settings = config_module.load(config)
    if settings["CHECK_VENDOR"] and vendor.missing():
        raise VendorMissing(
            f"Browser libraries are missing ({', '.join(vendor.missing())}). Install them with: "
            f"{vendor.INSTALL_COMMAND}"
        )
    app = Flask(__name__, template_folder=str(ROOT / "templates"))
    app.config.update(settings)
    app.config["SECRET_KEY"] = _secret_key(settings)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
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
