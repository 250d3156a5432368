"""Where the time goes: sample the real server with py-spy while a benchmark's load runs, and print
the functions with the largest share of samples (inclusive), for docs/PERFORMANCE.md.

python -m bench.profile checkins|status|health [--seconds 8] [--mode threading|gevent] [--clients N]
python -m bench.profile import   (cProfile of the importer in-process)
python -m bench.profile absorb   (cProfile of HQ absorbing a node's backlog in-process)
"""
import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from . import bench_api
from .harness import load, running_server


def summarize(raw_path, top=60):
    """py-spy's raw (collapsed) stacks → [(share of samples, function)] inclusive, and the total."""
    inclusive, total = collections.Counter(), 0
    for line in Path(raw_path).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        seen = set()
        for frame in stack.split(";"):
            name = frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0].split("/")[-1] + ")" \
                if " (" in frame else frame
            if name not in seen:
                seen.add(name)
                inclusive[name] += n
    return [(count / total, name) for name, count in inclusive.most_common(top)], total


def profile_server(kind, seconds, mode, clients=None):
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        sys.exit("py-spy is not installed: pip install py-spy")
    with running_server(async_mode=mode, shelters=100 if kind == "status" else 1) as (server, info):
        ref = info["shelters"][0]["kyotsu_id"]
        if kind == "checkins":
            path = bench_api.checkins_path(server).replace("{ref}", ref)

            def make(i):
                return "POST", path, bench_api.household(i), {"Idempotency-Key": str(uuid.uuid4())}
            clients_default = 16
        elif kind == "status":
            def make(i):
                return "GET", "/public/status.json", None, {}
            clients_default = 32
        else:
            def make(i):
                return "GET", "/health", None, {}
            clients_default = 16
        clients = clients or clients_default
        out = Path(tempfile.mkdtemp(prefix="shelter-prof-")) / f"{kind}.txt"
        spy = subprocess.Popen([pyspy, "record", "--format", "raw", "-o", str(out), "-r", "200",
                                "-d", str(seconds), "-p", str(server.pid), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        result = {}
        runner = threading.Thread(target=lambda: result.update(load(
            server.url, make, clients=clients, total=10**6, max_seconds=seconds, token=info["token"])))
        runner.start()
        runner.join(seconds + 60)
        spy.wait(seconds + 60)
        if spy.returncode:
            sys.exit(f"py-spy failed: {spy.stderr.read().decode()[:500]}")
    shares, total = summarize(out)
    print(f"{kind} ({mode}): {result.get('rate', 0):.0f} req/s under py-spy, {total} samples")
    for share, name in shares:
        print(f"{share * 100:5.1f}%  {name}")


def profile_import(rows=3000):
    import cProfile
    import pstats

    from shelter_ops.db import connect, migrate
    from shelter_ops.importers import import_file

    from .bench_importer import gsi_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gsi.csv"
        path.write_bytes(gsi_csv(rows))
        db = connect(str(Path(tmp) / "p.sqlite"))
        migrate(db)
        profiler = cProfile.Profile()
        profiler.enable()
        import_file(db, path, actor="bench", progress=False)
        profiler.disable()
        db.close()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(25)


def profile_absorb(events=10_000):
    import cProfile
    import pstats

    from shelter_ops import sync

    from .bench_sync import _backlog, _paired

    with tempfile.TemporaryDirectory() as tmp:
        hq, node, shelter = _paired(tmp)
        rows = _backlog(hq, node, shelter, events)
        batches = [rows[i:i + sync.BATCH] for i in range(0, len(rows), sync.BATCH)]
        keyed = [(batch, sync.keys_for(node, batch)) for batch in batches]
        profiler = cProfile.Profile()
        profiler.enable()
        for batch, keys in keyed:
            sync.receive(hq, batch, keys)
        profiler.disable()
        hq.close()
        node.close()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["checkins", "status", "health", "import", "absorb"])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--mode", default="threading", choices=["threading", "gevent"])
    parser.add_argument("--clients", type=int, help="concurrent clients (1: where one request's latency goes)")
    args = parser.parse_args(argv)
    if args.kind == "import":
        profile_import()
    elif args.kind == "absorb":
        profile_absorb()
    else:
        profile_server(args.kind, args.seconds, args.mode, args.clients)


if __name__ == "__main__":
    main()
