"""Safety inquiries (安否確認, 災害対策基本法 86条の15) at HQ: search, answer within the consent, log every one.

A 非公開 person (DV, stalking, abuse) is never disclosed: the answer for them is the same answer,
built by the same statements, as for a name nobody has heard of, or for a person who gave no consent.
"""
import json
import unicodedata

from sqlite_utils.migrations import Migrations

from ..db import new_id, write
from ..eventlog import applies, emit
from . import access, clock, privacy
from .errors import Invalid

migrations = Migrations("inquiries")


@migrations()
def create_inquiries(db):
    db["inquiries"].create(
        {
            "id": str,
            "at": str,
            "operator": str,  # the HQ account that took the inquiry
            "inquirer_name": str,
            "inquirer_contact": str,
            "relation": str,  # RELATIONS
            "reason": str,
            "query_name": str,
            "query_birth_year": int,
            "answer": str,  # JSON: exactly what was told to the inquirer
        },
        pk="id",
    )
    db["inquiries"].create_index(["at"])


@migrations()
def create_inquiry_matches(db):
    # which shelters' persons an inquiry matched (非公開 ones included): the purge of a shelter finds the
    # inquiries about its people here, whatever they were told and however the name was typed
    db["inquiry_matches"].create({"inquiry_id": str, "shelter_id": str}, pk=("inquiry_id", "shelter_id"))
    db["inquiry_matches"].create_index(["shelter_id"])


# who asks, as the Cabinet Office ordinance (施行規則 8条の3) distinguishes them
RELATIONS = {
    "household": ("同居の親族", "Family living together"),
    "relative": ("その他の親族・職場の関係者", "Other relative or workplace"),
    "acquaintance": ("知人", "Acquaintance"),
    "other": ("その他", "Anyone else"),
}

# what each may learn at most: safe = "registered at a shelter", condition = injured or ill,
# whereabouts = which shelter (and whether still there)
BY_RELATION = {
    "household": {"safe", "condition", "whereabouts"},
    "relative": {"safe", "condition"},
    "acquaintance": {"safe"},
    "other": {"safe"},
}
# who the person's consent lets us answer at all (households.CONSENT)
CONSENT_REACHES = {
    "none": set(),
    "family": {"household", "relative"},
    "acquaintances": {"household", "relative", "acquaintance"},
    "public": {"household", "relative", "acquaintance", "other"},
}

NO_ANSWER = ("お答えできる情報はありません。", "We have no information we can give you.")
ANSWERED = ("次の情報をお伝えできます。", "We can tell you the following.")


def _fold(text):
    """NFKC, no spaces: 'ｶﾏｸﾗ　タロウ' and 'カマクラタロウ' meet."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def _hiragana(text):
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _katakana(text):
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def name_forms(text):
    """The spellings of a name an inquiry could have been stored under: folded, in hiragana and in katakana."""
    folded = _fold(text)
    return {f for f in (folded, _hiragana(folded), _katakana(folded)) if f}


def clean_query(data):
    """The inquiry form, checked. :raise Invalid:"""
    name = _fold(data.get("name"))
    if len(name) < 2:
        raise Invalid("探す人の氏名（またはふりがな）をフルネームで入力してください。",
                      "Enter the full name (or kana) of the person you are looking for.")
    relation = data.get("relation") or ""
    if not isinstance(relation, str) or relation not in RELATIONS:
        raise Invalid("問い合わせた人との続柄を選んでください。", "Choose how the inquirer is related to the person.")
    inquirer = " ".join(str(data.get("inquirer_name") or "").split())[:100]
    if not inquirer:
        raise Invalid("問い合わせた人の氏名を入力してください。", "Enter the name of the person asking.")
    year = data.get("birth_year")
    if year in (None, ""):
        year = None
    else:
        try:
            year = int(unicodedata.normalize("NFKC", str(year)).strip())
        except ValueError:
            raise Invalid("生まれた年は西暦4桁で入力してください。", "Enter the birth year as 4 digits.") from None
        if not 1880 <= year <= clock.local_date().year:
            raise Invalid("生まれた年が正しくありません。", "The birth year is not plausible.")
    return {"name": name[:100], "birth_year": year, "relation": relation, "inquirer_name": inquirer,
            "inquirer_contact": " ".join(str(data.get("inquirer_contact") or "").split())[:200],
            "reason": " ".join(str(data.get("reason") or "").split())[:500]}


# One statement for every inquiry, whatever it finds: exact full name or kana (hiragana or katakana),
# in any shelter, 非公開 persons included; they are dropped in Python after the same work.
SEARCH_SQL = """
select p.id, p.name, p.kana, p.birth_date, p.age, p.status as person_status, p.non_disclosure,
       p.care_codes, p.injury_illness, h.consent, h.status as household_status, h.checked_out_at,
       s.name as shelter_name, s.name_en as shelter_name_en, s.kyotsu_id, h.shelter_id,
       exists (select 1 from persons q where q.household_id = h.id and q.non_disclosure = 1) as household_hidden
from persons p join households h on h.id = p.household_id join shelters s on s.id = h.shelter_id
where h.status in ('checked_in', 'checked_out')
  and (replace(p.name, ' ', '') = :name or replace(p.kana, ' ', '') in (:hira, :kata))
  and (:year is null or substr(p.birth_date, 1, 4) = :year_text
       or (p.birth_date is null and p.age in (:this_year - :year, :this_year - :year - 1)))
order by s.kyotsu_id, p.id
"""


def _answer_for(row, relation):
    """What may be said about this person to this inquirer: a dict, or None for nothing at all."""
    if row["non_disclosure"] or row["household_hidden"]:
        # overrides every consent; a relative's whereabouts would give away a hidden person's, so the
        # whole household of a 非公開 person is never disclosed
        return None
    if relation not in CONSENT_REACHES.get(row["consent"] or "none", set()):
        return None
    items = set(BY_RELATION[relation])
    if row["consent"] == "public":
        items.add("whereabouts")
    answer = {"name": row["name"], "safe": True}
    if "condition" in items:
        codes = json.loads(row["care_codes"] or "[]")
        answer["injured_or_ill"] = bool("ILL" in codes or row["injury_illness"])
    if "whereabouts" in items:
        gone = row["household_status"] != "checked_in" or row["person_status"] == "out"
        answer["shelter"] = {"kyotsu_id": row["kyotsu_id"], "name": row["shelter_name"],
                             "name_en": row["shelter_name_en"]}
        answer["left"] = gone
    return answer


def ask(db, data, *, operator, today=None):
    """Answer a safety inquiry and log it. Returns {"inquiry_id", "answers": [...], "message": (ja, en)}.

    Every path runs the same statements: one search, one log row, one event. `operator`: the HQ account
    (an Actor or user record; a plain name is the system).
    """
    who = access.acting(operator)
    access.require(who, "answer_inquiries")
    query = clean_query(data)
    this_year = (today or clock.local_date()).year
    rows = db.execute(SEARCH_SQL, {
        "name": query["name"], "hira": _hiragana(query["name"]), "kata": _katakana(query["name"]),
        "year": query["birth_year"], "year_text": str(query["birth_year"] or ""), "this_year": this_year,
    }).fetchall()
    cols = ("id", "name", "kana", "birth_date", "age", "person_status", "non_disclosure", "care_codes",
            "injury_illness", "consent", "household_status", "checked_out_at", "shelter_name", "shelter_name_en",
            "kyotsu_id", "shelter_id", "household_hidden")
    matched = [dict(zip(cols, r)) for r in rows]
    answers = [a for a in (_answer_for(row, query["relation"]) for row in matched) if a is not None]
    inquiry_id = new_id()
    shelter_ids = sorted({m["shelter_id"] for m in matched})
    typed = {"inquirer_name": query["inquirer_name"], "inquirer_contact": query["inquirer_contact"],
             "reason": query["reason"], "query_name": query["name"], "query_birth_year": query["birth_year"],
             "answer": json.dumps(answers, ensure_ascii=False, sort_keys=True)}
    plain, personal = privacy.split(typed)
    with write(db):
        # who asked, about whom and what they were told is sealed under the inquiry's own key: the purge of a
        # shelter forgets the keys of the inquiries about its people (about()), the rest stay as asked
        emit(db, "inquiry.answered", {"inquiry_id": inquiry_id, "relation": query["relation"],
                                      "answers": len(answers), "shelters": shelter_ids, **plain},
             actor=who, personal=personal, subject=subject(inquiry_id))
    return {"inquiry_id": inquiry_id, "answers": answers, "message": ANSWERED if answers else NO_ANSWER}


def subject(inquiry_id):
    """The key that seals one inquiry's personal facts."""
    return f"inquiry:{inquiry_id}"


@applies("inquiry.answered", live=False)
def _answered(db, e):
    fact = lambda key: privacy.fact(e, "inquiries", key)  # noqa: E731
    db.execute("insert into inquiries (id, at, operator, inquirer_name, inquirer_contact, relation, reason, "
               "query_name, query_birth_year, answer) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [e.data["inquiry_id"], e.at, e.actor.user, fact("inquirer_name"), fact("inquirer_contact"),
                e.data["relation"], fact("reason"), fact("query_name"), fact("query_birth_year"), fact("answer")])
    # one statement whatever matched: a hidden person and an unknown name cost the same (the timing test)
    db.execute("insert into inquiry_matches (inquiry_id, shelter_id) select ?, value from json_each(?)",
               [e.data["inquiry_id"], json.dumps(e.data["shelters"])])


def log(db, *, limit=200):
    """The inquiry log, newest first: who asked, for whom, how related, what they were told."""
    cur = db.execute("select * from inquiries order by at desc, rowid desc limit ?", [limit])
    cols = [c[0] for c in cur.description]
    out = []
    for row in cur.fetchall():
        item = dict(zip(cols, row))
        item["answer"] = json.loads(item["answer"] or "[]")
        out.append(item)
    return out


def about(db, shelter_id, names):
    """The ids of the inquiries about a shelter's people, for its purge: those that matched one of them, and
    those whose name is one of `names` (the shelter's names and kana) in any spelling, since an inquiry may
    have been made before they registered."""
    forms = set().union(*(name_forms(n) for n in names if n)) if names else set()
    ids = {r[0] for r in db.execute("select inquiry_id from inquiry_matches where shelter_id = ?", [shelter_id])}
    if forms:
        ids |= {r[0] for r in db.execute("select id from inquiries where query_name in "
                                         "(select value from json_each(?))", [json.dumps(sorted(forms))])}
    return sorted(ids)
