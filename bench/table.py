"""One table of figures, printed and written to docs/PERFORMANCE.md with the machine's description."""
import dataclasses
import datetime
from pathlib import Path

KEEP_MARKER = "<!-- analysis below is written by hand and kept when `make bench` rewrites the table -->"


@dataclasses.dataclass
class Row:
    what: str
    value: str = "—"
    baseline: str = "—"
    ratio: str = "—"
    target: str = ""
    status: str = "met"  # met | NOT met | skipped | error | info
    note: str = ""
    seconds: float = 0.0


def fmt(x, unit="", digits=0):
    if x is None:
        return "—"
    return f"{x:,.{digits}f}{unit}"


def ms(seconds):
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def verdict(ok):
    return "met" if ok else "NOT met"


COLUMNS = ("what", "measured (median)", "baseline (same run)", "ratio", "target", "result", "note")


def _cells(row):
    return (row.what, row.value, row.baseline, row.ratio, row.target, row.status, row.note)


def render_text(rows, about=None):
    lines = []
    if about:
        lines.append(describe(about))
    for row in rows:
        lines.append(" | ".join(_cells(row)))
    return "\n".join(lines)


def describe(about):
    return (f"{about['cores']} cores, {about['ram_gb']} GB RAM, {about['cpu']}; Python {about['python']}; "
            f"{about['os']}; load average at the end {about['load']}")


def _escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(rows):
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        out.append("| " + " | ".join(_escape(c) for c in _cells(row)) + " |")
    return "\n".join(out)


def write_performance(path, rows, about, runs):
    path = Path(path)
    kept = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if KEEP_MARKER in text:
            kept = text.split(KEEP_MARKER, 1)[1]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        "# Performance",
        "",
        "Measured by `make bench` (`.venv/bin/python -m bench`): the real server (`run.py`) on 127.0.0.1 and a",
        "fresh database, real clients on the same machine. Each figure is the median of "
        f"{runs} runs; each baseline is measured in the same run. The ratio is always \"higher is better\", 1.0 = as",
        "fast as the baseline: our rate ÷ the baseline's rate, or the baseline's time ÷ our time.",
        "",
        f"Machine: {describe(about)}.  Measured {stamp}.",
        "",
        render_markdown(rows),
        "",
        KEEP_MARKER,
    ]
    path.write_text("\n".join(body) + (kept if kept else "\n"), encoding="utf-8")
    return path
