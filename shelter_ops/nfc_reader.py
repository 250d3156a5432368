"""A contactless reader on the server itself (a node or laptop with a USB PC/SC or Sony RC-S380 reader):
nfcpy reads each card's id, the tap happens here, and its words go to the shelter's screens.

Off unless SHELTER_OPS_NFC_READER names a device (nfcpy's path: `usb` for the first USB reader,
`usb:054c:06c1` for an RC-S380); nfcpy is an optional extra (`pip install 'shelter-ops[nfc]'`). Tablets
with keyboard-wedge readers need none of this: such a reader types the id into the desk's scan box.

A reader is anything with `read(timeout) -> card id or None` and `close()`: `NfcpyReader` for a real
device, `SimulatedReader` for tests and demonstrations (no nfcpy needed).
"""
import logging
import queue
import threading
import time

log = logging.getLogger(__name__)

READER_ACTOR = "nfc-reader"  # the name the event log shows for taps on the server's own reader


class ReaderError(RuntimeError):
    """The reader cannot be used (nfcpy missing, no device at the path)."""


class SimulatedReader:
    """A reader a test drives: `put(card_id)` lays a card on it, `put(None)` takes it away."""

    def __init__(self, cards=()):
        self._queue = queue.Queue()
        for card in cards:
            self.put(card)

    def put(self, card):
        self._queue.put(card)

    def read(self, timeout):
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        pass


class NfcpyReader:
    """A USB reader through nfcpy (PC/SC readers such as the ACR122U, Sony RC-S380/S)."""

    def __init__(self, path="usb"):
        try:
            import nfc
        except ImportError:
            raise ReaderError("nfcpy is not installed: pip install 'shelter-ops[nfc]'") from None
        try:
            self._clf = nfc.ContactlessFrontend(path)
        except (IOError, OSError) as error:
            raise ReaderError(f"no contactless reader at {path!r}: {error}") from None

    def read(self, timeout):
        """The id (IDm or UID, hex upper case) of a card on the reader, or None after `timeout` seconds."""
        found = []
        deadline = time.monotonic() + timeout

        def on_connect(tag):
            found.append(bytes(tag.identifier).hex().upper())
            return False  # answer at once: the loop itself waits for the card to be taken away

        self._clf.connect(rdwr={"on-connect": on_connect},
                          terminate=lambda: bool(found) or time.monotonic() > deadline)
        return found[0] if found else None

    def close(self):
        self._clf.close()


class ReaderLoop:
    """Reads cards and taps them at one shelter's desk in one mode; each answer goes to `notify`
    (default: the shelter's screens, live.card_tap). A card left lying on the reader taps once."""

    def __init__(self, app, reader, *, shelter_ref, mode="inout", notify=None, blocking=None):
        self.app = app
        self.reader = reader
        self.shelter_ref = shelter_ref
        self.mode = mode
        self.notify = notify
        self.blocking = blocking or (lambda function, *args: function(*args))
        self.present = None  # the card on the reader now (tapped already)
        self.stopped = threading.Event()

    def step(self, timeout=0.5):
        """Read once; tap a card that was not on the reader a moment ago. Returns the answer, or None."""
        card = self.blocking(self.reader.read, timeout)
        if card is None:
            self.present = None
            return None
        if card == self.present:
            return None
        self.present = card
        result, shelter_id = self.tap(card)
        if self.notify is not None:
            self.notify(shelter_id, result)
        else:
            from . import live

            live.card_tap(shelter_id, result)
        return result

    def tap(self, card):
        """(the answer as a desk shows it, in ja and en; the shelter's id)."""
        from .db import get_db
        from .domain import households, iccards, shelters
        from .domain.errors import DomainError
        from .web.desk import _summary

        with self.app.test_request_context():
            from flask import url_for

            db = get_db()
            shelter = shelters.get(db, self.shelter_ref)
            ref = shelters.ref(shelter)
            try:
                tapped = iccards.tap(db, shelter["id"], card, actor=READER_ACTOR, mode=self.mode,
                                     repeat_seconds=self.app.config["CARD_REPEAT_SECONDS"])
            except DomainError as refused:
                result = {"result": "unknown", "message_ja": refused.ja, "message_en": refused.en, "source": "reader"}
                if refused.code == "UnknownCard":
                    result["card"] = {"unknown": True, "id": iccards.normalize(card),
                                      "link_url": url_for("iccards.page", ref=ref)}
                return result, shelter["id"]
            household = households.get(db, tapped["household_id"], include_sensitive=False, include_hidden=False)
            evacuee = tapped["evacuee"]
            from .languages import BY_CODE

            return {"result": tapped["result"], "message_ja": tapped["message_ja"], "message_en": tapped["message_en"],
                    "household": _summary(household), "source": "reader",
                    "warnings": [w.get("ja") if isinstance(w, dict) else w for w in tapped["warnings"]],
                    "card": {"action": tapped["action"], "mode": tapped["mode"], "count_today": tapped["count_today"],
                             "evacuee": {"text": evacuee["text"], "lang": BY_CODE[evacuee["lang"]].html}
                             if evacuee else None}}, shelter["id"]

    def run(self):
        """Until stop(): read and tap; a failure is logged and the loop goes on (a reader unplugged a moment)."""
        while not self.stopped.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - the desk must keep its reader whatever one tap did
                log.exception("nfc reader: a tap failed")
                time.sleep(1)
        self.reader.close()

    def stop(self):
        self.stopped.set()


def _blocking_call(app):
    """How to call the reader's blocking USB read: in gevent mode on a real OS thread (gevent's pool), so
    the other screens are not frozen meanwhile; in threading mode directly."""
    if app.config.get("ASYNC_MODE") != "gevent":
        return None
    import gevent

    pool = gevent.get_hub().threadpool
    return lambda function, *args: pool.apply(function, args)


def start_if_configured(app, reader=None):
    """The explicit start hook run.py calls: with NFC_READER set, read cards in the background for the desk
    of NFC_SHELTER in NFC_MODE. Never refuses to start the server: a missing reader is logged. Returns
    the loop, or None."""
    from .domain import iccards

    path = app.config.get("NFC_READER") or ""
    if not path and reader is None:
        return None
    shelter_ref, mode = app.config.get("NFC_SHELTER") or "", app.config.get("NFC_MODE") or "inout"
    if not shelter_ref or mode not in iccards.MODES:
        log.error("nfc reader: set SHELTER_OPS_NFC_SHELTER (共通ID) and SHELTER_OPS_NFC_MODE (%s)",
                  ", ".join(iccards.MODES))
        return None
    try:
        reader = reader or NfcpyReader(path)
    except ReaderError as error:
        log.error("nfc reader: %s (the desk works on without it)", error)
        return None
    from .live import socketio

    loop = ReaderLoop(app, reader, shelter_ref=shelter_ref, mode=mode, blocking=_blocking_call(app))
    socketio.start_background_task(loop.run)
    log.warning("nfc reader %s: taps go to %s (%s)", path or "simulated", shelter_ref, mode)
    return loop
