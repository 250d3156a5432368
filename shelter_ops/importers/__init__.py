"""Open-data importers: GSI 指定避難所 / 指定緊急避難場所 and the Digital Agency emergency-site list.

First every row is checked (nothing is written); only when no row has a fatal problem are the
records written, in one transaction. So a file with any error imports nothing. A large file is
streamed twice (check, then write) so that memory does not grow with the file.
"""
import contextlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import formats, reading
from .codes import municipality_check_digit, municipality_code6  # noqa: F401  (public helpers)
from .reading import Unreadable
from .store import store

MAX_BYTES = 64 * 2**20  # the HQ upload page's limit too
MAX_PROBLEMS = 200  # stop reading after this many fatal problems: the file is wrong as a whole
PROGRESS_FROM_BYTES = 512 * 1024
KEEP_CHECKED_BYTES = 8 * 2**20  # records of a file up to this size are kept from the check for the write


@dataclass
class ImportProblem:
    """One problem in a file: where (line, column), the value, and why in ja and en."""

    line: int | None
    column: str
    value: str
    ja: str
    en: str
    fatal: bool = True
    feature: int | None = None  # GeoJSON: the feature's number (1-based)

    def message(self, lang="ja"):
        return self.en if lang == "en" else self.ja

    def where(self, lang="ja"):
        parts = []
        if self.line is not None:
            parts.append(f"{self.line}行目" if lang == "ja" else f"line {self.line}")
        if self.feature is not None:
            parts.append(f"{self.feature}番目の地物" if lang == "ja" else f"feature {self.feature}")
        return " ".join(parts)


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    filename: str
    kind: str = ""  # shelters | sites
    format: str = ""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # fatal: the file imported nothing
    warnings: list = field(default_factory=list)  # imported anyway
    changed_shelter_ids: list = field(default_factory=list)
    rows: int = 0
    stopped_early: bool = False

    @property
    def ok(self):
        return not self.errors

    def summary(self, lang="ja"):
        if not self.ok:
            if lang == "en":
                return f"Nothing imported: {len(self.errors)} error{'s' if len(self.errors) != 1 else ''}" + (
                    " (stopped reading early)" if self.stopped_early else "")
            return f"取り込みませんでした: 誤り{len(self.errors)}件" + ("（途中で読むのをやめました）" if self.stopped_early else "")
        if lang == "en":
            return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        return f"{self.added}件追加・{self.updated}件更新・{self.unchanged}件変更なし"

    def text(self):
        """The report for a terminal: the summary, then each problem as file:line column value: ja / en."""
        lines = [f"{self.filename}: {self.format + ': ' if self.format else ''}{self.summary('ja')} / {self.summary('en')}"]
        for label, problems in (("エラー error", self.errors), ("警告 warning", self.warnings)):
            for p in problems:
                where = ":".join(str(x) for x in (self.filename, p.line) if x is not None)
                if p.feature is not None:
                    where += f" (feature {p.feature})"
                column = f" [{p.column}]" if p.column else ""
                value = f" \"{p.value}\"" if p.value != "" else ""
                lines.append(f"{where}{column}{value} {label}: {p.ja} / {p.en}")
        return "\n".join(lines)

    def _add(self, problem):
        (self.errors if problem.fatal else self.warnings).append(problem)


class _Source:
    """Bytes in memory or a file on disk, opened afresh for each pass."""

    def __init__(self, opener, size):
        self.open, self.size = opener, size

    def head(self):
        with self.open() as f:
            return f.read(reading.SNIFF_BYTES)

    def read_all(self):
        with self.open() as f:
            return f.read()


def import_data(db, data: bytes, filename: str, *, actor, progress=False):
    """Import an uploaded file's bytes. Returns an ImportReport; never raises for a bad file."""
    return _import(db, _Source(lambda: io.BytesIO(data), len(data)), filename, actor=actor, progress=progress)


def import_file(db, path, *, actor, progress=False):
    """Import a file on disk, streamed (a progress bar on the terminal for large files)."""
    path = Path(path)
    return _import(db, _Source(lambda: open(path, "rb"), os.path.getsize(path)), str(path),
                   actor=actor, progress=progress)


def _import(db, source, filename, *, actor, progress):
    report = ImportReport(filename=filename)
    try:
        if source.size == 0:
            raise Unreadable("ファイルが空です。", "The file is empty.")
        if source.size > MAX_BYTES:
            mb = MAX_BYTES // 2**20
            raise Unreadable(f"ファイルが大きすぎます（上限 {mb} MB）。市町村ごとのファイルに分けて取り込んでください。",
                             f"The file is too large (limit {mb} MB). Import it in parts, one city at a time.")
        head = source.head()
        reading.refuse_binary(head)
        plan = _GeoJSONPlan(source, report) if reading.looks_like_json(head) else _CSVPlan(source, head, report)
        bar = _bar(progress and source.size >= PROGRESS_FROM_BYTES, source.size)
        try:
            # a large file is read again for the write rather than held in memory
            kept = [] if source.size <= KEEP_CHECKED_BYTES else None
            for record in plan.records(bar):  # pass 1: check only
                report.rows += 1
                if kept is not None:
                    kept.append(record)
            if report.ok and report.rows == 0:
                raise Unreadable("データの行がありません。", "The file has no data rows.", line=2)
            if report.ok:
                bar.reset()
                bar.set_description("import")
                if kept is None:
                    kept = _Plan.quiet(plan).records(bar)  # pass 2: problems were all reported in pass 1
                else:
                    kept = _advancing(kept, bar, source.size)
                store(db, plan.fmt, kept, report, actor=actor)
        finally:
            bar.close()
    except Unreadable as error:
        report.errors.append(ImportProblem(error.line, error.column, error.value, error.ja, error.en))
    return report


def _advancing(records, bar, size):
    """The kept records, moving the progress bar across the file's size as they are written."""
    step = max(1, len(records) // 100)
    for index, record in enumerate(records):
        if index % step == 0:
            bar.update(size * step // len(records))
        yield record


class _NoBar:
    def update(self, *_):
        pass

    reset = close = set_description = update
    n = 0


def _bar(show, total):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="check", leave=False, disable=None)  # off when not a terminal


class _Plan:
    """Reads one file as checked records; subclasses know CSV and GeoJSON."""

    fmt = None

    def __init__(self, report):
        self.report = report
        self.silent = False

    @staticmethod
    def quiet(plan):
        plan.silent = True
        return plan

    def problem(self, line, feature, column, value, ja, en, fatal):
        if self.silent:
            return
        value = "" if value is None else str(value)
        value = value if len(value) <= 80 else value[:77] + "…"
        self.report._add(ImportProblem(line, column, value, ja, en, fatal, feature))
        if len(self.report.errors) >= MAX_PROBLEMS:
            self.report.stopped_early = True
            raise _TooMany()

    def records(self, bar):
        try:
            yield from self._records(bar)
        except _TooMany:
            return

    def _fail_format(self, headers, *, geojson=False):
        ja, en = formats.unrecognised(headers, geojson=geojson)
        raise Unreadable(ja, en, line=1, column="", value=", ".join(headers)[:80])

    def _require(self, fmt, headers, *, geojson=False):
        missing = formats.missing_columns(fmt, headers, geometry=geojson)
        if missing:
            raise Unreadable(f"{fmt.ja} の形式に必要な列がありません: {'、'.join(missing)}",
                             f"Columns required by the {fmt.en} format are missing: {', '.join(missing)}",
                             line=1, column=", ".join(missing))


class _TooMany(Exception):
    pass


class _CSVPlan(_Plan):
    def __init__(self, source, head, report):
        super().__init__(report)
        self.source = source
        self.encoding = reading.sniff_encoding(head)
        with source.open() as binary:
            rows = reading.csv_rows(binary, self.encoding)
            first = next(rows, None)
            rows.close()
        if first is None:
            raise Unreadable("ファイルが空です。", "The file is empty.")
        line, headers = first
        self.headers = [formats.header_name(h) for h in headers]
        self.fmt = formats.detect(self.headers)
        if self.fmt is None:
            self._fail_format(self.headers)
        self._require(self.fmt, self.headers)
        duplicated = sorted({h for h in self.headers if h and self.headers.count(h) > 1})
        if duplicated:
            raise Unreadable(f"同じ名前の列が2つ以上あります: {'、'.join(duplicated)}",
                             f"Columns with the same name: {', '.join(duplicated)}", line=1, column=duplicated[0])
        per_city = self.fmt is not formats.DA_SITES and formats.CITY not in self.headers
        report.kind, report.format = self.fmt.kind, self.fmt.label("CSV", per_city)

    def _records(self, bar):
        checker = formats.RowChecker(self.fmt, self.headers, self.problem)
        width = len(self.headers)
        with self.source.open() as binary:
            position = [0]

            def progress():
                now = binary.tell()
                bar.update(now - position[0])
                position[0] = now

            rows = contextlib.closing(reading.csv_rows(binary, self.encoding, on_progress=progress))
            with rows as rows:
                yield from self._checked(rows, checker, width)
            progress()

    def _checked(self, rows, checker, width):
        next(rows, None)  # the header
        for line, fields in rows:
            if len(fields) != width and not (len(fields) > width and not any(f.strip() for f in fields[width:])):
                self.problem(line, None, "", f"{len(fields)}",
                             f"この行は{len(fields)}列あります（見出しは{width}列）。ファイルが途中で切れているか、"
                             "引用符（\"）で囲まれていないカンマがあります。",
                             f"This row has {len(fields)} fields; the header has {width}. The file may be "
                             "truncated, or a comma is not inside quotes (\").", True)
                continue
            record = checker.check(dict(zip(self.headers, fields)), line=line)
            if record is not None:
                yield record


class _GeoJSONPlan(_Plan):
    def __init__(self, source, report):
        super().__init__(report)
        self.source = source
        self.text = reading.geojson_text(source.read_all())
        headers, geometries, self.count = [], {}, 0
        for _line, _number, feature in reading.geojson_features(self.text):
            self.count += 1
            properties = feature.get("properties") if isinstance(feature, dict) else None
            if isinstance(properties, dict):
                for key in properties:
                    name = formats.header_name(key)
                    if name not in headers:
                        headers.append(name)
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            kind = geometry.get("type") if isinstance(geometry, dict) else None
            geometries[str(kind)] = geometries.get(str(kind), 0) + 1
        self.headers = headers
        self.fmt = formats.detect(headers)
        if self.fmt is None or not geometries.get("Point"):
            found = "、".join(f"{k} {v}件" for k, v in geometries.items()) or "地物なし"
            found_en = ", ".join(f"{k} ×{v}" for k, v in geometries.items()) or "no features"
            raise Unreadable(
                f"この GeoJSON には避難所の形式の点（Point）の地物がありません（{found}）。"
                f"properties に 共通ID・施設・場所名・住所（または デジタル庁形式の 名称・ID）が必要です。",
                f"This GeoJSON holds no Point features of a shelter format ({found_en}). The properties "
                f"must name 共通ID, 施設・場所名, 住所 (or the Digital Agency's 名称, ID).",
                line=1, column="geometry", value=", ".join(headers)[:80])
        self._require(self.fmt, headers, geojson=True)
        per_city = self.fmt is not formats.DA_SITES and formats.CITY not in headers
        report.kind, report.format = self.fmt.kind, self.fmt.label("GeoJSON", per_city)

    def _records(self, bar):
        checker = formats.RowChecker(self.fmt, self.headers, self.problem, geojson=True)
        step = max(1, self.count // 100)
        for index, (line, number, feature) in enumerate(reading.geojson_features(self.text)):
            if index % step == 0:
                bar.update(self.source.size // 100)
            point, ja, en = reading.point_of(feature)
            if point is None:
                self.problem(line, number, "geometry", "", ja, en, True)
                continue
            properties = feature.get("properties")
            if not isinstance(properties, dict):
                self.problem(line, number, "properties", "", "properties がありません。", "The properties are missing.", True)
                continue
            row = {formats.header_name(k): reading.property_text(v) for k, v in properties.items()}
            record = checker.check(row, line=line, feature=number, point=point)
            if record is not None:
                yield record


__all__ = ["ImportProblem", "ImportReport", "MAX_BYTES", "import_data", "import_file",
           "municipality_check_digit", "municipality_code6"]
