"""Every benchmark runs in smoke mode (tiny sizes, one run): they cannot rot between `make bench`es.
No timing is asserted here — the figures belong to docs/PERFORMANCE.md."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.__main__ import BENCHMARKS, run_one  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_in_smoke_mode(name):
    rows = run_one(name, smoke=True, runs=1)
    assert rows, f"bench {name} reported nothing"
    for row in rows:
        assert row.status in ("met", "NOT met", "skipped", "info"), f"{name}: {row}"
        if row.status == "skipped":
            assert row.note, f"{name}: a skipped row must say why"
        else:
            assert row.value != "—", f"{name}: no figure in {row}"
