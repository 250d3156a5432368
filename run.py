"""Start shelter-ops on the embedded SQLite database (with the demo data on first start when
SHELTER_OPS_DEMO is on, as `make run` does; a production start refuses it, docs/deploy.md)."""
import gc
import os

if os.environ.get("SHELTER_OPS_ASYNC_MODE", "threading").strip() == "gevent":
    # Before every other import: sockets, locks and the Redis client must all become cooperative,
    # or one blocking call freezes every connected screen (Flask-SocketIO's deployment notes).
    from gevent import monkey

    monkey.patch_all()

import socket  # noqa: E402

from shelter_ops import UnsafeStart, create_app  # noqa: E402
from shelter_ops.db import connect  # noqa: E402
from shelter_ops.demo import load_if_empty  # noqa: E402
from shelter_ops.live import socketio  # noqa: E402

try:
    app = create_app()
except UnsafeStart as refused:  # a production start with demo data or a weak secret: say which setting
    raise SystemExit(str(refused)) from None


def no_delay_gevent():
    """gevent's pywsgi sends a response's headers and body in two writes; without TCP_NODELAY the
    second waits for the client's delayed ACK: 40 ms per keep-alive response (docs/PERFORMANCE.md).
    Flask-SocketIO hard-codes handler_class=WebSocketHandler, so that class's __init__ is wrapped
    in place to set TCP_NODELAY on each accepted socket. (Not a subclass bound to the module's name:
    geventwebsocket calls `super(WebSocketHandler, self)` by that name, which then recurses.)"""
    from geventwebsocket.handler import WebSocketHandler

    if getattr(WebSocketHandler, "no_delay", False):
        return
    original = WebSocketHandler.__init__

    def __init__(self, sock, *args, **kwargs):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket (a UNIX socket): nothing to do
            pass
        original(self, sock, *args, **kwargs)

    WebSocketHandler.__init__ = __init__
    WebSocketHandler.no_delay = True


def quiet_werkzeug_handler():
    """Werkzeug's request handler without the access log line (threading mode); errors still log."""
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code="-", size="-"):
            pass

    return QuietHandler


def server_options(config):
    """The keyword arguments for socketio.run(): the access log only when ACCESS_LOG is on.

    Threading mode stays on Werkzeug's server, which always answers `Connection: close` (it cannot
    drain an unread request body before the next request, so keep-alive is unsafe there); use
    gevent mode where throughput matters (docs/PERFORMANCE.md)."""
    options = {"allow_unsafe_werkzeug": True, "log_output": bool(config["ACCESS_LOG"])}
    if config["ASYNC_MODE"] == "gevent":
        no_delay_gevent()
    elif not config["ACCESS_LOG"]:
        options["request_handler"] = quiet_werkzeug_handler()
    return options


if __name__ == "__main__":
    if app.config["DEMO"]:
        db = connect(app.config["DB"])
        for line in load_if_empty(db):
            print(line)
        db.close()
    from shelter_ops.sync_client import start_if_paired

    start_if_paired(app)  # a shelter node: sync with HQ whenever it answers (docs/node.md)
    from shelter_ops.nfc_reader import start_if_configured

    start_if_configured(app)  # a card reader on this machine (SHELTER_OPS_NFC_READER; docs/interop.md)
    # what start-up made lives as long as the server: a full collection no longer walks it (a 55-60 ms
    # pause of every request and screen, 2 ms after this; docs/PERFORMANCE.md)
    gc.freeze()
    host, port = app.config["HOST"], app.config["PORT"]
    print(f"shelter-ops: http://{host}:{port}/  (database: {app.config['DB']})")
    socketio.run(app, host=host, port=port, **server_options(app.config))
