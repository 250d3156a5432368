"""Registration and check-in: a card becomes a household (door, desk, paper card, home pre-registration,
someone staying outside), a scan checks it in, and staff change where it stays."""
from ...db import new_id, write
from ...eventlog import applies, done, emit
from .. import access, codes, prereg
from ..errors import N_, Conflict, Invalid, NotFound
from .cards import as_record, clean_household, clean_person, require_open, split_household, split_person
from .movements import record
from .roster import elsewhere, get, household_at
from .vocabulary import MAX_PERSONS, SOURCES


def _shelter(db, shelter_id):
    from .. import shelters

    return shelters.get(db, shelter_id)


def register(db, shelter_id, household, persons, *, actor, source, status="pending", request_id=None,
             reception_number=None):
    """Create a household and its persons at a shelter. Returns the household with its reception number.

    `status` is "pending" for a door registration (checked in when scanned at the desk) or
    "checked_in" when staff register at the desk. `reception_number` keys in a pre-numbered paper
    card. A repeated `request_id` returns the household created the first time.
    """
    if not isinstance(source, str) or source not in SOURCES:
        raise Invalid(f"登録元が正しくありません: {source}", f"Unknown source: {source}")
    if not isinstance(status, str) or status not in ("pending", "checked_in"):
        raise Invalid(f"登録時の状態が正しくありません: {status}", f"A household cannot be registered as {status}.")
    fields = clean_household(household)
    fields["prereg_ref"] = (household or {}).get("prereg_ref")
    if persons is not None and not isinstance(persons, (list, tuple)):
        raise Invalid("persons は配列です。", "persons must be a list.")
    people = [clean_person(p) for p in (persons or [])
              if any(v not in (None, "", [], False) for v in as_record(p, "人", "person").values())]
    if not people:
        raise Invalid(N_("Enter at least one person."))
    if len(people) > MAX_PERSONS:
        raise Invalid(N_("A household has at most %(n)s persons."), params={"n": MAX_PERSONS})
    with write(db):
        first = done(db, request_id)
        if first is not None:
            return get(db, first.data["household_id"])
        shelter = _shelter(db, shelter_id)
        access.require(actor, "work_shelter", shelter)
        require_open(shelter)
        if fields["zone_id"] and not db.execute("select 1 from zones where id = ? and shelter_id = ?",
                                                [fields["zone_id"], shelter["id"]]).fetchone():
            raise Invalid("区画が見つかりません。", "No such zone in this shelter.")
        if reception_number:
            number = codes.validate(reception_number)
            if db.execute("select 1 from households where reception_number = ?", [number]).fetchone():
                raise Conflict(f"受付番号 {codes.display(number)} はすでに登録されています。",
                               f"Reception number {codes.display(number)} is already registered.")
        else:
            number = codes.new_number(db)
        household_id = new_id()
        card, card_personal = split_household(fields)
        open_people, personal_people = zip(*(split_person(p) for p in people))
        emit(db, "household.registered", {
            "household_id": household_id,
            "household": {**card, "reception_number": number, "status": status, "source": source,
                          "paper_card": bool(reception_number)},
            "persons": [{**p, "id": new_id(), "position": i} for i, p in enumerate(open_people)],
        }, personal={"card": card_personal, "people": list(personal_people)}, subject=household_id,
            actor=actor, shelter_id=shelter["id"], op=request_id)
        return get(db, household_id)


@applies("household.registered")
def _registered(db, e):
    household_id, card = e.data["household_id"], e.data["household"]
    personal = e.data.get("card") or {}  # {} once the purge forgot the household's key
    people = e.data.get("people") or []
    row = {"id": household_id, "reception_number": card["reception_number"], "shelter_id": e.shelter_id,
           "status": card["status"], "source": card["source"], "staying": card["staying"],
           "zone_id": card.get("zone_id"), "consent": card["consent"], "registered_at": e.at, "updated_at": e.at,
           "created_by": e.actor.user, "checked_in_at": e.at if card["status"] == "checked_in" else None,
           **{k: personal.get(k) for k in ("address", "postcode", "phone", "emergency_contact", "home_damage",
                                          "pets", "vehicle", "prereg_ref")}}
    _insert(db, "households", row)
    for person in e.data["persons"]:
        facts = people[person["position"]] if person["position"] < len(people) else {}
        _insert(db, "persons", {**person, **facts, "household_id": household_id, "status": "in", "updated_at": e.at})
    if card.get("paper_card"):
        db.execute("update reserved_numbers set used_at = ? where number = ?", [e.at, card["reception_number"]])
    if card["status"] == "checked_in":
        record(db, e, shelter_id=e.shelter_id, direction="in", persons=len(e.data["persons"]), cause="check-in",
               household_id=household_id)


def _insert(db, table, record):
    # plain SQL: registration is on the hot path, and sqlite-utils' insert inspects the table each time
    keys = list(record)
    db.execute(f"insert into {table} ({', '.join(keys)}) values ({', '.join('?' * len(keys))})",
               [record[k] for k in keys])


def check_in(db, shelter_id, code, *, actor, request_id=None, key=None):
    """Check a household in by its reception number or a sealed pre-registration QR text.

    Returns {"household": ..., "already": bool, "warnings": [...]}. A second scan returns
    already=True and changes nothing. :raise Invalid: unreadable code; :raise NotFound: unknown
    number; :raise Conflict: shelter not open, or the household is checked in at another shelter.
    """
    text = codes.normalize(code)
    sealed = prereg.looks_sealed(text)
    if sealed:
        household_data, persons_data = prereg.open_sealed(key, text)
        ref = prereg.fingerprint(text)
    else:
        number = codes.validate(text)
    with write(db):
        first = done(db, request_id)
        if first is not None:
            return {"household": get(db, first.data["household_id"]), "already": True, "warnings": []}
        shelter = _shelter(db, shelter_id)
        access.require(actor, "work_shelter", shelter)
        require_open(shelter)
        if sealed:
            row = db.execute("select id, status, shelter_id from households where prereg_ref = ? "
                             "order by registered_at desc limit 1", [ref]).fetchone()
            if row is None:
                created = register(db, shelter["id"], {**household_data, "prereg_ref": ref}, persons_data,
                                   actor=actor, source="prereg", status="checked_in", request_id=request_id)
                return {"household": created, "already": False, "warnings": elsewhere(db, created)}
        else:
            row = db.execute("select id, status, shelter_id from households where reception_number = ?",
                             [number]).fetchone()
            if row is None:
                if codes.reserved(db, number):
                    raise NotFound(f"受付番号 {codes.display(number)} は紙の避難者カードの番号です。"
                                   "カードの内容を入力してください。",
                                   f"{codes.display(number)} is a paper card number: key in the card first.",
                                   code="PaperCardNotEntered")
                raise NotFound(f"受付番号 {codes.display(number)} は登録されていません。",
                               f"Reception number {codes.display(number)} is not registered.")
        household_id, status, at_shelter = row
        if status == "checked_in":
            if at_shelter != shelter["id"]:
                other = _shelter(db, at_shelter)
                raise Conflict(f"この世帯は{other['name']}に入所中です。移送の手続きをしてください。",
                               f"This household is checked in at {other.get('name_en') or other['name']}. "
                               "Transfer it instead.", code="CheckedInElsewhere")
            return {"household": get(db, household_id), "already": True, "warnings": []}
        persons = db.execute("select count(*) from persons where household_id = ?", [household_id]).fetchone()[0]
        data = {"household_id": household_id, "persons": persons}
        if at_shelter != shelter["id"]:
            data["from"] = at_shelter  # registered at another shelter's door: the record moves here
        emit(db, "household.checked_in", data, actor=actor, shelter_id=shelter["id"], op=request_id)
        household = get(db, household_id)
        return {"household": household, "already": False, "warnings": elsewhere(db, household)}


def check_in_persons(db, shelter_id, household_id, person_ids, *, actor, source="desk", request_id=None):
    """Check in some persons of a household (an IC card's tap: one person back after checking out). The
    household is checked in with them when it was not; its other members keep their state.

    Returns {"household", "already", "warnings"}. :raise NotFound, Conflict:"""
    with write(db):
        if done(db, request_id) is not None:
            return {"household": get(db, household_id), "already": True, "warnings": []}
        shelter = _shelter(db, shelter_id)
        access.require(actor, "work_shelter", shelter)
        require_open(shelter)
        row = db.execute("select status, shelter_id from households where id = ?", [household_id]).fetchone()
        if row is None:
            raise NotFound("世帯が見つかりません。", "No such household.")
        status, at_shelter = row
        if status == "checked_in" and at_shelter != shelter["id"]:
            other = _shelter(db, at_shelter)
            raise Conflict(f"この世帯は{other['name']}に入所中です。移送の手続きをしてください。",
                           f"This household is checked in at {other.get('name_en') or other['name']}. "
                           "Transfer it instead.", code="CheckedInElsewhere")
        wanted = set(person_ids or ())
        if not wanted:
            raise Invalid("入所する人を選んでください。", "Choose who checks in.")
        ids = [pid for pid, person_status in db.execute("select id, status from persons where household_id = ? "
                                                        "order by position", [household_id])
               if pid in wanted and (person_status == "out" or status != "checked_in")]
        if len(wanted) != db.execute(f"select count(*) from persons where household_id = ? and id in "
                                     f"({','.join('?' * len(wanted))})", [household_id, *wanted]).fetchone()[0]:
            raise NotFound("その世帯にいない人が指定されました。", "Some persons are not in this household.")
        if not ids:
            return {"household": get(db, household_id), "already": True, "warnings": []}
        data = {"household_id": household_id, "persons": len(ids), "person_ids": ids, "source": source}
        if at_shelter != shelter["id"]:
            data["from"] = at_shelter
        emit(db, "household.checked_in", data, actor=actor, shelter_id=shelter["id"], op=request_id)
        household = get(db, household_id)
        return {"household": household, "already": False, "warnings": elsewhere(db, household)}


@applies("household.checked_in")
def _checked_in(db, e):
    household_id = e.data["household_id"]
    ids = e.data.get("person_ids")  # some persons only (a card's tap); absent: the whole household
    if ids is None:
        db.execute("update households set status = 'checked_in', shelter_id = ?, checked_in_at = ?, "
                   "checked_out_at = null, updated_at = ? where id = ?", [e.shelter_id, e.at, e.at, household_id])
        db.execute("update persons set status = 'in', away_until = null, updated_at = ? where household_id = ?",
                   [e.at, household_id])
    else:
        db.execute("update households set checked_in_at = case when status = 'checked_in' then checked_in_at "
                   "else ? end, status = 'checked_in', shelter_id = ?, checked_out_at = null, updated_at = ? "
                   "where id = ?", [e.at, e.shelter_id, e.at, household_id])
        db.execute(f"update persons set status = 'in', away_until = null, updated_at = ? where household_id = ? "
                   f"and id in ({','.join('?' * len(ids))})", [e.at, household_id, *ids])
    if e.data.get("from"):
        from ...eventlog import move_subject

        move_subject(db, household_id, e.shelter_id)
    record(db, e, shelter_id=e.shelter_id, direction="in", persons=e.data["persons"], cause="check-in",
           household_id=household_id)


def update_household(db, shelter_id, household_id, changes, *, actor, request_id=None):
    """Change where a household stays, its zone or its consent (staff at the desk)."""
    with write(db):
        if done(db, request_id) is not None:
            return get(db, household_id)
        row = household_at(db, shelter_id, household_id)
        access.require(actor, "work_shelter", shelter_id)
        fields = clean_household({**row, **changes})
        allowed = {k: fields[k] for k in ("staying", "zone_id", "consent") if k in changes}
        if allowed.get("zone_id") and not db.execute("select 1 from zones where id = ? and shelter_id = ?",
                                                      [allowed["zone_id"], shelter_id]).fetchone():
            raise Invalid("区画が見つかりません。", "No such zone in this shelter.")
        if allowed:
            emit(db, "household.updated", {"household_id": household_id, "changes": allowed},
                 actor=actor, shelter_id=shelter_id, op=request_id)
        return get(db, household_id)


EDITABLE = ("staying", "zone_id", "consent")


@applies("household.updated")
def _updated(db, e):
    changes = {k: v for k, v in e.data["changes"].items() if k in EDITABLE}
    if changes:
        db.execute(f"update households set {', '.join(f'{k} = ?' for k in changes)}, updated_at = ? where id = ?",
                   [*changes.values(), e.at, e.data["household_id"]])
