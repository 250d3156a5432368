"""Reception numbers (受付番号): short codes of digits and upper-case letters with a check character.

Numbers stay unique across installs (SYNC.md): HQ issues 7-character numbers (its prefix is empty, so
every number issued before nodes existed stays valid), and a shelter node issues 9-character numbers
that begin with its own 2-character prefix, given once at pairing. Two installs never issue the same
number: lengths differ between HQ and nodes, prefixes differ between nodes."""
import secrets
import unicodedata

from sqlite_utils.migrations import Migrations

from ..db import new_id, write
from ..eventlog import applies, emit
from . import access
from .errors import Invalid

migrations = Migrations("codes")

# 31 symbols, a prime count, so a weighted check sum mod 31 catches every single-character
# substitution and every transposition (adjacent or not). Left out because they are misread:
# 0/O, 1/I, and Z (read as 2).
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXY"
MODULUS = len(ALPHABET)
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
BODY_LENGTH = 6  # 31**6 ≈ 8.9e8 numbers: a random one is not guessed
LENGTH = BODY_LENGTH + 1  # HQ's numbers (empty prefix)
PREFIX_LENGTH = 2  # a node's prefix: 31**2 = 961 nodes
NODE_LENGTH = PREFIX_LENGTH + LENGTH
LENGTHS = (LENGTH, NODE_LENGTH)


@migrations()
def create_reserved_numbers(db):
    # pre-numbered paper cards: numbers printed before anyone fills them in
    db["reserved_numbers"].create(
        {"number": str, "shelter_id": str, "block_id": str, "reserved_by": str, "reserved_at": str, "used_at": str},
        pk="number",
    )
    db["reserved_numbers"].create_index(["shelter_id"])


@migrations()
def add_number_prefix(db):
    # this install's prefix for new reception numbers: '' at HQ, two characters at a node (SYNC.md)
    db.execute("alter table node add column number_prefix text not null default ''")


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
    if len(code) not in LENGTHS or any(ch not in VALUE for ch in code):
        return False
    return check_char(code[:-1]) == code[-1]


def validate(text):
    """The normalized reception number. :raise Invalid: when it is garbled or mistyped."""
    code = normalize(text)
    if not code:
        raise Invalid("受付番号を入力してください。", "Enter the reception number.")
    if len(code) not in LENGTHS:
        raise Invalid(f"受付番号は{LENGTH}文字か{NODE_LENGTH}文字です（入力は{len(code)}文字）。",
                      f"A reception number has {LENGTH} or {NODE_LENGTH} characters (this has {len(code)}).")
    bad = sorted({ch for ch in code if ch not in VALUE})
    if bad:
        raise Invalid(f"受付番号に使わない文字があります: {' '.join(bad)}",
                      f"A reception number never contains: {' '.join(bad)}")
    if not is_valid(code):
        raise Invalid("受付番号が正しくありません（読み取りか入力の誤り）。",
                      "This reception number is not valid (misread or mistyped).")
    return code


def display(code):
    """How a number is printed: ABCD-EFG at HQ, PP-ABCD-EFG at a node (hyphens are ignored on input)."""
    if code and len(code) == NODE_LENGTH:
        return f"{code[:PREFIX_LENGTH]}-{display(code[PREFIX_LENGTH:])}"
    return f"{code[:4]}-{code[4:]}" if code and len(code) == LENGTH else code


def random_number(prefix=""):
    body = prefix + "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_char(body)


def number_prefix(db):
    """This install's prefix for new numbers ('' at HQ)."""
    cached = getattr(db, "_number_prefix", None)
    if cached is None:
        cached = db.execute("select number_prefix from node").fetchone()[0] or ""
        db._number_prefix = cached
    return cached


def set_number_prefix(db, prefix):
    """Give this install its prefix (at pairing: HQ hands each node its own). '' makes it issue HQ numbers.
    :raise Invalid: not two characters of the alphabet"""
    prefix = normalize(prefix)
    if prefix and (len(prefix) != PREFIX_LENGTH or any(ch not in VALUE for ch in prefix)):
        raise Invalid(f"受付番号の接頭字は{PREFIX_LENGTH}文字（{ALPHABET}）です: {prefix}",
                      f"A reception number prefix is {PREFIX_LENGTH} characters of {ALPHABET}: {prefix}")
    with write(db):
        db.execute("update node set number_prefix = ?", [prefix])  # the install's identity, not a projection
    db._number_prefix = None
    return prefix


def _taken(db, code):
    return bool(db.execute("select 1 from reserved_numbers where number = ?", [code]).fetchone()
                or db.execute("select 1 from households where reception_number = ?", [code]).fetchone())


def new_number(db, taken=()):
    """A reception number with this install's prefix, used by no household, no reserved paper card and
    none of `taken` (numbers drawn earlier in the same operation)."""
    prefix = number_prefix(db)
    for _ in range(100):
        code = random_number(prefix)
        if code in taken:
            continue
        if not _taken(db, code):
            return code
    raise RuntimeError("no free reception number after 100 draws")


def reserve_block(db, shelter_id, n, *, actor, request_id=None):
    """Reserve `n` numbers for pre-numbered paper cards of this shelter (a lead or HQ). Returns them in order."""
    from . import shelters

    access.require(actor, "reserve_cards", shelters.get(db, shelter_id))
    if not 1 <= int(n) <= 2000:
        raise Invalid("1〜2000枚の範囲で指定してください。", "Reserve between 1 and 2000 cards.")
    with write(db):
        from ..eventlog import done

        first = done(db, request_id)
        if first is not None:
            return first.data["numbers"]
        numbers = []
        for _ in range(int(n)):
            numbers.append(new_number(db, taken=numbers))
        emit(db, "codes.reserved", {"block_id": new_id(), "numbers": numbers}, actor=actor, shelter_id=shelter_id,
             op=request_id)
    return numbers


@applies("codes.reserved", live=False)
def _reserved(db, e):
    db.conn.executemany("insert into reserved_numbers (number, shelter_id, block_id, reserved_by, reserved_at) "
                        "values (?, ?, ?, ?, ?)",
                        [(number, e.shelter_id, e.data["block_id"], e.actor.user, e.at) for number in e.data["numbers"]])


def reserved(db, code):
    """The reservation of a paper-card number, or None."""
    cur = db.execute("select * from reserved_numbers where number = ?", [code])
    row = cur.fetchone()
    return None if row is None else dict(zip([c[0] for c in cur.description], row))
