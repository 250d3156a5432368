"""Start shelter-ops on the embedded SQLite database, with the demo data on first start."""
from shelter_ops import create_app
from shelter_ops.db import connect
from shelter_ops.demo import load_if_empty
from shelter_ops.live import socketio

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
