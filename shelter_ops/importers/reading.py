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


# what people pick by mistake in the file dialog: (magic bytes, (ja, en) name of the kind)
BINARY_KINDS = (
    (b"\x89PNG", ("PNG 画像", "a PNG image")), (b"\xff\xd8\xff", ("JPEG 画像", "a JPEG image")),
    (b"GIF8", ("GIF 画像", "a GIF image")), (b"%PDF", ("PDF", "a PDF")),
    (b"PK\x03\x04", ("Excel（xlsx）か ZIP", "an Excel (xlsx) or ZIP file")),
    (b"\xd0\xcf\x11\xe0", ("古い Excel（xls）", "an old Excel (xls) file")),
)


def refuse_binary(head):
    """:raise Unreadable: the file is an image, a PDF, a spreadsheet or other binary, not CSV/GeoJSON
    (read as text it would print as mojibake: "このファイルの列: 臼NG")."""
    start = head.lstrip(codecs.BOM_UTF8)
    kind = next((names for magic, names in BINARY_KINDS if start.startswith(magic)), None)
    if kind is None:
        return
    if "Excel" in kind[1]:
        advice = ("Excel の表は「CSV UTF-8」で保存し直してから、その CSV を選んでください。",
                  'Save the spreadsheet as "CSV UTF-8" first, then choose that CSV.')
    else:
        advice = ("国土地理院かデジタル庁の CSV / GeoJSON を選んでください。",
                  "Choose a GSI or Digital Agency CSV or GeoJSON file.")
    raise Unreadable(f"CSV か GeoJSON のファイルではありません（{kind[0]}のようです）。{advice[0]}",
                     f"This is not a CSV or GeoJSON file (it looks like {kind[1]}). {advice[1]}")


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


def geojson_text(data):
    """The text of a GeoJSON file (UTF-8, with or without BOM). :raise Unreadable:"""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise Unreadable(f"GeoJSON は UTF-8 でなければなりません（{line}行目）。", f"A GeoJSON file must be UTF-8 (line {line}).",
                         line=line) from None
    return text[1:] if text.startswith("\ufeff") else text


_WS = re.compile(r"[ \t\n\r]*")


def geojson_features(text):
    """(line, feature number, feature) for each feature of a FeatureCollection, one at a time.

    Walks the document with the JSON decoder feature by feature, so a 50 MB file never becomes
    a 50 MB tree of objects. The whole document is checked: consume the generator to the end
    before trusting what it yielded. :raise Unreadable:
    """
    decoder = json.JSONDecoder()
    top, has_features = {}, False
    try:
        pos = _WS.match(text, 0).end()
        if not text.startswith("{", pos):
            kind = "配列" if text.startswith("[", pos) else "?"
            raise Unreadable(f"GeoJSON の FeatureCollection ではありません（{kind}）。",
                             "This is not a GeoJSON FeatureCollection (the file does not hold a JSON object).", line=1)
        pos, line, counted = pos + 1, 1, 0
        while True:
            pos = _WS.match(text, pos).end()
            if text.startswith("}", pos) and not top and not has_features:
                pos += 1
                break
            if not text.startswith('"', pos):
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
            key, pos = decoder.raw_decode(text, pos)
            pos = _WS.match(text, pos).end()
            if not text.startswith(":", pos):
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            pos = _WS.match(text, pos + 1).end()
            if key == "features" and text.startswith("[", pos):
                has_features, number = True, 0
                pos = _WS.match(text, pos + 1).end()
                if text.startswith("]", pos):
                    pos += 1
                else:
                    while True:
                        line += text.count("\n", counted, pos)
                        counted = pos
                        feature, pos = decoder.raw_decode(text, pos)
                        number += 1
                        yield line, number, feature
                        pos = _WS.match(text, pos).end()
                        if text.startswith(",", pos):
                            pos = _WS.match(text, pos + 1).end()
                        elif text.startswith("]", pos):
                            pos += 1
                            break
                        else:
                            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            else:
                top[key], pos = decoder.raw_decode(text, pos)
            pos = _WS.match(text, pos).end()
            if text.startswith(",", pos):
                pos += 1
            elif text.startswith("}", pos):
                pos += 1
                break
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        if _WS.match(text, pos).end() != len(text):
            raise json.JSONDecodeError("Extra data", text, pos)
    except RecursionError:  # a hostile file nested thousands deep: refused like any broken file
        raise Unreadable("JSON の入れ子が深すぎます。", "The JSON is nested too deeply.", line=1) from None
    except json.JSONDecodeError as error:
        end = text.rstrip()
        truncated = error.pos >= len(end) - 1 or not end.endswith("}")
        ja = "途中で切れています" if truncated else "壊れています"
        en = "is truncated" if truncated else "is malformed"
        raise Unreadable(f"JSON が{ja}（{error.lineno}行 {error.colno}文字目: {error.msg}）。",
                         f"The JSON {en} (line {error.lineno}, column {error.colno}: {error.msg}).",
                         line=error.lineno) from None
    if top.get("type") != "FeatureCollection" or not has_features:
        kind = str(top.get("type"))[:40]
        raise Unreadable(f"GeoJSON の FeatureCollection ではありません（{kind}）。",
                         f"This is not a GeoJSON FeatureCollection ({kind}).", line=1)


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
