"""IC cards at the desk (交通系IC, a staff or student card, a blank card the city hands out): a card linked
to one person, and a tap that checks them in or out or records a pickup (meal, water, supplies, bath).

Only a keyed hash of the card's id is kept: HMAC-SHA256 of the normalised id (IDm/UID hex, separators
stripped, upper case) under the city's card secret. HQ makes the secret once and hands it to each node
at pairing, as it hands the pre-registration key, so one card hashes the same at every install of the
city: a card linked at a node works at that node, at HQ after sync, and wherever its household is
transferred. The secret never travels in an event or a sync bundle; it is kept beside the subject keys
(replay and backup carry it, no shelter's purge removes it). The hash travels sealed under the
household's key, so the purge of the household's shelter forgets it with the household.
"""
import hashlib
import hmac
import os
import re
import unicodedata
from datetime import timedelta

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, fetch_one, new_id, write
from ..eventlog import applies, done, emit
from .. import languages
from . import access, clock, codes, households
from .errors import N_, Conflict, Invalid, NotFound

migrations = Migrations("iccards")


@migrations()
def create_card_tables(db):
    # one row per linked card; person_id is unique too: a person has one card at a time
    db["card_links"].create(
        {"card_hash": str, "person_id": str, "household_id": str, "linked_at": str, "linked_by": str,
         "last_tap_at": str, "last_mode": str, "last_action": str},
        pk="card_hash",
    )
    db["card_links"].create_index(["person_id"], unique=True)
    db["card_links"].create_index(["household_id"])
    # one row per pickup tap (meal, water, supplies, bath): counts per person per day, no names
    db["card_pickups"].create(
        {"id": str, "shelter_id": str, "person_id": str, "kind": str, "day": str, "at": str, "actor": str},
        pk="id",
    )
    db["card_pickups"].create_index(["shelter_id", "day", "kind"])
    db["card_pickups"].create_index(["person_id", "day"])


access.RULES.update({
    "link_card": access.Rule(access.EVERYONE, *access.NOT_YOURS),
    "tap_card": access.Rule(access.EVERYONE, *access.NOT_YOURS),
})

# What a tap does at the desk: key -> (ja, en). "inout" toggles; the others are pickups.
MODES = {
    "inout": ("入退所", "Check in / out"),
    "meal": ("食事", "Meal"),
    "water": ("水", "Water"),
    "supplies": ("物資", "Supplies"),
    "bath": ("入浴", "Bath"),
}
PICKUPS = ("meal", "water", "supplies", "bath")
REPEAT_SECONDS = 5  # a second tap of the same card in the same mode within this counts once

SECRET_SUBJECT = "iccards:secret"  # the row of subject_keys that holds the city's card secret
_SEPARATORS = re.compile(r"[\s:\-_.]")
_CARD_ID = re.compile(r"^[0-9A-F]{8,32}$")

ALREADY_LINKED = ("このカードはすでに別の方に登録されています。1枚のカードは1人にだけ登録できます"
                  "（その方の登録を先に解除してください）。",
                  "This card is already linked to someone else. A card is linked to one person only "
                  "(unlink it from that person first).")
UNKNOWN = ("このカードは登録されていません。持ち主の受付番号から登録できます。",
           "This card is not linked to anyone. Link it from its holder's reception number.")

# What the desk says, in words (staff read ja or en). {name}: the person as the desk may show them.
WORDS = {
    "checked_in": ("{name}さん 入所しました", "{name}: checked in"),
    "household_checked_in": ("{name}さんの世帯（{n}人）が入所しました", "{name}'s household ({n}) checked in"),
    "checked_out": ("{name}さん 退所しました", "{name}: checked out"),
    "back": ("{name}さん 外泊から戻りました", "{name}: back from the overnight absence"),
    "meal": ("{name}さん 食事を受け取りました（今日{n}回目）", "{name}: meal picked up ({n} today)"),
    "water": ("{name}さん 水を受け取りました（今日{n}回目）", "{name}: water picked up ({n} today)"),
    "supplies": ("{name}さん 物資を受け取りました（今日{n}回目）", "{name}: supplies picked up ({n} today)"),
    "bath": ("{name}さん 入浴を記録しました（今日{n}回目）", "{name}: bath recorded ({n} today)"),
    "already": ("{name}さん 記録済みです（続けてのタッチは1回と数えます）",
                "{name}: already recorded (a second tap within a few seconds counts once)"),
}
# The same, as the person at the desk reads it in their own language (the catalogs: evacuee.po)
EVACUEE_WORDS = {
    "checked_in": N_("IC card: you are checked in."),
    "household_checked_in": N_("IC card: your household is checked in."),
    "checked_out": N_("IC card: you are checked out."),
    "back": N_("IC card: welcome back."),
    "meal": N_("IC card: meal received (%(n)s today)."),
    "water": N_("IC card: water received (%(n)s today)."),
    "supplies": N_("IC card: supplies received (%(n)s today)."),
    "bath": N_("IC card: bath recorded (%(n)s today)."),
    "already": N_("IC card: already recorded."),
}


# --- the card's id and its keyed hash ---

def _folded(text):
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text or "")).upper())


def normalize(card):
    """The card's id as it is hashed: NFKC, upper case, no spaces, colons, hyphens or dots.
    :raise Invalid: not 8–32 hexadecimal characters (IDm is 16, a MIFARE UID 8 or 14)"""
    if not isinstance(card, str):
        raise Invalid("カードの番号は文字で送ってください。", "Send the card's id as text.", code="BadCardId")
    text = _folded(card)
    if not _CARD_ID.match(text):
        raise Invalid("カードの番号を読み取れません（16進数で8〜32文字）。もう一度タッチしてください。",
                      "The card's id could not be read (8–32 hexadecimal characters). Tap again.",
                      code="BadCardId")
    return text


def looks_like_card(text):
    """Whether what a scanner typed is a card's id rather than a reception number (7 or 9 characters of
    the numbers' alphabet) or a pre-registration QR."""
    folded = _folded(text)
    if not _CARD_ID.match(folded):
        return False
    return not (len(folded) in codes.LENGTHS and all(ch in codes.VALUE for ch in folded))


def secret(db, *, create=False):
    """The city's card secret (32 bytes), made on first use (inside write()) where `create`; None if none yet."""
    row = db.execute("select key from subject_keys where subject = ?", [SECRET_SUBJECT]).fetchone()
    if row is not None:
        return bytes(row[0])
    if not create:
        return None
    key = os.urandom(32)
    db.execute("insert into subject_keys (subject, shelter_id, key, created_at) values (?, null, ?, ?)",
               [SECRET_SUBJECT, key, clock.now()])
    return key


def adopt_secret(db, key):
    """A node takes HQ's card secret at pairing (its database is still empty: no card was hashed here)."""
    with write(db):
        db.execute("insert or replace into subject_keys (subject, shelter_id, key, created_at) values (?, null, ?, ?)",
                   [SECRET_SUBJECT, bytes(key), clock.now()])


def card_hash(key, card):
    """HMAC-SHA256 of the normalised id under `key`, as hex."""
    return hmac.new(key, normalize(card).encode("ascii"), hashlib.sha256).hexdigest()


# --- who a card is ---

def _person(db, person_id):
    return fetch_one(db, """
        select p.id, p.household_id, p.name, p.status, p.non_disclosure, p.language, h.shelter_id,
               h.status as household_status, h.reception_number
        from persons p join households h on h.id = p.household_id where p.id = ?""", [person_id])


def _person_here(db, shelter_id, person_id):
    person = _person(db, person_id) if isinstance(person_id, str) else None
    if person is None or person["shelter_id"] != shelter_id:
        raise NotFound("この避難所にその方は登録されていません。", "No such person at this shelter.")
    return person


def shown_name(person):
    """(ja, en) of the person as the desk shows them: the desk faces the queue, so 非公開 names never."""
    if person.get("non_disclosure"):
        return "（氏名非表示）", "(name not shown)"
    name = person.get("name")
    return (name, name) if name else ("この方", "This person")


def link_of(db, person_id):
    """The person's card link (without its hash), or None."""
    row = fetch_one(db, "select person_id, household_id, linked_at, linked_by, last_tap_at, last_mode, last_action "
                        "from card_links where person_id = ?", [person_id])
    return row


def links(db, shelter_id):
    """The cards linked to people of this shelter: [{person_id, household_id, reception_number, linked_at, …}]."""
    rows = fetch_all(db, """
        select c.person_id, c.household_id, h.reception_number, c.linked_at, c.linked_by, c.last_tap_at,
               c.last_mode, c.last_action
        from card_links c join households h on h.id = c.household_id
        where h.shelter_id = ? order by c.linked_at, c.person_id""", [shelter_id])
    for row in rows:
        row["display_number"] = codes.display(row["reception_number"])
    return rows


def linked_persons(db, household_id):
    """{person_id: link} for the persons of a household who have a card."""
    return {row["person_id"]: row for row in fetch_all(
        db, "select person_id, linked_at, linked_by, last_tap_at from card_links where household_id = ?",
        [household_id])}


# --- linking and unlinking ---

def link(db, shelter_id, person_id, card, *, actor, op=None):
    """Link a card to a person of this shelter. A person has one card: linking another replaces it.

    Returns {"person_id", "household_id", "linked_at", "already", "replaced"}. :raise Conflict: the card
    is linked to someone else; :raise NotFound: no such person here; :raise Invalid: unreadable id"""
    text = normalize(card)
    with write(db):
        first = done(db, op, kind="card.")
        if first is not None:
            return {**(link_of(db, first.data["person_id"]) or {}), "person_id": first.data["person_id"],
                    "already": True, "replaced": False}
        access.require(actor, "link_card", shelter_id)
        person = _person_here(db, shelter_id, person_id)
        digest = card_hash(secret(db, create=True), text)
        holder = db.execute("select person_id from card_links where card_hash = ?", [digest]).fetchone()
        if holder is not None:
            if holder[0] == person["id"]:
                return {**link_of(db, person["id"]), "already": True, "replaced": False}
            raise Conflict(*ALREADY_LINKED, code="CardLinkedToSomeoneElse")
        replaced = link_of(db, person["id"]) is not None
        facts = {"person_id": person["id"], "household_id": person["household_id"]}
        if replaced:
            emit(db, "card.unlinked", {**facts, "reason": "replaced"}, actor=actor, shelter_id=shelter_id, op=op)
        emit(db, "card.linked", facts, personal={"card_hash": digest}, subject=person["household_id"],
             actor=actor, shelter_id=shelter_id, op=op)
        return {**link_of(db, person["id"]), "already": False, "replaced": replaced}


@applies("card.linked", live=False)
def _linked(db, e):
    digest = e.data.get("card_hash")
    if not digest:
        return  # the household's key was purged: the link went with it
    holder = db.execute("select person_id from card_links where card_hash = ?", [digest]).fetchone()
    if holder is not None and holder[0] != e.data["person_id"]:
        # two installs linked one card to two people while cut off: surfaced as a sync conflict
        raise Conflict(*ALREADY_LINKED, code="CardLinkedToSomeoneElse")
    db.execute("delete from card_links where person_id = ?", [e.data["person_id"]])
    db.execute("insert or replace into card_links (card_hash, person_id, household_id, linked_at, linked_by) "
               "values (?, ?, ?, ?, ?)", [digest, e.data["person_id"], e.data["household_id"], e.at, e.actor.user])


UNLINK_REASONS = {"unlinked": ("登録解除", "Unlinked"), "lost": ("紛失", "Lost"), "replaced": ("交換", "Replaced")}


def unlink(db, shelter_id, person_id, *, actor, lost=False, op=None):
    """Unlink a person's card (handed back, or lost: a lost card stops working at once, whoever finds it).
    Returns {"person_id", "household_id", "reason"}. :raise NotFound: no such person here, or no card"""
    with write(db):
        first = done(db, op, kind="card.unlinked")
        if first is not None:
            return {k: first.data[k] for k in ("person_id", "household_id", "reason")}
        access.require(actor, "link_card", shelter_id)
        person = _person_here(db, shelter_id, person_id)
        if link_of(db, person["id"]) is None:
            raise NotFound("この方にはカードが登録されていません。", "This person has no card linked.",
                           code="NoCardLinked")
        facts = {"person_id": person["id"], "household_id": person["household_id"],
                 "reason": "lost" if lost else "unlinked"}
        emit(db, "card.unlinked", facts, actor=actor, shelter_id=shelter_id, op=op)
        return facts


@applies("card.unlinked", live=False)
def _unlinked(db, e):
    db.execute("delete from card_links where person_id = ?", [e.data["person_id"]])


# --- a tap ---

def tap(db, shelter_id, card, *, actor, mode="inout", op=None, repeat_seconds=REPEAT_SECONDS):
    """A card tapped at the desk. Mode "inout" toggles by the person's state now (in → checked out, away →
    back, out → checked in; a household still waiting at the desk is checked in whole, as a scan of its
    number does); a pickup mode (meal, water, supplies, bath) counts one for the person today. A second
    tap of the same card in the same mode within `repeat_seconds` counts once.

    Returns {"result": "ok" | "already", "action", "mode", "person_id", "household_id", "count_today",
    "message_ja", "message_en", "evacuee" (the words in the person's language, or None), "warnings"}.
    :raise NotFound: (code UnknownCard) no one has this card; :raise Conflict: checked in at another
    shelter, or a pickup by someone not checked in here"""
    if not isinstance(mode, str) or mode not in MODES:
        raise Invalid(f"不明なモードです: {mode}", f"Unknown mode: {mode}", code="BadMode")
    text = normalize(card)
    with write(db):
        access.require(actor, "tap_card", shelter_id)
        from . import shelters

        shelter = shelters.get(db, shelter_id)
        first = _first_tap(db, op)
        if first is not None:
            return _answer(db, first["person_id"], "already", first["action"], first["mode"],
                           _count(db, first["person_id"], first["mode"], first["day"]))
        key = secret(db)
        row = fetch_one(db, "select * from card_links where card_hash = ?", [card_hash(key, text)]) if key else None
        if row is None:
            raise NotFound(*UNKNOWN, code="UnknownCard")
        person = _person(db, row["person_id"])
        today = clock.local_date().isoformat()
        if _repeated(row, mode, repeat_seconds):
            return _answer(db, person["id"], "already", row["last_action"], mode, _count(db, person["id"], mode, today))
        warnings = []
        if mode == "inout":
            action, warnings = _toggle(db, shelter, person, actor=actor, op=op)
        else:
            _require_here(db, shelter, person)
            action = mode
        emit(db, "card.tapped", {"person_id": person["id"], "household_id": person["household_id"], "mode": mode,
                                 "action": action, "day": today, "pickup_id": new_id() if mode in PICKUPS else None},
             actor=actor, shelter_id=shelter["id"], op=op)
        out = _answer(db, person["id"], "ok", action, mode, _count(db, person["id"], mode, today))
        out["warnings"] = warnings
        return out


@applies("card.tapped", live=False)
def _tapped(db, e):
    db.execute("update card_links set last_tap_at = ?, last_mode = ?, last_action = ? where person_id = ?",
               [e.at, e.data["mode"], e.data["action"], e.data["person_id"]])
    if e.data["mode"] in PICKUPS:
        db.execute("insert into card_pickups (id, shelter_id, person_id, kind, day, at, actor) "
                   "values (?, ?, ?, ?, ?, ?, ?)",
                   [e.data["pickup_id"], e.shelter_id, e.data["person_id"], e.data["mode"], e.data["day"], e.at,
                    e.actor.user])


def _first_tap(db, op):
    """The tap a retried operation made the first time, or None."""
    if not op:
        return None
    first = db.execute("select json_extract(payload, '$.person_id'), json_extract(payload, '$.action'), "
                       "json_extract(payload, '$.mode'), json_extract(payload, '$.day') from events "
                       "where op = ? and kind = 'card.tapped' limit 1", [op]).fetchone()
    return None if first is None else dict(zip(("person_id", "action", "mode", "day"), first))


def _repeated(row, mode, seconds):
    if not row["last_tap_at"] or row["last_mode"] != mode or seconds <= 0:
        return False
    return clock.utcnow() - clock.parse_time(row["last_tap_at"]) < timedelta(seconds=seconds)


def _elsewhere(db, person):
    from . import shelters

    other = shelters.get(db, person["shelter_id"])
    name_ja, name_en = shown_name(person)
    return Conflict(f"{name_ja}さんは{other['name']}に入所中です。移送の手続きをしてください。",
                    f"{name_en} is checked in at {other.get('name_en') or other['name']}. "
                    "Transfer the household instead.",
                    code="CheckedInElsewhere")


def _toggle(db, shelter, person, *, actor, op):
    """Check the person in or out by their state now. Returns (action, warnings)."""
    status, here = person["household_status"], person["shelter_id"] == shelter["id"]
    if status == "checked_in" and not here:
        raise _elsewhere(db, person)
    if status == "checked_in" and person["status"] == "in":
        households.check_out(db, shelter["id"], person["household_id"], actor=actor, person_ids=[person["id"]],
                             source="card", request_id=op)
        return "checked_out", []
    if status == "checked_in" and person["status"] == "away":
        households.set_back(db, shelter["id"], person["household_id"], actor=actor, person_ids=[person["id"]],
                            request_id=op)
        return "back", []
    if status == "pending":  # registered at the door: the household arrives at the desk together
        result = households.check_in(db, shelter["id"], person["reception_number"], actor=actor, request_id=op)
        return "household_checked_in", result["warnings"]
    result = households.check_in_persons(db, shelter["id"], person["household_id"], [person["id"]], actor=actor,
                                         source="card", request_id=op)
    return "checked_in", result["warnings"]


def _require_here(db, shelter, person):
    if person["household_status"] == "checked_in" and person["shelter_id"] != shelter["id"]:
        raise _elsewhere(db, person)
    if person["shelter_id"] != shelter["id"] or person["household_status"] != "checked_in" or person["status"] == "out":
        name_ja, name_en = shown_name(person)
        raise Conflict(f"{name_ja}さんはこの避難所に入所していません。入退所モードで受付してから記録してください。",
                       f"{name_en} is not checked in at this shelter. Check them in (mode Check in / out) first.",
                       code="NotCheckedIn")


def _count(db, person_id, mode, day):
    if mode not in PICKUPS:
        return None
    return db.execute("select count(*) from card_pickups where person_id = ? and kind = ? and day = ?",
                      [person_id, mode, day]).fetchone()[0]


# What staff write in the card's "language" field, in Japanese or English, for each of our languages
LANGUAGE_NAMES = {
    "ja": ("日本語", "japanese"), "ja-easy": ("やさしい日本語", "easy japanese"), "en": ("英語", "english"),
    "zh-Hans": ("中国語", "chinese"), "vi": ("ベトナム語", "vietnamese"), "ko": ("韓国語", "korean"),
    "fil": ("フィリピン語", "タガログ語", "filipino", "tagalog"), "ne": ("ネパール語", "nepali"),
    "pt-BR": ("ポルトガル語", "portuguese"), "id": ("インドネシア語", "indonesian"),
    "my": ("ミャンマー語", "ビルマ語", "burmese", "myanmar"),
}


def evacuee_language(text):
    """Our code for what the card's 'language' field says (a code, the language named in itself, in
    Japanese or in English), or None."""
    if not text:
        return None
    found = languages.code_of(str(text).strip())
    if found:
        return found
    wanted = unicodedata.normalize("NFKC", str(text)).strip().lower()
    for language in languages.LANGUAGES:
        names = {language.endonym.lower(), language.code.lower(), *LANGUAGE_NAMES.get(language.code, ())}
        if wanted in names:
            return language.code
    return None


def _answer(db, person_id, result, action, mode, count):
    person = _person(db, person_id)
    name_ja, name_en = shown_name(person)
    key = "already" if result == "already" else action
    household_n = db.execute("select count(*) from persons where household_id = ? and status != 'out'",
                             [person["household_id"]]).fetchone()[0]
    values = {"n": count if mode in PICKUPS and key != "household_checked_in" else household_n}
    ja, en = WORDS[key]
    code = evacuee_language(person.get("language"))
    evacuee = None
    if code and code not in ("ja", "en"):
        evacuee = {"lang": code, "text": languages.text(code, EVACUEE_WORDS[key], {"n": values["n"]}
                                                        if "%(n)s" in EVACUEE_WORDS[key] else None)}
    return {"result": result, "action": action, "mode": mode, "person_id": person["id"],
            "household_id": person["household_id"], "count_today": count,
            "message_ja": ja.format(name=name_ja, **values), "message_en": en.format(name=name_en, **values),
            "evacuee": evacuee, "warnings": []}


# --- what the supplies and needs screens count ---

def pickups(db, shelter_id, day=None):
    """Pickups by card at a shelter on a day (Japan's calendar; default today), counts only:
    {"day", "kinds": [{"key", "label": {"ja", "en"}, "taps", "persons", "repeat_persons"}]}
    (repeat_persons: people who picked this up more than once that day)."""
    day = day or clock.local_date().isoformat()
    found = {kind: (taps, persons, repeats) for kind, taps, persons, repeats in db.execute("""
        select kind, sum(n), count(*), sum(n > 1) from (
            select kind, person_id, count(*) as n from card_pickups where shelter_id = ? and day = ?
            group by kind, person_id) group by kind""", [shelter_id, day])}
    return {"day": day, "kinds": [
        {"key": kind, "label": {"ja": MODES[kind][0], "en": MODES[kind][1]}, "taps": found.get(kind, (0, 0, 0))[0],
         "persons": found.get(kind, (0, 0, 0))[1], "repeat_persons": found.get(kind, (0, 0, 0))[2]}
        for kind in PICKUPS]}


def person_pickups(db, person_id, day=None):
    """{kind: count} of one person's pickups on a day (default today)."""
    day = day or clock.local_date().isoformat()
    counts = dict(db.execute("select kind, count(*) from card_pickups where person_id = ? and day = ? group by kind",
                             [person_id, day]).fetchall())
    return {kind: counts.get(kind, 0) for kind in PICKUPS}
