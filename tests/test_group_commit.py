"""Group commit (db.write): writers that are ready at the same moment share one transaction and one
COMMIT, so sixteen desks checking in at once wait for one fsync instead of sixteen. What a desk must
still be able to count on: its check-in is on disk before it is answered, a colleague's failed request
undoes nothing of its own, and a COMMIT that fails fails everyone in it (nobody is told "saved").

The gevent cases run in a subprocess with gevent's monkey patching, as run.py's gevent mode does; real
threads (run.py's default mode) do not group."""
import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shelter_ops import db as storage
from shelter_ops.db import connect, write

ROOT = Path(__file__).resolve().parents[1]

GEVENT_WRITERS = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()

    import json, sqlite3, sys
    import gevent
    from shelter_ops import db as storage

    os_thread = monkey.get_original("threading", "get_ident")  # the real thread, not the greenlet
    loop_thread = os_thread()

    def scenario(path, writers, rounds, failing):
        setup = storage.connect(path)
        setup.execute("create table parent (id integer primary key)")
        setup.execute("create table child (id text, parent integer references parent(id) deferrable initially deferred)")
        setup.conn.commit()
        commits, commits_on_the_loop = [], []
        outcome = {"saved": [], "refused": [], "failed": [], "not_visible_when_answered": []}

        def writer(i):
            db = storage.connect(path)
            def traced(sql):
                if sql == "COMMIT":
                    commits.append(sql)
                    if os_thread() == loop_thread:
                        commits_on_the_loop.append(sql)
            db.conn.set_trace_callback(traced)
            check = sqlite3.connect(path)
            for r in range(rounds):
                name = f"{i}-{r}"
                try:
                    with storage.write(db):
                        mode = failing.get(name)
                        db.execute("insert into child (id, parent) values (?, ?)",
                                   [name, 999 if mode == "orphan" else None])
                        if mode == "raise":
                            raise ValueError(name)
                except ValueError:
                    outcome["refused"].append(name)
                except sqlite3.Error:
                    outcome["failed"].append(name)
                else:
                    outcome["saved"].append(name)
                    if check.execute("select count(*) from child where id = ?", [name]).fetchone()[0] != 1:
                        outcome["not_visible_when_answered"].append(name)

        gevent.joinall([gevent.spawn(writer, i) for i in range(writers)])
        stored = [r[0] for r in sqlite3.connect(path).execute("select id from child order by rowid")]
        return {**outcome, "stored": stored, "commits": len(commits), "commits_on_the_loop": len(commits_on_the_loop)}

    folder, scenarios = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps({name: scenario(f"{folder}/{name}.sqlite", 16, 10, failing)
                      for name, failing in scenarios.items()}))
""")

SCENARIOS = {"all_well": {}, "three_refused": {"3-0": "raise", "7-4": "raise", "0-0": "raise"},
             "commit_fails": {"5-2": "orphan"}}


@pytest.fixture(scope="module")
def gevent_writers(tmp_path_factory):
    """16 greenlets × 10 writes for each scenario (one subprocess for all: gevent patches the process)."""
    folder = tmp_path_factory.mktemp("group-commit")
    result = subprocess.run([sys.executable, "-c", GEVENT_WRITERS, str(folder), json.dumps(SCENARIOS)],
                            cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_writers_ready_together_share_commits_and_each_is_on_disk_when_answered(gevent_writers):
    got = gevent_writers["all_well"]
    assert sorted(got["saved"]) == sorted(got["stored"]) and len(got["stored"]) == 160
    assert len(set(got["stored"])) == 160  # each once
    assert got["not_visible_when_answered"] == []  # nobody was answered before its COMMIT
    assert got["commits"] <= 40, f"{got['commits']} COMMITs for 160 writes: the writers did not share them"


def test_the_requests_go_on_while_a_commit_waits_for_the_disk(gevent_writers):
    """A COMMIT with synchronous=FULL waits for the disk; on gevent's loop it stopped every other request
    and screen meanwhile (gevent-mode check-ins p99 47-55 ms; 37 ms with the COMMIT in gevent's thread
    pool, docs/PERFORMANCE.md)."""
    got = gevent_writers["all_well"]
    assert got["commits"] > 0 and got["commits_on_the_loop"] == 0


def test_a_member_that_fails_undoes_only_its_own_work(gevent_writers):
    got = gevent_writers["three_refused"]
    assert sorted(got["refused"]) == ["0-0", "3-0", "7-4"]
    assert got["failed"] == []
    assert len(got["stored"]) == 157 and not {"0-0", "3-0", "7-4"} & set(got["stored"])
    assert sorted(got["saved"]) == sorted(got["stored"])


def test_a_commit_that_fails_tells_every_member_and_keeps_none_of_them(gevent_writers):
    # a deferred foreign key is checked at COMMIT: the whole shared transaction is refused there
    got = gevent_writers["commit_fails"]
    assert "5-2" in got["failed"] and "5-2" not in got["stored"]
    assert len(got["failed"]) > 1, "the others in that transaction were not told it failed"
    assert not set(got["failed"]) & set(got["stored"])  # told "failed" means not stored
    assert sorted(got["saved"]) == sorted(got["stored"])  # told "saved" means stored
    assert len(got["saved"]) + len(got["failed"]) == 160


def test_threads_writing_at_once_each_count_once(tmp_path):
    """run.py's default mode: real threads."""
    path = str(tmp_path / "t.sqlite")
    setup = connect(path)
    setup.execute("create table notes (id text)")
    setup.conn.commit()
    errors = []

    def writer(i):
        db = connect(path)
        for r in range(25):
            try:
                with write(db):
                    db.execute("insert into notes (id) values (?)", [f"{i}-{r}"])
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    ids = [r[0] for r in connect(path).execute("select id from notes")]
    assert len(ids) == 200 and len(set(ids)) == 200


def test_real_threads_commit_each_their_own_write(tmp_path):
    """run.py's default mode: grouped, real threads waited for each other's turns on the GIL
    (threading-mode check-ins: p99 89 ms alone, 250–340 ms grouped), so each commits its own: a writer
    that comes second finds the first one's work already on disk when its own begins."""
    path = str(tmp_path / "t.sqlite")
    setup = connect(path)
    setup.execute("create table notes (id text)")
    setup.conn.commit()
    first_inside, seen = threading.Event(), []

    def first():
        db = connect(path)
        with write(db):
            db.execute("insert into notes (id) values ('first')")
            first_inside.set()
            time.sleep(0.2)  # the second writer reaches write() meanwhile and waits

    def second():
        first_inside.wait(10)
        db = connect(path)
        with write(db):
            seen.append(connect(path).execute("select count(*) from notes").fetchone()[0])  # committed rows only
            db.execute("insert into notes (id) values ('second')")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen == [1]


def test_a_nested_write_on_another_handle_to_the_same_file_joins_instead_of_waiting(tmp_path, monkeypatch):
    """A domain function that opened its own connection writes inside another write(): one transaction,
    so when the outer work fails, the inner work is gone too (a waiting inner write would have committed
    the outer one half-done)."""
    monkeypatch.setattr(storage, "GROUP_WAIT", 0.5)
    path = str(tmp_path / "n.sqlite")
    outer, inner = connect(path), connect(path)
    outer.execute("create table notes (id text)")
    outer.conn.commit()
    with pytest.raises(ValueError):
        with write(outer):
            outer.execute("insert into notes values ('outer')")
            with write(inner):
                inner.execute("insert into notes values ('inner')")
            raise ValueError("the outer work fails after the inner write")
    assert connect(path).execute("select count(*) from notes").fetchone()[0] == 0
    with write(outer):
        with write(inner):
            inner.execute("insert into notes values ('inner')")
        outer.execute("insert into notes values ('outer')")
    assert sorted(r[0] for r in connect(path).execute("select id from notes")) == ["inner", "outer"]


def test_an_in_memory_database_writes_on_its_own(tmp_path):
    db = connect(":memory:")
    db.execute("create table notes (id text)")
    with write(db):
        db.execute("insert into notes values ('kept')")
    with pytest.raises(ValueError):
        with write(db):
            db.execute("insert into notes values ('undone')")
            raise ValueError
    assert [r[0] for r in db.execute("select id from notes")] == ["kept"]


@pytest.fixture(autouse=True)
def empty_pool():
    yield
    storage.release_pool()
