"""Start shelter-ops on the embedded SQLite database, with the demo data on first start."""
import os

if os.environ.get("SHELTER_OPS_ASYNC_MODE", "threading").strip() == "gevent":
    # Before every other import: sockets, locks and the Redis client must all become cooperative,
    # or one blocking call freezes every connected screen (Flask-SocketIO's deployment notes).
    from gevent import monkey

    monkey.patch_all()

from shelter_ops import create_app  # noqa: E402
from shelter_ops.db import connect  # noqa: E402
from shelter_ops.demo import load_if_empty  # noqa: E402
from shelter_ops.live import socketio  # noqa: E402

app = create_app()

if __name__ == "__main__":
    if app.config["DEMO"]:
        db = connect(app.config["DB"])
        for line in load_if_empty(db):
            print(line)
        db.close()
    host, port = app.config["HOST"], app.config["PORT"]
    print(f"shelter-ops: http://{host}:{port}/  (database: {app.config['DB']})")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
