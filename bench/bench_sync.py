"""Shelter nodes: HQ absorbing a node's backlog after days cut off (against sqlite-utils insert_all of the
same rows), and a node on one core taking check-ins (SYNC.md §6)."""
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from .harness import Skip, load, median, running_server
from .table import Row, fmt, ms, verdict

WHAT_ABSORB = "HQ absorbs a node's 50,000-event backlog"
TARGET_ABSORB = "≤ 30 s, ratio ≥ 0.5"
WHAT_NODE = "a node on one core (taskset -c 0): check-ins through the API, gevent mode"
TARGET_NODE = "≥ 150/s, p99 ≤ 100 ms"


def _paired(tmp):
    """An HQ database with one open shelter and a node database paired with it (in process)."""
    from shelter_ops.db import connect, migrate
    from shelter_ops.domain import nodes, shelters

    hq = connect(str(Path(tmp) / "hq.sqlite"))
    migrate(hq)
    shelter = shelters.register(hq, {"kyotsu_id": "E1420400001111", "name": "御成小学校", "lat": 35.32,
                                     "lon": 139.55}, actor="bench")
    shelters.add_zone(hq, shelter["id"], {"name": "体育館", "kind": "general", "usable_m2": 4000}, actor="bench")
    shelters.transition(hq, shelter["id"], "open", actor="bench")
    code = nodes.issue_code(hq, [shelter["id"]], actor="bench")
    answer = nodes.redeem_code(hq, code, name="bench node")
    node = connect(str(Path(tmp) / "node.sqlite"))
    migrate(node)
    nodes.become_node(node, "http://hq.invalid", answer)
    return hq, node, shelter


def _backlog(hq, node, shelter, events):
    """The node's days cut off: registrations, check-outs, head counts, until `events` events."""
    from shelter_ops import sync
    from shelter_ops.domain import households

    rows, _last = sync.feed_for(hq, [shelter["id"]], "", after_rowid=0, limit=10**9)
    sync.receive(node, rows, sync.keys_for(hq, rows), whole_streams=False)  # the registry, as a pull would
    made = 0
    i = 0
    while made < events:
        i += 1
        household = households.register(node, shelter["id"], {"staying": "shelter", "phone": f"090-{i:08d}"},
                                        [{"name": f"鎌倉 {i}郎", "birth_date": "1970-01-01", "sex": "male"},
                                         {"name": f"鎌倉 {i}子", "age": 40}], actor="desk", source="desk",
                                        status="checked_in")
        if i % 4 == 0:
            households.check_out(node, shelter["id"], household["id"], actor="desk")
        if i % 10 == 0:
            households.count_head(node, shelter["id"], "female", "elderly", actor="desk")
        made = node.execute("select count(*) from events where origin = (select id from node)").fetchone()[0] \
            if i % 200 == 0 else made
    return sync.own_events(node, after_seq=0, limit=events)


def _written(db, *, before):
    """The rows the backlog added to each table HQ wrote (the events and the projections): {table: [dict]}."""
    from shelter_ops.eventlog import projection_tables

    added = {}
    for table in ["events"] + [t for t in projection_tables(db) if t != "tallies"]:
        had = before.execute(f"select count(*) from [{table}]").fetchone()[0]
        cur = db.execute(f"select * from [{table}] order by rowid limit -1 offset ?", [had])
        cols = [c[0] for c in cur.description]
        table_rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        if table_rows:
            added[table] = table_rows
    return added


def _statements(written):
    """[(insert SQL, [values])] for each table's rows, in the order HQ wrote the tables."""
    out = []
    for table, table_rows in written.items():
        cols = list(table_rows[0])
        out.append((f"insert into [{table}] ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                    [tuple(row[c] for c in cols) for row in table_rows]))
    return out


def absorb(smoke=False, runs=3):
    from shelter_ops import sync
    from shelter_ops.db import connect, migrate

    events = 2000 if smoke else 50_000
    ours, base, whole, plain = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="shelter-bench-sync-") as tmp:
        hq, node, shelter = _paired(tmp)
        rows = _backlog(hq, node, shelter, events)
        state_key = bytes(node.execute("select sync_key from sync_state").fetchone()[0])
        sender = rows[0]["origin"]
        batches = [rows[i:i + sync.BATCH] for i in range(0, len(rows), sync.BATCH)]
        bundles = [sync.seal_bundle(state_key, {"sender": sender}, batch, sync.keys_for(node, batch))
                   for batch in batches]  # as sync_client.push seals them: each batch with its own keys
        hq.close()
        for r in range(1 if smoke else runs):
            copy = Path(tmp) / f"hq{r}.sqlite"
            copy.write_bytes((Path(tmp) / "hq.sqlite").read_bytes())
            target = connect(str(copy))
            node_row = target.execute("select id, shelter_ids from nodes").fetchone()
            allowed = sync.refuse_unless_own({"id": node_row[0], "shelter_ids": json.loads(node_row[1])})
            start = time.perf_counter()
            for blob in bundles:
                _header, batch, batch_keys = sync.open_bundle(state_key, blob, sender=sender)
                sync.receive(target, batch, batch_keys, allowed=allowed)
            ours.append(time.perf_counter() - start)
            held = target.execute("select count(*) from events where origin = ?", [sender]).fetchone()[0]
            if held != len(rows):
                raise RuntimeError(f"HQ holds {held} of {len(rows)} events after the backlog")
            if r == 0:  # the same rows every run: read once
                before = connect(str(Path(tmp) / "hq.sqlite"))
                written = _written(target, before=before)
                before.close()
                statements = _statements(written)
            target.close()
            bare = connect(str(Path(tmp) / f"bare{r}.sqlite"))
            migrate(bare)  # the same events table (and its indexes) that HQ keeps the rows in
            start = time.perf_counter()
            bare["events"].insert_all(({k: v for k, v in row.items()} for row in rows), batch_size=1000)
            base.append(time.perf_counter() - start)
            bare.close()
            same = connect(str(Path(tmp) / f"same{r}.sqlite"))
            migrate(same)  # the same schema, its tally triggers included
            start = time.perf_counter()
            for table, table_rows in written.items():
                same[table].insert_all(table_rows, batch_size=1000)
            whole.append(time.perf_counter() - start)
            same.close()
            bound = connect(str(Path(tmp) / f"plain{r}.sqlite"))
            migrate(bound)  # the same schema again: only the Python layer is missing
            start = time.perf_counter()
            for sql, values in statements:  # no Python layer at all: the SQL that applying the events must run
                for i in range(0, len(values), 1000):
                    with bound.conn:
                        bound.conn.executemany(sql, values[i:i + 1000])
            plain.append(time.perf_counter() - start)
            bound.close()
    seconds, baseline = median(ours), median(base)
    ratio = baseline / seconds if seconds else None
    rows_written = sum(len(v) for v in written.values())
    what = WHAT_ABSORB if not smoke else f"HQ absorbs a node's {events:,}-event backlog"
    return Row(what, f"{seconds:.2f} s ({len(rows) / seconds:,.0f} events/s)", f"sqlite-utils insert_all {baseline:.2f} s",
               fmt(ratio, '', 2), TARGET_ABSORB, verdict(seconds <= 30 and (ratio or 0) >= 0.5),
               "opening the sealed batches, checking origin and shelter, insert-or-ignore in order, and applying "
               "each event to the tables; the baseline only inserts the rows into an empty events table of the same "
               f"schema. For information: insert_all of every row HQ wrote ({rows_written:,} rows: the events and "
               f"what applying them added to {', '.join(t for t in written if t != 'events')}) into the same schema "
               f"took {median(whole):.2f} s (ratio {median(whole) / seconds:.2f}); the same rows by plain executemany, "
               f"1,000 per transaction and no Python layer, took {median(plain):.2f} s: no absorb that writes them "
               f"in the append's transaction (DESIGN.md §2) can pass a ratio of {baseline / median(plain):.2f} here")


def one_core(smoke=False, runs=3):
    from .bench_api import checkins_path, household

    if not hasattr(os, "sched_setaffinity"):
        raise Skip("this system cannot pin a process to one core")
    total = 60 if smoke else 1500
    rates, p50s, p99s, failures = [], [], [], 0
    with running_server(async_mode="gevent") as (server, info):
        for task in os.listdir(f"/proc/{server.proc.pid}/task"):  # every thread of the server: core 0 only
            os.sched_setaffinity(int(task), {0})
        path = checkins_path(server).replace("{ref}", info["shelters"][0]["kyotsu_id"])
        for _ in range(1 if smoke else runs):
            got = load(server.url, lambda i: ("POST", path, household(i), {"Idempotency-Key": str(uuid.uuid4())}),
                       clients=8, total=total, token=info["token"])
            failures += sum(1 for _i, status, _b in got["results"] if status not in (200, 201)) + len(got["errors"])
            rates.append(got["rate"])
            p50s.append(got["p50"])
            p99s.append(got["p99"])
    rate, p99 = median(rates), median(p99s)
    return Row(WHAT_NODE, f"{fmt(rate, '/s')} (p50 {ms(median(p50s))}, p99 {ms(p99)})", "—", "—", TARGET_NODE,
               verdict(rate >= 150 and p99 <= 0.100 and failures == 0),
               f"the server pinned to CPU 0 with sched_setaffinity (taskset -c 0); 8 clients on the other core; "
               f"{failures} refused or failed")


def run(smoke=False, runs=3):
    return [absorb(smoke, runs), one_core(smoke, runs)]
