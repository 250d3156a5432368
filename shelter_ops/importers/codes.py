"""Japanese public codes: local government codes (全国地方公共団体コード) and the GSI 共通ID."""
import functools
import re

# JIS X 0401 prefecture codes, the first two digits of every municipality code
PREFECTURES = {
    "北海道": "01", "青森県": "02", "岩手県": "03", "宮城県": "04", "秋田県": "05", "山形県": "06",
    "福島県": "07", "茨城県": "08", "栃木県": "09", "群馬県": "10", "埼玉県": "11", "千葉県": "12",
    "東京都": "13", "神奈川県": "14", "新潟県": "15", "富山県": "16", "石川県": "17", "福井県": "18",
    "山梨県": "19", "長野県": "20", "岐阜県": "21", "静岡県": "22", "愛知県": "23", "三重県": "24",
    "滋賀県": "25", "京都府": "26", "大阪府": "27", "兵庫県": "28", "奈良県": "29", "和歌山県": "30",
    "鳥取県": "31", "島根県": "32", "岡山県": "33", "広島県": "34", "山口県": "35", "徳島県": "36",
    "香川県": "37", "愛媛県": "38", "高知県": "39", "福岡県": "40", "佐賀県": "41", "長崎県": "42",
    "熊本県": "43", "大分県": "44", "宮崎県": "45", "鹿児島県": "46", "沖縄県": "47",
}

KYOTSU_ID = re.compile(r"^E(\d{5})(\d{5})([12])(\d)([1-9A-Za-z])$")


def municipality_check_digit(code5):
    """The check digit (6th digit) of a 5-digit local government code: Kamakura 14204 → 2.

    Weights 6,5,4,3,2 on the five digits; cd = (11 - sum % 11) % 10 (総務省 コード設定基準).
    """
    code5 = str(code5)
    if not re.fullmatch(r"\d{5}", code5):
        raise ValueError(f"a municipality code has 5 digits: {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


@functools.lru_cache(maxsize=4096)
def municipality_code6(code5):
    """The 6-digit code with its check digit: '14204' → '142042'."""
    return f"{code5}{municipality_check_digit(code5)}"


def prefecture_of(text):
    """(name, code) of the prefecture a city name or address starts with, else (None, None)."""
    for name in (text[:3], text[:4]):  # 東京都 … 神奈川県
        if name in PREFECTURES:
            return name, PREFECTURES[name]
    return None, None


def check_kyotsu_id(value, kind):
    """Problems with a 共通ID for a file of `kind` ('shelters' or 'sites') as [(ja, en)]; [] when fine.

    14 characters: E + 5-digit municipality + 5-digit facility + type (1 shelter, 2 site) +
    subtype (shelter 1 general / 2 welfare; site 0) + a sequence character 1-9, A-Z, a-z.
    """
    if len(value) != 14:
        return [(f"共通IDは14文字です（この値は{len(value)}文字）。",
                 f"A 共通ID has 14 characters (this one has {len(value)}).")]
    match = KYOTSU_ID.match(value)
    if not match:
        return [("共通IDの形が正しくありません（E＋市町村コード5桁＋施設番号5桁＋種別1桁＋区分1桁＋連番1文字）。",
                 "The 共通ID is not well formed (E + 5-digit municipality code + 5-digit facility number + "
                 "type digit + subtype digit + sequence character 1-9/A-Z/a-z).")]
    code5, _facility, type_digit, subtype, _seq = match.groups()
    problems = []
    if code5[:2] not in PREFECTURES.values():
        problems.append((f"共通IDの市町村コード {code5} の都道府県コード {code5[:2]} は存在しません。",
                         f"The municipality code {code5} in the 共通ID has no prefecture {code5[:2]}."))
    if kind == "shelters":
        if type_digit != "1":
            problems.append(("これは指定緊急避難場所の共通ID（種別2）です。指定避難所のファイルには使えません。",
                             "This is an emergency site's 共通ID (type 2), not a shelter's (type 1)."))
        elif subtype not in ("1", "2"):
            problems.append((f"指定避難所の共通IDの区分は1（一般）か2（福祉）です（この値は{subtype}）。",
                             f"A shelter's 共通ID subtype is 1 (general) or 2 (welfare), not {subtype}."))
    else:
        if type_digit != "2":
            problems.append(("これは指定避難所の共通ID（種別1）です。指定緊急避難場所のファイルには使えません。",
                             "This is a shelter's 共通ID (type 1), not an emergency site's (type 2)."))
        elif subtype != "0":
            problems.append((f"指定緊急避難場所の共通IDの区分は0です（この値は{subtype}）。",
                             f"An emergency site's 共通ID subtype is 0, not {subtype}."))
    return problems
