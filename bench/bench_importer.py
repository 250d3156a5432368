"""Import of a 3,000-row GSI 指定避難所 CSV (checked, then written in one transaction), against
sqlite-utils `insert_all` of the same rows into a bare table."""
import csv
import io
import tempfile
import time
from pathlib import Path

from .harness import Skip, median
from .table import Row, fmt, verdict

WHAT = "import of a 3,000-row GSI CSV"
TARGET = "≤ 2 s, ratio ≥ 0.3"
HEADER = ["NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所", "指定緊急避難場所との住所同一",
          "その他市町村長が必要と認める事項", "受入対象者", "緯度", "経度", "備考"]


def gsi_csv(rows):
    """A GSI 指定避難所 CSV as published (UTF-8 with BOM, CRLF) with `rows` Kamakura shelters."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    city = "神奈川県鎌倉市"
    for n in range(1, rows + 1):
        writer.writerow([str(n), f"E14204{n:05d}111", city, f"第{n}小学校", f"{city}大船{n}-1", "", "", "",
                         f"{35.28 + (n % 800) / 10000:.6f}", f"{139.50 + (n // 800) / 1000 + (n % 97) / 100000:.6f}",
                         ""])
    return out.getvalue().encode("utf-8-sig")


def run(smoke=False, runs=3):
    try:
        from shelter_ops.importers import import_file
    except ImportError as error:
        raise Skip(f"the importer is not there yet ({error})")
    from shelter_ops.db import connect, migrate

    rows = 50 if smoke else 3000
    runs = 1 if smoke else runs
    ours, base = [], []
    with tempfile.TemporaryDirectory(prefix="shelter-bench-import-") as tmp:
        path = Path(tmp) / "mergeFromCity_1.csv"
        path.write_bytes(gsi_csv(rows))
        for r in range(runs):
            db = connect(str(Path(tmp) / f"import{r}.sqlite"))
            migrate(db)
            start = time.perf_counter()
            report = import_file(db, path, actor="bench", progress=False)
            ours.append(time.perf_counter() - start)
            if not report.ok or report.added != rows:
                raise RuntimeError(f"the import did not add {rows} shelters: {report.summary()}")
            db.close()
            # the baseline: parse the same file and insert_all into a bare table
            bare = connect(str(Path(tmp) / f"bare{r}.sqlite"))  # the same pragmas (WAL, synchronous=FULL)
            start = time.perf_counter()
            with open(path, encoding="utf-8-sig", newline="") as handle:
                bare["shelters"].insert_all(csv.DictReader(handle), batch_size=1000)
            base.append(time.perf_counter() - start)
            bare.close()
    seconds, baseline = median(ours), median(base)
    ratio = baseline / seconds if seconds else None
    return [Row(WHAT if not smoke else f"import of a {rows}-row GSI CSV", f"{seconds:.2f} s",
                f"sqlite-utils insert_all {baseline:.2f} s", fmt(ratio, '', 2), TARGET,
                verdict(seconds <= 2.0 and ratio >= 0.3),
                "ratio = baseline ÷ import time; the import checks every row first, then writes in one transaction")]
