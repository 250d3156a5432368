"""`python -m bench [--smoke] [--only NAME ...] [--runs N] [--no-write]`: run the benchmarks, print one
table, and write it with the machine's description to docs/PERFORMANCE.md (not in smoke mode)."""
import argparse
import sys
import time
import traceback

from . import BENCHMARKS_DOC
from .harness import ROOT, Skip, machine, raise_nofile
from .table import Row, render_text, write_performance

BENCHMARKS = ["api", "status", "live", "importer", "pdfs", "desk", "cards", "hq", "counts", "replay", "sync"]


def run_one(name, smoke, runs):
    module = __import__(f"bench.bench_{name}", fromlist=["run"])
    try:
        return module.run(smoke=smoke, runs=runs)
    except Skip as skip:
        return [Row(what=getattr(module, "WHAT", name), target=getattr(module, "TARGET", ""), status="skipped",
                    note=str(skip))]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=BENCHMARKS_DOC)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run each: seconds, for the tests")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (median); default 3, smoke 1")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/PERFORMANCE.md")
    args = parser.parse_args(argv)
    raise_nofile(8192)
    runs = args.runs or (1 if args.smoke else 3)
    rows = []
    started = time.monotonic()
    for name in args.only or BENCHMARKS:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            got = run_one(name, args.smoke, runs)
        except Exception as error:  # one broken benchmark must not hide the others
            traceback.print_exc()
            got = [Row(what=name, status="error", note=f"{type(error).__name__}: {error}"[:300])]
        for row in got:
            row.seconds = time.monotonic() - t0
        rows.extend(got)
        print(render_text(got), file=sys.stderr, flush=True)
    about = machine()
    print(render_text(rows, about))
    if not args.smoke and not args.no_write and not args.only:
        path = write_performance(ROOT / "docs" / "PERFORMANCE.md", rows, about, runs=runs)
        print(f"written: {path.relative_to(ROOT)} ({time.monotonic() - started:.0f} s)")
    failed = [row for row in rows if row.status == "error"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
