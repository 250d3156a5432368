"""Reading households: one household, the roster, who counts as present, and who looks checked in twice."""
from ...db import fetch_all, fetch_one
from .. import codes
from ..errors import NotFound
from .cards import decode_person
from .vocabulary import PERSONAL_COLUMNS, SENSITIVE_COLUMNS, SENSITIVE_ROLES


def _household_out(db, household, *, include_sensitive=True, include_hidden=True):
    persons = [decode_person(p) for p in
               fetch_all(db, "select * from persons where household_id = ? order by position", [household["id"]])]
    out = dict(household)
    out["display_number"] = codes.display(household["reception_number"])
    out["persons"] = persons
    out["hidden_persons"] = 0
    return restrict(out, include_sensitive=include_sensitive, include_hidden=include_hidden)


def restrict(household, *, include_sensitive=False, include_hidden=False):
    """A copy of a (fully loaded) household without what the viewer may not see: sensitive columns
    unless `include_sensitive`, 非公開 persons unless `include_hidden` (counted in "hidden_persons")."""
    out = dict(household)
    persons = [dict(p) for p in household["persons"]]
    hidden = sum(1 for p in persons if p["non_disclosure"])
    if not include_hidden:
        persons = [p for p in persons if not p["non_disclosure"]]
    if not include_sensitive:
        for person in persons:
            for key in SENSITIVE_COLUMNS["persons"]:
                person.pop(key, None)
    out["persons"] = persons
    out["hidden_persons"] = household.get("hidden_persons", 0) + (0 if include_hidden else hidden)
    if not include_hidden and hidden:
        # a household with a 非公開 person: staff see that it exists and its other members, nothing
        # that leads to where the hidden person lives or can be reached (address, phone, contact)
        for key in PERSONAL_COLUMNS["households"]:
            out[key] = None
    return out


def get(db, household_id, **kwargs):
    """A household with its persons. :raise NotFound:"""
    household = fetch_one(db, "select * from households where id = ?", [household_id])
    if household is None:
        raise NotFound("世帯が見つかりません。", "No such household.")
    return _household_out(db, household, **kwargs)


def by_number(db, code, **kwargs):
    """The household with this reception number, or None."""
    household = fetch_one(db, "select * from households where reception_number = ?", [code])
    return None if household is None else _household_out(db, household, **kwargs)


def household_at(db, shelter_id, household_id):
    """The household's row, when it is at this shelter. :raise NotFound:"""
    row = fetch_one(db, "select * from households where id = ?", [household_id])
    if row is None or row["shelter_id"] != shelter_id:
        raise NotFound("この避難所にその世帯はありません。", "No such household at this shelter.")
    return row


def elsewhere(db, household):
    """Warnings for persons of this household who look checked in at another shelter (same name and birth date).

    A 非公開 person on either side is never matched: the warning would tell staff where they are."""
    warnings = []
    for person in household["persons"]:
        if not person.get("name") or person.get("non_disclosure"):
            continue
        rows = fetch_all(db, """
            select s.name as shelter_name, s.name_en as shelter_name_en from persons p
            join households h on h.id = p.household_id join shelters s on s.id = h.shelter_id
            where p.name = ? and coalesce(p.birth_date, '') = coalesce(?, '') and h.id != ?
              and h.status = 'checked_in' and p.status != 'out' and h.shelter_id != ?
              and p.non_disclosure = 0""",
                         [person["name"], person.get("birth_date"), household["id"], household["shelter_id"]])
        for row in rows:
            warnings.append({
                "person_id": person["id"],
                "ja": f"{person['name']}さんは{row['shelter_name']}にも入所しています。",
                "en": f"{person['name']} is also checked in at {row['shelter_name_en'] or row['shelter_name']}.",
            })
    return warnings


def present_counts(db):
    """People present per shelter: {shelter_id: {"total": n, "zones": {zone_id or None: n}}}.

    The one definition of "checked in" that occupancy, closing and reports share: persons of
    checked-in households staying in the shelter (away overnight still count: their place is kept)
    plus count-only heads. Evacuees outside the shelter (在宅・車中泊) are not counted. Read from the
    `tallies` that SQLite keeps with every change (tables.py), so a call costs O(shelters), not O(people).
    """
    rows = db.execute("""
        select shelter_id, nullif(zone, ''), present from tallies where staying = 'shelter' and present != 0
        union all
        select shelter_id, zone_id, sum(delta) from headcounts group by shelter_id, zone_id""").fetchall()
    return _per_shelter_and_zone(rows)


def _per_shelter_and_zone(rows):
    counts = {}
    for shelter_id, zone_id, n in rows:
        if not n:
            continue
        entry = counts.setdefault(shelter_id, {"total": 0, "zones": {}})
        entry["total"] += n
        entry["zones"][zone_id] = entry["zones"].get(zone_id, 0) + n
    return counts


def outside_counts(db):
    """Evacuees registered at each shelter but staying outside it (在宅・車中泊…): {shelter_id: {staying: n}}."""
    rows = db.execute("""
        select shelter_id, staying, sum(present) from tallies where staying not in ('shelter', '')
        group by shelter_id, staying having sum(present) != 0""").fetchall()
    out = {}
    for shelter_id, staying, n in rows:
        out.setdefault(shelter_id, {})[staying] = n
    return out


NO_DESK_COUNTS = {"present": 0, "pending": 0, "outside": 0}


def desk_counts(db, shelter_ids=None, *, present=None):
    """What a reception desk's header shows, per shelter: {shelter_id: {"present", "pending",
    "outside"}} — people checked in (present_counts, or `present` when counted already), households
    registered at the door and not yet at the desk, evacuees registered here but staying outside."""
    present = present_counts(db) if present is None else present
    outside = outside_counts(db)
    pending = dict(db.execute("select shelter_id, sum(pending) from tallies group by shelter_id "
                              "having sum(pending) != 0").fetchall())
    ids = shelter_ids if shelter_ids is not None else set(present) | set(outside) | set(pending)
    return {sid: {"present": present.get(sid, {}).get("total", 0), "pending": pending.get(sid, 0),
                  "outside": sum(outside.get(sid, {}).values())} for sid in ids}


def counted_from_rows(db):
    """(present_counts, outside_counts, households waiting per shelter) computed from the households and
    persons themselves, by a join over every person: the definition `tallies` keeps, for checking it
    (tests/test_tallies.py) and as the benchmark's baseline. O(people): never on a screen's path."""
    present = _per_shelter_and_zone(db.execute("""
        select h.shelter_id, h.zone_id, count(*) from persons p join households h on h.id = p.household_id
        where h.status = 'checked_in' and h.staying = 'shelter' and p.status in ('in', 'away')
        group by h.shelter_id, h.zone_id
        union all
        select shelter_id, zone_id, sum(delta) from headcounts group by shelter_id, zone_id""").fetchall())
    outside = {}
    for shelter_id, staying, n in db.execute("""
            select h.shelter_id, h.staying, count(*) from persons p join households h on h.id = p.household_id
            where h.status = 'checked_in' and h.staying != 'shelter' and p.status != 'out'
            group by h.shelter_id, h.staying"""):
        outside.setdefault(shelter_id, {})[staying] = n
    pending = dict(db.execute("select shelter_id, count(*) from households where status = 'pending' "
                              "group by shelter_id").fetchall())
    return present, outside, pending


def roster(db, shelter_id, *, include_sensitive=False, include_hidden=False, statuses=("checked_in",)):
    """The households of a shelter with their "persons", for printing, reports and needs estimates.

    Sensitive columns are left out unless `include_sensitive` (lead/hq); 非公開 persons are left
    out unless `include_hidden`. Ordered by reception number.
    """
    marks = ",".join("?" * len(statuses))
    rows = fetch_all(db, f"select * from households where shelter_id = ? and status in ({marks}) "
                     f"order by registered_at, reception_number", [shelter_id, *statuses])
    return [_household_out(db, row, include_sensitive=include_sensitive, include_hidden=include_hidden)
            for row in rows]


def visibility(role):
    """What a role may see: kwargs for roster()/get()."""
    privileged = role in SENSITIVE_ROLES
    return {"include_sensitive": privileged, "include_hidden": privileged}
