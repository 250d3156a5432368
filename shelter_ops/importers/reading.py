"""Reading a file as rows: encoding (UTF-8 with or without BOM, cp932), CSV streamed, GeoJSON features."""
import codecs
import csv
import json
import re

SNIFF_BYTES = 64 * 1024


class Unreadable(Exception):
    """The file as a whole cannot be read; carries where and why in ja and en."""

    def __init__(self, ja, en, *, line=None, column="", value=""):
        super().__init__(en)
        self.ja, self.en, self.line, self.column, self.value = ja, en, line, column, value


def sniff_encoding(head):
    """'utf-8-sig', 'utf-8' or 'cp932' from the first bytes of a file. :raise Unreadable:"""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unreadable("UTF-16 のファイルは読めません。UTF-8 か Shift_JIS で保存してください。",
                         "UTF-16 files cannot be read. Save the file as UTF-8 or Shift_JIS.", line=1)
    failures = {}
    for encoding in ("utf-8", "cp932"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError as error:
            failures[encoding] = error.start
    # Mixed bytes: read in the encoding that gets further, so the error names the line, as long
    # as at least one whole line made sense in it.
    encoding = max(failures, key=failures.get)
    if b"\n" in head[:failures[encoding]]:
        return encoding
    raise Unreadable("文字コードが UTF-8 でも Shift_JIS でもありません（壊れたファイルか、表計算ソフトの独自形式です）。",
                     "The file is neither UTF-8 nor Shift_JIS text (a damaged file, or a spreadsheet's own format?).",
                     line=1)


def looks_like_json(head):
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    return text[:1] in (b"{", b"[")


def decode_error(error, line, encoding):
    name = "Shift_JIS (cp932)" if encoding == "cp932" else "UTF-8"
    return Unreadable(f"{line}行目付近に {name} として読めない文字があります。ファイル全体を同じ文字コードで保存してください。",
                      f"Around line {line} there are bytes that are not {name}. "
                      f"Save the whole file in one encoding.", line=line)


MAX_LINE_BYTES = 4 * 2**20


def decoded_lines(binary, encoding, counter):
    """The file's physical lines as text, decoded one at a time, so a bad byte is named by its line.

    A line break byte never occurs inside a UTF-8 or cp932 character, so splitting bytes first is safe.
    :raise Unreadable:
    """
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    while True:
        raw = binary.readline(MAX_LINE_BYTES)
        if not raw:
            return
        counter[0] += 1
        if counter[0] == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise Unreadable(f"{counter[0]}行目が長すぎます（{MAX_LINE_BYTES // 2**20} MB 以上）。避難所の CSV ではないようです。",
                             f"Line {counter[0]} is longer than {MAX_LINE_BYTES // 2**20} MB; this is not a CSV "
                             "of shelters.", line=counter[0])
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError as error:
            raise decode_error(error, counter[0], encoding) from None


def csv_rows(binary, encoding, *, on_progress=None):
    """(line where the record starts, [fields]) for each non-empty record; the header is line 1.

    Streams: one record in memory at a time. :raise Unreadable:
    """
    lines = [0]
    reader = csv.reader(decoded_lines(binary, encoding, lines))
    previous = 0
    count = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise Unreadable(f"{previous + 1}行目から CSV として読めません（{error}）。",
                             f"From line {previous + 1} on the file is not valid CSV ({error}).",
                             line=previous + 1) from None
        start, previous = previous + 1, lines[0]
        count += 1
        if on_progress and count % 500 == 0:
            on_progress()
        if fields and any(f.strip() for f in fields):
            yield start, fields


def geojson_features(data):
    """[(line, feature number, feature)] of a GeoJSON FeatureCollection. :raise Unreadable:"""
    try:
        text = data.decode(sniff_encoding(data[:SNIFF_BYTES]))
    except UnicodeDecodeError:
        raise Unreadable("GeoJSON を UTF-8 として読めません。", "The GeoJSON is not UTF-8 text.", line=1) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        truncated = error.pos >= len(text.rstrip()) - 1
        ja = "途中で切れています" if truncated else "壊れています"
        en = "is truncated" if truncated else "is malformed"
        raise Unreadable(f"JSON が{ja}（{error.lineno}行 {error.colno}文字目: {error.msg}）。",
                         f"The JSON {en} (line {error.lineno}, column {error.colno}: {error.msg}).",
                         line=error.lineno) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise Unreadable(f"GeoJSON の FeatureCollection ではありません（{kind}）。",
                         f"This is not a GeoJSON FeatureCollection ({kind}).", line=1)
    features = doc["features"]
    lines = _feature_lines(text, len(features)) if "\n" in text.strip() else None
    return [(lines[i] if lines else 1, i + 1, feature) for i, feature in enumerate(features)]


def _feature_lines(text, count):
    """The line each feature starts on in a pretty-printed file, or None when it cannot be told."""
    match = re.search(r'"features"\s*:\s*\[', text)
    if not match:
        return None
    decoder = json.JSONDecoder()
    skip = re.compile(r"[\s,]*")
    pos, line, lines = match.end(), text.count("\n", 0, match.end()) + 1, []
    try:
        for _ in range(count):
            start = skip.match(text, pos).end()
            line += text.count("\n", pos, start)
            lines.append(line)
            _obj, end = decoder.raw_decode(text, start)
            line += text.count("\n", start, end)
            pos = end
    except ValueError:
        return None
    return lines


def point_of(feature):
    """(lon, lat, raw) of a Point feature, or (None, reason ja, reason en)."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, "Feature ではありません。", "Not a Feature."
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        return None, "geometry がありません。", "The geometry is missing."
    if geometry.get("type") != "Point":
        kind = str(geometry.get("type"))[:40]
        return None, f"点（Point）ではありません（{kind}）。", f"Not a Point ({kind})."
    coords = geometry.get("coordinates")
    if (not isinstance(coords, list) or len(coords) not in (2, 3)
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords)):
        return None, "Point の座標が [経度, 緯度] ではありません。", "The Point's coordinates are not [longitude, latitude]."
    lon, lat = float(coords[0]), float(coords[1])
    return (lon, lat, json.dumps(coords[:2])), None, None


def property_text(value):
    """A GeoJSON property as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
