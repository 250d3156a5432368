"""Settings: safe defaults, each overridden by a SHELTER_OPS_<NAME> environment variable."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    # storage
    "DB": str(ROOT / "instance" / "shelter_ops.sqlite"),
    "SECRET_KEY": "",  # empty: generated once and kept next to the database; else at least 32 characters
    # security (docs/settings.md, docs/deploy.md)
    "ENV": "development",  # "production": refuses demo data, weak secrets and cheap password hashes at start
    "PASSWORD_HASH": "scrypt",  # werkzeug method; tests use a cheap one, production refuses those
    "SECURE_COOKIES": False,  # behind HTTPS: cookies only over HTTPS (turn on with TLS in front)
    "PROXY_COUNT": 0,  # reverse proxies in front (nginx: 1): client address and scheme from X-Forwarded-*
    "MAX_UPLOAD_MB": 70,  # largest request body (an import file of up to 64 MB, a desk photo)
    "MAX_JSON_KB": 1024,  # largest JSON body (a household of 20 with long notes is a few 100 KB)
    "MAX_JSON_DEPTH": 32,  # deepest nesting of a JSON body
    "LOGIN_LIMIT": "5 per minute;20 per hour",  # failed sign-ins per client address and user name
    "LOGIN_LIMIT_PER_ADDRESS": "30 per minute",  # failed sign-ins per client address, any user name
    "RATELIMIT_STORAGE_URI": "memory://",  # e.g. redis://127.0.0.1:6379/1 for several processes
    # server
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "PUBLIC_URL": "",  # printed in QR codes; empty: the address a request came in on (the CLI refuses)
    "ASYNC_MODE": "threading",  # or "gevent"
    "ACCESS_LOG": False,  # run.py: one log line per HTTP request (costs throughput)
    "MESSAGE_QUEUE": "",  # e.g. redis://127.0.0.1:6379/0 for several processes
    "DEMO": False,  # load the demo municipality into an empty database (`make run` turns it on)
    "CHECK_VENDOR": True,  # refuse to start without the npm browser files
    # the municipality
    "MUNICIPALITY_CODE": "142042",  # 6 digits with check digit (Kamakura)
    "MUNICIPALITY_NAME": "鎌倉市",
    "MUNICIPALITY_NAME_EN": "Kamakura City",
    "CHECKLIST": str(ROOT / "data" / "checklist.json"),
    "PREREG_KEY": "",  # base64 key shared by the city's servers for home pre-registration QR codes
    "DOOR_REGISTRATIONS_PER_10_MIN": 10,  # per phone (a signed cookie), at the door form
    "DOOR_REGISTRATIONS_PER_ADDRESS_10_MIN": 300,  # per client address: a shelter's Wi-Fi is one address
    # IC cards at the desk (docs/interop.md): a second tap of one card within this counts once
    "CARD_REPEAT_SECONDS": 5,
    # a reader on the server itself (nfcpy, `pip install shelter-ops[nfc]`): off unless NFC_READER is set
    "NFC_READER": "",  # nfcpy's device path: usb (the first USB reader), usb:054c:06c1 (RC-S380)…
    "NFC_SHELTER": "",  # 共通ID of the shelter whose desk the reader serves
    "NFC_MODE": "inout",  # what a tap records: inout, meal, water, supplies or bath
    # capacity and congestion
    "M2_PER_PERSON": 3.5,
    "LEVEL_THRESHOLDS": "0.3,0.6,0.8",  # vacant < some < crowded < full
    "STALE_MINUTES": 60,
    # printing
    "FONT_PATH": "",
    "MAP_LAYERS": "",  # comma-separated GeoJSON files drawn under the paper map (boundary, coast, roads)
    # privacy
    "RETENTION_DAYS": 30,
    "PURGE_ON_START": True,  # run the retention purge (shelter-ops purge --due) whenever the app starts
    # residents' requests from phones (要望): at most this many per client per window
    "RESIDENT_REQUEST_LIMIT": 5,
    "RESIDENT_REQUEST_WINDOW_MINUTES": 60,
    # shelter nodes (docs/node.md): a paired node syncs with HQ this often in the background (0: off)
    "SYNC_SECONDS": 30,
    # reports to HQ
    "REPORT_INTERVAL_HOURS": 6,  # a periodic report (第N報) is due this long after the last one
    # Lアラート (公共情報コモンズ) 避難所情報
    "LALERT_ENDPOINT": "",  # the prefectural system's URL to POST the XML to; empty: download only
    "LALERT_SENDER_ID": "",  # EDXL senderID; empty: <MUNICIPALITY_CODE>.shelter-ops
    "LALERT_STATUS": "Actual",  # distributionStatus: Actual | Exercise (drills) | Test
    "LALERT_DISASTER_NAME": "",  # 災害名 in the body, e.g. 令和8年12月の地震; can be given per issue
}


def _parse(raw, default):
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load(overrides=None, environ=None):
    """The settings as a dict: defaults, then the environment, then explicit overrides."""
    environ = os.environ if environ is None else environ
    settings = {}
    for name, default in DEFAULTS.items():
        raw = environ.get(f"SHELTER_OPS_{name}")
        settings[name] = default if raw is None else _parse(raw, default)
    settings.update(overrides or {})
    return settings
