"""The partition test (#12): HQ and two shelter nodes, each its own run.py and database on 127.0.0.1.
The link is cut by a proxy between the nodes and HQ; each node runs a day; HQ acts meanwhile; the link
returns with node A killed with -9 in the middle of its first sync and node B syncing by a file
imported twice. Afterwards every acknowledged event is at HQ exactly once and the figures agree."""
import json
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Client, Server  # noqa: E402
from shelter_ops import eventlog, sync, sync_client  # noqa: E402
from shelter_ops.db import connect, migrate  # noqa: E402
from shelter_ops.domain import accounts, duplicates, households, nodes, settings, shelters, supplies  # noqa: E402

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


class Proxy:
    """A TCP proxy on 127.0.0.1 that can cut the link (refuse and drop every connection) and restore it."""

    def __init__(self, target_port):
        self.target_port, self.up = target_port, True
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.open = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while self.up:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.up = False
        for s in self.open:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open = []

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.server.close()


def _family(n, i):
    return {"household": {"staying": "shelter", "phone": f"0467-{n}{i:05d}"},
            "persons": [{"name": f"避難 {n}-{i}", "birth_date": "1980-01-01", "sex": "female"}]}


def _day_at(client, ref, n, count):
    """A day of operations at a node through its API. Returns the acknowledged Idempotency-Keys."""
    acked, made = [], []
    base = f"/api/v1/shelters/{ref}"
    for i in range(count):  # bounded
        key = str(uuid.uuid4())
        status, _h, body = client.request("POST", f"{base}/checkins", _family(n, i), {"Idempotency-Key": key})
        if status == 201:
            acked.append(key)
            made.append(json.loads(body)["household"]["id"])
    for household_id in made[:40]:
        assert client.request("POST", f"{base}/checkouts", {"household_id": household_id},
                              {"Idempotency-Key": str(uuid.uuid4())})[0] == 200
    for sex in ("male", "female") * 5:
        assert client.request("POST", f"{base}/headcounts", {"sex": sex, "age_band": "adult"},
                              {"Idempotency-Key": str(uuid.uuid4())})[0] == 200
    assert client.request("POST", f"{base}/supplies/moves", {"item": "水 2L", "unit": "本", "direction": "in",
                                                            "quantity": 120}, {"Idempotency-Key": str(uuid.uuid4())})[0] == 201
    assert client.request("POST", f"{base}/supply-requests", {"item": "毛布", "quantity": 80, "unit": "枚"},
                          {"Idempotency-Key": str(uuid.uuid4())})[0] == 201
    assert client.request("POST", f"{base}/log", {"kind": "status", "text": "夜間巡回異常なし"},
                          {"Idempotency-Key": str(uuid.uuid4())})[0] == 201
    assert client.request("POST", f"{base}/reports", {}, {"Idempotency-Key": str(uuid.uuid4())})[0] == 201
    return acked, made


def _present(db, shelter_id):
    return households.present_counts(db).get(shelter_id, {}).get("total", 0)


def test_two_nodes_cut_off_for_a_day_merge_into_hq_with_nothing_lost_or_doubled(tmp_path):
    hq_path, a_path, b_path = (str(tmp_path / f"{n}.sqlite") for n in ("hq", "node-a", "node-b"))
    hq_db = connect(hq_path)
    migrate(hq_db)
    made = {}
    for kyotsu, name in (("E1420400001111", "御成小学校"), ("E1420400002111", "第二小学校"),
                         ("E1420400003111", "第三小学校")):
        shelter = shelters.register(hq_db, {"kyotsu_id": kyotsu, "name": name, "lat": 35.3, "lon": 139.5},
                                    actor="system")
        shelters.add_zone(hq_db, shelter["id"], {"name": "体育館", "kind": "general", "usable_m2": 4000},
                          actor="system")
        made[kyotsu] = shelters.transition(hq_db, shelter["id"], "open", actor="system")
    a, b, c = made.values()
    accounts.add_user(hq_db, "hq1", PASSWORD, "hq")
    hq_token = accounts.create_token(hq_db, "hq1")
    codes = {s["id"]: nodes.issue_code(hq_db, [s["id"]], actor="system") for s in (a, b)}
    env = {"SHELTER_OPS_SECRET_KEY": "k" * 40}
    with Server(hq_path, env=env) as hq_server:
        proxy = Proxy(hq_server.port)
        node_dbs = {}
        for shelter, path in ((a, a_path), (b, b_path)):
            db = connect(path)
            migrate(db)
            sync_client.pair(db, proxy.url, codes[shelter["id"]], name=shelter["name"])
            assert sync_client.sync_now(db)["ok"]
            if shelter is a:  # a supply request that reaches HQ before the cut; HQ answers it while cut off
                asked = supplies.create_request(db, a["id"], item="簡易トイレ", quantity=50, unit="個",
                                                actor="system")
                assert sync_client.sync_now(db)["ok"]
            accounts.add_user(db, "lead", PASSWORD, "lead", shelter_id=shelter["id"])
            node_dbs[shelter["id"]] = (db, accounts.create_token(db, "lead"))
        proxy.cut()
        servers = {a["id"]: Server(a_path, env={**env, "SHELTER_OPS_SYNC_SECONDS": "1"}),
                   b["id"]: Server(b_path, env={**env, "SHELTER_OPS_SYNC_SECONDS": "0"})}
        for server in servers.values():
            server.start()
        try:
            acked, families = {}, {}
            for n, shelter in enumerate((a, b)):
                client = Client(servers[shelter["id"]].url, token=node_dbs[shelter["id"]][1])
                acked[shelter["id"]], families[shelter["id"]] = _day_at(client, shelter["kyotsu_id"], n, 520)
            # the planted duplicate: the same person at both shelters while cut off
            for shelter in (a, b):
                client = Client(servers[shelter["id"]].url, token=node_dbs[shelter["id"]][1])
                assert client.request("POST", f"/api/v1/shelters/{shelter['kyotsu_id']}/checkins",
                                      {"household": {"staying": "shelter"},
                                       "persons": [{"name": "材木座 花子", "birth_date": "1950-03-03"}]})[0] == 201
            # a transfer of a family from A to B, at A
            client_a = Client(servers[a["id"]].url, token=node_dbs[a["id"]][1])
            moved = families[a["id"]][100]
            assert client_a.request("POST", f"/api/v1/shelters/{a['kyotsu_id']}/transfers",
                                    {"household_id": moved, "to": b["kyotsu_id"]})[0] == 200
            # HQ meanwhile: hides shelter C, changes m² per person
            hq_client = Client(hq_server.url, token=hq_token)
            shelters.set_hidden(hq_db, c["id"], True, actor="system")
            settings.put(hq_db, "m2_per_person", 4.0, actor="system")
            for step in ("accepted", "sent"):
                supplies.advance_request(hq_db, asked["id"], step, actor="system")
            assert _present(hq_db, a["id"]) == 0  # nothing reached HQ while cut off

            # the link returns: node A starts its first sync and is killed -9 in the middle of it
            proxy.restore()
            time.sleep(0.4)
            servers[a["id"]].kill9()
            servers[a["id"]] = Server(a_path, env={**env, "SHELTER_OPS_SYNC_SECONDS": "1"}).start()
            # node B has no link: a file on a USB stick, imported twice at HQ
            db_b = node_dbs[b["id"]][0]
            blob, _count = sync_client.export_file(db_b)
            for _ in range(2):
                sync.import_file(hq_db, blob)
            db_a = node_dbs[a["id"]][0]
            origin_a = db_a.execute("select id from node").fetchone()[0]
            own_a = db_a.execute("select max(seq) from events where origin = ?", [origin_a]).fetchone()[0]
            deadline = time.monotonic() + 90
            while sync.gap_free(hq_db, origin_a) < own_a and time.monotonic() < deadline:  # bounded
                time.sleep(0.5)
            assert sync.gap_free(hq_db, origin_a) == own_a
            # and HQ's decisions reached node A the same way: the answered request, the new m² per person
            while supplies.get_request(db_a, asked["id"])["status"] != "sent" and time.monotonic() < deadline:
                time.sleep(0.5)
            assert supplies.get_request(db_a, asked["id"])["status"] == "sent"
            assert settings.get(db_a, "m2_per_person") == 4.0
            assert hq_client.request("GET", "/health")[0] == 200
        finally:
            for server in servers.values():
                server.stop()
            proxy.close()

    # every acknowledged check-in exactly once at HQ
    ops = {}
    for (op,) in hq_db.execute("select op from events where kind = 'household.registered' and op like 'api:%'"):
        key = op.rsplit(":", 1)[-1]
        ops[key] = ops.get(key, 0) + 1
    for shelter in (a, b):
        assert len(acked[shelter["id"]]) >= 500
        assert [k for k in acked[shelter["id"]] if ops.get(k) != 1] == []
    # HQ's figures equal each node's own (B's file was made before the transfer reached it)
    for shelter in (a, b):
        assert _present(hq_db, shelter["id"]) == _present(node_dbs[shelter["id"]][0], shelter["id"]) + (
            1 if shelter is b else 0)
    # the transfer: one family in one place
    assert households.get(hq_db, moved)["shelter_id"] == b["id"]
    # the duplicates list: the planted pair and nothing else
    listed = duplicates.listing(hq_db)
    assert [(p["name_a"].replace("　", " "), p["shelter_a"] != p["shelter_b"]) for p in listed] == [("材木座 花子", True)]
    print(f"\npartition: acknowledged check-ins A {len(acked[a['id']])}, B {len(acked[b['id']])}; "
          f"events at HQ {hq_db.execute('select count(*) from events').fetchone()[0]}; "
          f"present at HQ A {_present(hq_db, a['id'])}, B {_present(hq_db, b['id'])}")
    # HQ's log rebuilds HQ
    rebuilt = connect(str(tmp_path / "replayed.sqlite"))
    migrate(rebuilt)
    eventlog.replay(hq_db, rebuilt)
    for table in ("households", "persons", "movements", "supply_moves", "shelters", "zones"):
        if table in hq_db.table_names():
            assert rebuilt.execute(f"select * from [{table}] order by rowid").fetchall() == \
                hq_db.execute(f"select * from [{table}] order by rowid").fetchall(), table
