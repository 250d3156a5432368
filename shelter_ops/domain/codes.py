"""Reception numbers (受付番号): short codes of digits and upper-case letters with a check character."""
import secrets
import unicodedata

from sqlite_utils.migrations import Migrations

from ..db import new_id, now, record_event, write
from .errors import Invalid

migrations = Migrations("codes")

# 31 symbols, a prime count, so a weighted check sum mod 31 catches every single-character
# substitution and every transposition (adjacent or not). Left out because they are misread:
# 0/O, 1/I, and Z (read as 2).
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXY"
MODULUS = len(ALPHABET)
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
BODY_LENGTH = 6  # 31**6 ≈ 8.9e8 numbers: a random one is not guessed
LENGTH = BODY_LENGTH + 1


@migrations()
def create_reserved_numbers(db):
    # pre-numbered paper cards: numbers printed before anyone fills them in
    db["reserved_numbers"].create(
        {"number": str, "shelter_id": str, "block_id": str, "reserved_by": str, "reserved_at": str, "used_at": str},
        pk="number",
    )
    db["reserved_numbers"].create_index(["shelter_id"])


def normalize(text):
    """Fold what a person or a scanner may send: full-width (NFKC), lower case, spaces and hyphens."""
    text = str(text or "")
    for _ in range(4):  # upper() and removals can un-normalize odd input: repeat to a fixed point
        before = text
        text = unicodedata.normalize("NFKC", text).upper()
        for ch in " \t\r\n-‐‑‒–—―ー_":
            text = text.replace(ch, "")
        if text == before:
            break
    return text


def check_char(body):
    """The check character of `body` (weights 2, 3, 4… from the right; the check has weight 1)."""
    total = sum(VALUE[ch] * (i + 2) for i, ch in enumerate(reversed(body)))
    return ALPHABET[(-total) % MODULUS]


def is_valid(code):
    if len(code) != LENGTH or any(ch not in VALUE for ch in code):
        return False
    return check_char(code[:-1]) == code[-1]


def validate(text):
    """The normalized reception number. :raise Invalid: when it is garbled or mistyped."""
    code = normalize(text)
    if not code:
        raise Invalid("受付番号を入力してください。", "Enter the reception number.")
    if len(code) != LENGTH:
        raise Invalid(f"受付番号は{LENGTH}文字です（入力は{len(code)}文字）。",
                      f"A reception number has {LENGTH} characters (this has {len(code)}).")
    bad = sorted({ch for ch in code if ch not in VALUE})
    if bad:
        raise Invalid(f"受付番号に使わない文字があります: {' '.join(bad)}",
                      f"A reception number never contains: {' '.join(bad)}")
    if not is_valid(code):
        raise Invalid("受付番号が正しくありません（読み取りか入力の誤り）。",
                      "This reception number is not valid (misread or mistyped).")
    return code


def display(code):
    """How a number is printed: ABCD-EFG (the hyphen is ignored on input)."""
    return f"{code[:4]}-{code[4:]}" if code and len(code) == LENGTH else code


def random_number():
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_char(body)


def _taken(db, code):
    return bool(db.execute("select 1 from reserved_numbers where number = ?", [code]).fetchone()
                or db.execute("select 1 from households where reception_number = ?", [code]).fetchone())


def new_number(db):
    """A reception number used by no household and no reserved paper card."""
    for _ in range(100):
        code = random_number()
        if not _taken(db, code):
            return code
    raise RuntimeError("no free reception number after 100 draws")


def reserve_block(db, shelter_id, n, *, actor):
    """Reserve `n` numbers for pre-numbered paper cards of this shelter. Returns them in order."""
    if not 1 <= int(n) <= 2000:
        raise Invalid("1〜2000枚の範囲で指定してください。", "Reserve between 1 and 2000 cards.")
    block_id = new_id()
    numbers = []
    with write(db):
        for _ in range(int(n)):
            code = new_number(db)
            db.execute("insert into reserved_numbers (number, shelter_id, block_id, reserved_by, reserved_at) "
                       "values (?, ?, ?, ?, ?)", [code, shelter_id, block_id, actor, now()])
            numbers.append(code)
        record_event(db, "codes.reserved", actor=actor, shelter_id=shelter_id,
                     payload={"block_id": block_id, "count": len(numbers), "first": numbers[0], "last": numbers[-1]})
    return numbers


def reserved(db, code):
    """The reservation of a paper-card number, or None."""
    cur = db.execute("select * from reserved_numbers where number = ?", [code])
    row = cur.fetchone()
    return None if row is None else dict(zip([c[0] for c in cur.description], row))
