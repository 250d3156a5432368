"""Builders of open-data files for the importer tests: GSI shelters and sites, Digital Agency sites."""
import csv
import io
import json

from shelter_ops.db import connect, migrate

SHELTER_HEADER = ["NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所", "指定緊急避難場所との住所同一",
                  "その他市町村長が必要と認める事項", "受入対象者", "緯度", "経度", "備考"]
HAZARD_COLUMNS = ["洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象"]
SITE_HEADER = ["NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所", *HAZARD_COLUMNS,
               "指定避難所との住所同一", "緯度", "経度", "備考"]
DA_HEADER = [
    "全国地方公共団体コード", "ID", "名称", "名称_カナ", "名称_英字", "所在地_全国地方公共団体コード", "町字ID",
    "所在地_連結表記", "所在地_都道府県", "所在地_市区町村", "所在地_町字", "所在地_番地以下", "建物名等（方書）",
    "緯度", "経度", "標高", "電話番号", "内線番号", "連絡先メールアドレス", "連絡先FormURL",
    "連絡先備考（その他、SNSなど）", "郵便番号", "市区町村コード", "地方公共団体名", "災害種別_洪水",
    "災害種別_崖崩れ、土石流及び地滑り", "災害種別_高潮", "災害種別_地震", "災害種別_津波", "災害種別_大規模な火事",
    "災害種別_内水氾濫", "災害種別_火山現象", "指定避難所との重複", "想定収容人数", "対象となる町会・自治会", "URL",
    "画像", "画像_ライセンス", "備考",
]


def shelter(n, *, code5="14204", city="神奈川県鎌倉市", subtype="1", **overrides):
    """A valid GSI 指定避難所 row (header → text) for facility number n."""
    row = {"NO": str(n), "共通ID": f"E{code5}{n:05d}1{subtype}1", "都道府県名及び市町村名": city,
           "施設・場所名": f"第{n}小学校", "住所": f"{city}大船{n}-1", "指定緊急避難場所との住所同一": "",
           "その他市町村長が必要と認める事項": "", "受入対象者": "", "緯度": f"{35.3 + n / 10000:.6f}",
           "経度": f"{139.5 + n / 10000:.6f}", "備考": ""}
    row.update(overrides)
    return row


def site(n, *, code5="14204", city="神奈川県鎌倉市", hazards=("地震", "大規模な火事"), **overrides):
    """A valid GSI 指定緊急避難場所 row."""
    row = {"NO": str(n), "共通ID": f"E{code5}{n:05d}201", "都道府県名及び市町村名": city,
           "施設・場所名": f"第{n}公園", "住所": f"{city}小町{n}", **{h: "1" if h in hazards else "" for h in HAZARD_COLUMNS},
           "指定避難所との住所同一": "", "緯度": f"{35.31 + n / 10000:.6f}", "経度": f"{139.55 + n / 10000:.6f}", "備考": ""}
    row.update(overrides)
    return row


def da_site(n, *, code="142042", **overrides):
    """A Digital Agency 指定緊急避難場所一覧 row (all 39 columns)."""
    row = dict.fromkeys(DA_HEADER, "")
    row.update({"全国地方公共団体コード": code, "ID": f"{n:05d}", "名称": f"第{n}広場", "名称_英字": f"Square {n}",
                "所在地_連結表記": f"神奈川県鎌倉市御成町{n}", "緯度": f"{35.32 + n / 10000:.6f}",
                "経度": f"{139.54 + n / 10000:.6f}", "災害種別_地震": "1", "想定収容人数": f"約{n},200人",
                "対象となる町会・自治会": "御成町町内会;由比ガ浜自治会"})
    row.update(overrides)
    return row


def csv_bytes(header, rows, *, encoding="utf-8-sig", newline="\r\n"):
    """A CSV file as published: every field written as given, CRLF, UTF-8 with BOM by default."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    return out.getvalue().encode(encoding)


def geojson_bytes(rows, *, indent=None):
    """The GSI GeoJSON: properties are the CSV columns without 緯度/経度, geometry a Point [lon, lat]."""
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k not in ("緯度", "経度")}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Point", "coordinates": [float(row["経度"]), float(row["緯度"])]}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      indent=indent).encode("utf-8")


# 神奈川県's cities and towns (5-digit codes), enough to spread a prefecture-like file over
KANAGAWA = {"14100": "横浜市", "14130": "川崎市", "14150": "相模原市", "14201": "横須賀市", "14203": "平塚市",
            "14204": "鎌倉市", "14205": "藤沢市", "14206": "小田原市", "14207": "茅ヶ崎市", "14208": "逗子市"}


def prefecture_rows(count=3000):
    """`count` valid shelters spread over Kanagawa's cities, like a prefecture's GSI download."""
    codes = list(KANAGAWA)
    rows = []
    for i in range(count):
        code5 = codes[i % len(codes)]
        city = "神奈川県" + KANAGAWA[code5]
        n = i // len(codes) + 1
        rows.append(shelter(n, code5=code5, city=city, NO=str(i + 1), **{
            "施設・場所名": f"{KANAGAWA[code5]}立第{n}避難所", "緯度": f"{35.1 + (i % 500) / 1000:.6f}",
            "経度": f"{139.0 + (i % 700) / 1000:.6f}"}))
    return rows


_migrated = []


def fresh_db():
    """An in-memory database with every table (for property tests, which cannot use the db fixture):
    a copy of one migrated template, as migrating every example would take most of the test's time."""
    if not _migrated:
        template = connect(":memory:")
        migrate(template)
        _migrated.append(template)
    db = connect(":memory:")
    _migrated[0].conn.backup(db.conn)
    return db


def shelters_by_kyotsu_id(db):
    cursor = db.execute("select * from shelters order by kyotsu_id")
    columns = [c[0] for c in cursor.description]
    return {row["kyotsu_id"]: row for row in (dict(zip(columns, r)) for r in cursor.fetchall())}


def count(db, table, where="1=1", args=()):
    return db.execute(f"select count(*) from {table} where {where}", args).fetchone()[0]


def time_import(rows=3000, runs=5):
    """Median seconds to import a `rows`-row GSI CSV into an empty database, and the baseline:
    reading the same file with csv.DictReader into sqlite-utils insert_all (as bench/ does)."""
    import statistics
    import tempfile
    import time
    from pathlib import Path

    from shelter_ops.importers import import_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kanagawa.csv"
        path.write_bytes(csv_bytes(SHELTER_HEADER, prefecture_rows(rows)))
        ours, baseline = [], []
        for run in range(runs):
            db = connect(str(Path(tmp) / f"ours{run}.sqlite"))
            migrate(db)
            start = time.perf_counter()
            report = import_file(db, path, actor="bench")
            ours.append(time.perf_counter() - start)
            assert report.ok and report.added == rows, report.text()[:500]
            plain = connect(str(Path(tmp) / f"plain{run}.sqlite"))
            start = time.perf_counter()
            with path.open(encoding="utf-8-sig", newline="") as handle, plain.conn:
                plain["rows"].insert_all(csv.DictReader(handle), batch_size=1000)
            baseline.append(time.perf_counter() - start)
        return statistics.median(ours), statistics.median(baseline), path.stat().st_size


if __name__ == "__main__":
    import sys

    count_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    ours, baseline, size = time_import(count_rows)
    print(f"import of a {count_rows}-row GSI CSV ({size / 1024:.0f} KB): median {ours:.3f} s; "
          f"csv.DictReader + sqlite-utils insert_all of the same file: {baseline:.3f} s; ratio {baseline / ours:.2f}")
