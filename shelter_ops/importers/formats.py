"""The open-data formats: their columns, how a file's headers name its format, and each row's checks."""
import json
import math
import re
import unicodedata
from dataclasses import dataclass

from ..domain.shelters import HAZARDS
from .codes import PREFECTURES, check_kyotsu_id, municipality_check_digit, municipality_code6, prefecture_of

NO, KYOTSU, CITY, NAME, ADDRESS = "NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所"
LAT, LON, NOTES = "緯度", "経度", "備考"
SAME_AS_SITE, OTHER, ACCEPTS = "指定緊急避難場所との住所同一", "その他市町村長が必要と認める事項", "受入対象者"
SAME_AS_SHELTER = "指定避難所との住所同一"
GSI_HAZARDS = {key: ja for key, (ja, _en) in HAZARDS.items()}  # the GSI column names are the hazards' ja names

DA_CODE, DA_ID, DA_NAME, DA_NAME_EN = "全国地方公共団体コード", "ID", "名称", "名称_英字"
DA_ADDRESS, DA_CAPACITY, DA_AREAS, DA_SAME = "所在地_連結表記", "想定収容人数", "対象となる町会・自治会", "指定避難所との重複"
DA_ADDRESS_PARTS = ("所在地_都道府県", "所在地_市区町村", "所在地_町字", "所在地_番地以下", "建物名等(方書)")
DA_HAZARDS = {key: f"災害種別_{ja}" for key, ja in GSI_HAZARDS.items()}

GSI_SHELTER_COLUMNS = (NO, KYOTSU, CITY, NAME, ADDRESS, SAME_AS_SITE, OTHER, ACCEPTS, LAT, LON, NOTES)
GSI_SITE_COLUMNS = (NO, KYOTSU, CITY, NAME, ADDRESS, *GSI_HAZARDS.values(), SAME_AS_SHELTER, LAT, LON, NOTES)
DA_COLUMNS = (
    DA_CODE, DA_ID, DA_NAME, "名称_カナ", DA_NAME_EN, "所在地_全国地方公共団体コード", "町字ID", DA_ADDRESS,
    *DA_ADDRESS_PARTS[:4], DA_ADDRESS_PARTS[4], LAT, LON, "標高", "電話番号", "内線番号", "連絡先メールアドレス",
    "連絡先FormURL", "連絡先備考(その他、SNSなど)", "郵便番号", "市区町村コード", "地方公共団体名",
    *DA_HAZARDS.values(), DA_SAME, DA_CAPACITY, DA_AREAS, "URL", "画像", "画像_ライセンス", NOTES,
)

JAPAN_LAT, JAPAN_LON = (20.0, 46.0), (122.0, 154.0)
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
HTML = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>|&[A-Za-z]+;|&#\d+;")


def header_name(name):
    """A header as compared: NFKC (full-width brackets → ASCII), no BOM, no surrounding space."""
    return unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").strip()


@dataclass(frozen=True)
class Format:
    key: str
    kind: str  # shelters | sites
    ja: str
    en: str
    columns: tuple  # the full published column list, for messages
    required: tuple

    def label(self, container, per_city=False):
        suffix = "（市町村別）" if per_city else ""
        return f"{self.ja} {container}{suffix}"


GSI_SHELTERS = Format("gsi_shelters", "shelters", "GSI 指定避難所", "GSI designated shelters",
                      GSI_SHELTER_COLUMNS, (KYOTSU, NAME, ADDRESS, LAT, LON))
GSI_SITES = Format("gsi_sites", "sites", "GSI 指定緊急避難場所", "GSI emergency evacuation sites",
                   GSI_SITE_COLUMNS, (KYOTSU, NAME, ADDRESS, *GSI_HAZARDS.values(), LAT, LON))
DA_SITES = Format("da_sites", "sites", "デジタル庁 指定緊急避難場所一覧", "Digital Agency emergency site list",
                  DA_COLUMNS, (DA_CODE, DA_ID, DA_NAME, LAT, LON))
FORMATS = (GSI_SHELTERS, GSI_SITES, DA_SITES)


def detect(headers):
    """The format a set of (normalised) header names belongs to, or None."""
    names = set(headers)
    if DA_NAME in names and (DA_CODE in names or DA_ID in names or any(h.startswith("災害種別_") for h in names)):
        return DA_SITES
    if KYOTSU in names:
        return GSI_SITES if names & set(GSI_HAZARDS.values()) else GSI_SHELTERS
    return None


def missing_columns(fmt, headers, *, geometry=False):
    """Required columns absent from the headers (a GeoJSON's geometry stands in for 緯度/経度)."""
    skip = {LAT, LON} if geometry else set()
    return [c for c in fmt.required if c not in headers and c not in skip]


def unrecognised(headers, *, geojson=False):
    """(ja, en) for a file whose headers match no format: what was found and what is expected."""
    found = "、".join(headers[:12]) + ("…" if len(headers) > 12 else "") if headers else "（なし）"
    found_en = ", ".join(headers[:12]) + ("…" if len(headers) > 12 else "") if headers else "(none)"
    expect_ja = "；".join(f"{f.ja}: {'、'.join(f.required)}" for f in FORMATS)
    expect_en = "; ".join(f"{f.en}: {', '.join(f.required)}" for f in FORMATS)
    what_ja = "GeoJSONの properties" if geojson else "見出し行"
    what_en = "GeoJSON properties" if geojson else "header row"
    return (f"認識できる形式ではありません。{what_ja}に次の列が必要です — {expect_ja}。このファイルの列: {found}",
            f"Not a recognised format. The {what_en} must name these columns — {expect_en}. "
            f"This file has: {found_en}")


def place(line, feature):
    """Where a record is, in words: (ja, en)."""
    if feature is not None:
        return f"{feature}番目の地物", f"feature {feature}"
    return f"{line}行目", f"line {line}"


class RowChecker:
    """Checks the rows of one file in order and turns each good row into a database record.

    `problem(line, feature, column, value, ja, en, fatal)` receives every problem found.
    """

    def __init__(self, fmt, headers, problem, *, geojson=False):
        self.fmt = fmt
        self.has = set(headers)
        self.problem = problem
        self.geojson = geojson
        self.seen = {}  # 共通ID → where first seen
        self.city_codes = {}  # city name → (municipality code, where)

    def check(self, row, *, line, feature=None, point=None):
        """The record for `row` (header → text), or None when the row has a fatal problem.

        `point` is (lon, lat, raw) from a GeoJSON geometry; CSV rows carry 緯度/経度 columns.
        """
        self._fatal = False
        self._at = (line, feature)
        if self.fmt is DA_SITES:
            record = self._da(row, point)
        else:
            record = self._gsi(row, point)
        return None if self._fatal else record

    # --- the problem sink ---

    def _bad(self, column, value, ja, en, fatal=True):
        self._fatal = self._fatal or fatal
        self.problem(self._at[0], self._at[1], column, value, ja, en, fatal)

    def _warn(self, column, value, ja, en):
        self._bad(column, value, ja, en, fatal=False)

    # --- fields ---

    def _text(self, row, column):
        value = row.get(column, "")
        value = value.strip()
        return value or None

    def _trimmed(self, row, column):
        """The value without surrounding space; a space around an ID, number or flag is a warning."""
        raw = row.get(column, "")
        value = raw.strip()
        if value != raw:
            self._warn(column, raw, "前後の空白を取り除いて読みました。", "Removed a leading or trailing space.")
        return value

    def _number(self, row, column):
        value = self._trimmed(row, column)
        if not value:
            return None
        number = float(value) if NUMBER.match(value) else None
        if number is None or not math.isfinite(number):
            self._bad(column, value, "数値ではありません。", "Not a number.")
            return None
        return number

    def _flag(self, row, column):
        value = self._trimmed(row, column)
        if value == "1":
            return 1
        if value == "":
            return 0
        self._bad(column, value, f"「1」か空欄にしてください（「{value}」は使えません）。",
                  f"Use 1 or leave it empty (\"{value}\" is neither; it does not mean false).")
        return 0

    def _name(self, row, column):
        name = self._text(row, column)
        if not name:
            self._bad(column, "", "名称がありません。", "The name is missing.")
        elif HTML.search(name):
            self._warn(column, name, "名称にHTMLのような文字列があります。文字のまま保存し、画面にも文字のまま表示します。",
                       "The name contains something like HTML. It is stored and shown as plain text.")
        return name

    def _coordinates(self, row, point):
        if point is not None:
            lon, lat, raw = point
            columns = ("geometry", "geometry")
            values = (raw, raw)
        else:
            lat, lon = self._number(row, LAT), self._number(row, LON)
            columns = (LAT, LON)
            values = (row.get(LAT, "").strip(), row.get(LON, "").strip())
            if lat is None and not values[0]:
                self._bad(LAT, "", "緯度がありません。", "The latitude is missing.")
            if lon is None and not values[1]:
                self._bad(LON, "", "経度がありません。", "The longitude is missing.")
        if lat is None or lon is None:
            return None, None
        inside = JAPAN_LAT[0] <= lat <= JAPAN_LAT[1] and JAPAN_LON[0] <= lon <= JAPAN_LON[1]
        swapped = JAPAN_LAT[0] <= lon <= JAPAN_LAT[1] and JAPAN_LON[0] <= lat <= JAPAN_LON[1]
        if swapped:
            self._bad(columns[0], values[0], f"緯度と経度が入れ替わっているようです（緯度 {lat}、経度 {lon}）。",
                      f"The latitude and longitude look swapped (latitude {lat}, longitude {lon}).")
        elif not inside:
            self._bad(columns[0], values[0],
                      f"座標が日本の範囲（緯度20〜46度、経度122〜154度）の外です（緯度 {lat}、経度 {lon}）。",
                      f"The coordinates are outside Japan (latitude 20–46, longitude 122–154): "
                      f"latitude {lat}, longitude {lon}.")
        return lat, lon

    def _unique(self, kyotsu_id, column):
        if kyotsu_id in self.seen:
            ja, en = place(*self.seen[kyotsu_id])
            self._bad(column, kyotsu_id, f"IDが重複しています（{ja}と同じ）。", f"Duplicate ID (the same as on {en}).")
        else:
            self.seen[kyotsu_id] = self._at

    def _same_city(self, city, code5):
        """One city name, one municipality code, within a file; and the prefecture must agree."""
        _pref, pref_code = prefecture_of(city)
        if pref_code and pref_code != code5[:2]:
            self._bad(KYOTSU, code5, f"共通IDの市町村コード {code5} は「{city}」の都道府県（コード {pref_code}）と合いません。",
                      f"The municipality code {code5} in the 共通ID does not belong to {city} "
                      f"(prefecture code {pref_code}).")
            return
        if city in self.city_codes and self.city_codes[city][0] != code5:
            other, where = self.city_codes[city]
            ja, en = place(*where)
            self._bad(KYOTSU, code5, f"「{city}」の市町村コードが{ja}（{other}）と違います。",
                      f"{city} has another municipality code on {en} ({other}).")
        self.city_codes.setdefault(city, (code5, self._at))

    # --- the formats ---

    def _gsi(self, row, point):
        kind = self.fmt.kind
        kyotsu_id = self._trimmed(row, KYOTSU)
        code6 = None
        if not kyotsu_id:
            self._bad(KYOTSU, "", "共通IDがありません。", "The 共通ID is missing.")
        else:
            for ja, en in check_kyotsu_id(kyotsu_id, kind):
                self._bad(KYOTSU, kyotsu_id, ja, en)
            if not self._fatal:
                code5 = kyotsu_id[1:6]
                code6 = municipality_code6(code5)
                city = self._text(row, CITY)
                if city:
                    self._same_city(city, code5)
                address = self._text(row, ADDRESS) or ""
                _pref, pref_code = prefecture_of(address)
                if pref_code and pref_code != code5[:2] and not (city and prefecture_of(city)[1]):
                    self._bad(ADDRESS, address, f"住所の都道府県が共通IDの市町村コード {code5} と合いません。",
                              f"The address is in another prefecture than the 共通ID's municipality {code5}.")
            self._unique(kyotsu_id, KYOTSU)
        name = self._name(row, NAME)
        address = self._text(row, ADDRESS)
        if not address:
            self._warn(ADDRESS, "", "住所がありません（座標だけで取り込みます）。", "The address is empty (imported by its coordinates).")
        lat, lon = self._coordinates(row, point)
        record = {"kyotsu_id": kyotsu_id, "municipality_code": code6, "name": name, "address": address,
                  "lat": lat, "lon": lon, "source": self.fmt.key}
        if OTHER in self.has or NOTES in self.has:
            parts = [self._text(row, OTHER), self._text(row, NOTES)]
            record["notes"] = "\n".join(p for p in parts if p) or None
        if kind == "shelters":
            record["kind"] = "welfare" if kyotsu_id and len(kyotsu_id) == 14 and kyotsu_id[12] == "2" else "general"
            if ACCEPTS in self.has:
                record["accepts"] = self._text(row, ACCEPTS)
            if SAME_AS_SITE in self.has:
                record["same_address_as_site"] = self._flag(row, SAME_AS_SITE)
        else:
            record["hazards"] = json.dumps([k for k, col in GSI_HAZARDS.items() if self._flag(row, col)])
            if SAME_AS_SHELTER in self.has:
                record["same_address_as_shelter"] = self._flag(row, SAME_AS_SHELTER)
        return record

    def _da_code(self, row):
        value = self._trimmed(row, DA_CODE)
        if not re.fullmatch(r"\d{5,6}", value):
            self._bad(DA_CODE, value, "全国地方公共団体コードは6桁（先頭の0を省いた5桁も可）の数字です。",
                      "The local government code has 6 digits (or 5 without the leading zero).")
            return None
        code = value.zfill(6)
        if municipality_code6(code[:5]) != code:
            if len(value) == 5 and value[:2] in PREFECTURES.values():
                code = municipality_code6(value)
                self._warn(DA_CODE, value, f"検査数字のない5桁のコードとして {code} と読みました。",
                           f"Read as a 5-digit code without its check digit: {code}.")
            else:
                self._bad(DA_CODE, value,
                          f"全国地方公共団体コードの検査数字が合いません（{code[:5]} なら {municipality_check_digit(code[:5])}）。",
                          f"The check digit of the local government code is wrong "
                          f"({code[:5]} needs {municipality_check_digit(code[:5])}).")
                return None
        if code[:2] not in PREFECTURES.values():
            self._bad(DA_CODE, value, f"都道府県コード {code[:2]} は存在しません。", f"There is no prefecture {code[:2]}.")
            return None
        return code

    def _da(self, row, point):
        code6 = self._da_code(row)
        ident = self._trimmed(row, DA_ID)
        kyotsu_id = None
        if not ident:
            self._bad(DA_ID, "", "IDがありません。", "The ID is missing.")
        elif ident.startswith("E") and len(ident) == 14:
            for ja, en in check_kyotsu_id(ident, "sites"):
                self._bad(DA_ID, ident, ja, en)
            if code6 and ident[1:6] != code6[:5]:
                self._bad(DA_ID, ident, f"共通IDの市町村コード {ident[1:6]} が全国地方公共団体コード {code6} と合いません。",
                          f"The municipality code {ident[1:6]} in the 共通ID does not match the local "
                          f"government code {code6}.")
            kyotsu_id = ident
        elif code6:
            kyotsu_id = f"{code6}-{ident}"  # a city's own ID: unique only within the city
        if kyotsu_id:
            self._unique(kyotsu_id, DA_ID)
        name = self._name(row, DA_NAME)
        lat, lon = self._coordinates(row, point)
        record = {"kyotsu_id": kyotsu_id, "municipality_code": code6, "name": name,
                  "lat": lat, "lon": lon, "source": self.fmt.key}
        if DA_NAME_EN in self.has:
            record["name_en"] = self._text(row, DA_NAME_EN)
        if DA_ADDRESS in self.has or any(p in self.has for p in DA_ADDRESS_PARTS):
            parts = "".join(self._text(row, p) or "" for p in DA_ADDRESS_PARTS)
            record["address"] = self._text(row, DA_ADDRESS) or parts or None
        if any(col in self.has for col in DA_HAZARDS.values()):
            record["hazards"] = json.dumps([k for k, col in DA_HAZARDS.items() if col in self.has and self._flag(row, col)])
        if DA_SAME in self.has:
            record["same_address_as_shelter"] = self._flag(row, DA_SAME)
        if DA_CAPACITY in self.has:
            raw = self._text(row, DA_CAPACITY)
            record["capacity_raw"] = raw
            record["capacity"] = self._capacity(raw)
        if DA_AREAS in self.has:
            areas = [a.strip() for a in re.split(r"[;；]", self._text(row, DA_AREAS) or "") if a.strip()]
            record["neighbourhoods"] = json.dumps(areas, ensure_ascii=False)
        if NOTES in self.has:
            record["notes"] = self._text(row, NOTES)
        return record

    def _capacity(self, raw):
        """想定収容人数 as published ("約1,200人", "５００") → 1200, 500; None when it holds no number."""
        if not raw:
            return None
        digits = re.search(r"\d[\d,]*", unicodedata.normalize("NFKC", raw))
        if not digits:
            self._warn(DA_CAPACITY, raw, "人数として読めません。文字のまま保存します。",
                       "Not readable as a number of people; kept as text.")
            return None
        number = int(digits.group().replace(",", ""))
        if number > 10**7:
            self._warn(DA_CAPACITY, raw, "人数が大きすぎます。文字のまま保存します。", "Too large for a number of people; kept as text.")
            return None
        return number
