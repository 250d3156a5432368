"""The households tables: households, persons, count-only heads, and the movements projection."""
from sqlite_utils.migrations import Migrations

migrations = Migrations("households")


@migrations()
def create_households(db):
    db["households"].create(
        {
            "id": str,
            "reception_number": str,  # 受付番号
            "shelter_id": str,
            "status": str,  # HOUSEHOLD_STATUSES
            "staying": str,  # STAYING: only "shelter" counts in occupancy
            "zone_id": str,
            "address": str,
            "postcode": str,
            "phone": str,
            "emergency_contact": str,  # 緊急連絡先 outside the area
            "home_damage": str,  # HOME_DAMAGE
            "pets": str,  # free text: kind, count, with them or not
            "vehicle": str,  # for 車中泊: plate, model, colour
            "consent": str,  # 安否確認 CONSENT, default none
            "source": str,  # SOURCES
            "prereg_ref": str,  # fingerprint of the sealed home card it came from
            "transferred_from": str,  # shelter id before the last transfer
            "registered_at": str,
            "checked_in_at": str,
            "checked_out_at": str,
            "updated_at": str,
            "created_by": str,
        },
        pk="id",
        defaults={"status": "pending", "staying": "shelter", "consent": "none", "source": "desk"},
    )
    db["households"].create_index(["reception_number"], unique=True)
    db["households"].create_index(["shelter_id", "status"])
    db["households"].create_index(["prereg_ref"])
    db["persons"].create(
        {
            "id": str,
            "household_id": str,
            "position": int,
            "name": str,  # 氏名
            "kana": str,  # ふりがな
            "sex": str,  # SEXES
            "birth_date": str,  # YYYY-MM-DD
            "age": int,
            "age_band": str,  # AGE_BANDS: kept for statistics after the purge
            "relation": str,  # 続柄
            "nationality": str,
            "language": str,
            "injury_illness": str,
            "care_codes": str,  # JSON list of CARE_CODES
            "allergens": str,  # JSON list of ALLERGENS
            "allergens_other": str,
            "medication": str,
            "medical_devices": str,
            "diet": str,
            "notes": str,
            "non_disclosure": int,  # 非公開 (DV etc.): overrides every consent
            "status": str,  # PERSON_STATUSES
            "away_until": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("household_id", "households", "id")],
        defaults={"status": "in", "non_disclosure": 0},
    )
    db["persons"].create_index(["household_id"])
    db["persons"].create_index(["name", "birth_date"])
    # count-only registration: one row per tap (+1 arrive, -1 leave), no personal data
    db["headcounts"].create(
        {"id": str, "shelter_id": str, "zone_id": str, "sex": str, "age_band": str, "delta": int,
         "at": str, "actor": str},
        pk="id",
    )
    db["headcounts"].create_index(["shelter_id"])


@migrations()
def create_movements(db):
    # the movements projection: people in and out of a shelter, one row per event and direction,
    # written only by the households' handlers and read by movements.between()
    db["movements"].create(
        {"id": str, "event_id": str, "shelter_id": str, "at": str, "direction": str, "persons": int,
         "cause": str, "household_id": str},
        pk="id",
    )
    db["movements"].create_index(["shelter_id", "at"])
    db["movements"].create_index(["shelter_id", "event_id"])


# --- tallies: the counts every live update, desk header and status feed reads, kept by SQLite itself ---
#
# present_counts() once joined every person to its household on each call: at a prefecture's HQ (1,500
# shelters, 240,000 people) 0.8 s per live flush, several times a second under load, each blocking the
# server. `tallies` holds, per (shelter, zone, staying), the persons counted as present (in or away
# overnight, of a checked-in household) and the households waiting at the desk (pending). Triggers on
# households and persons keep it, inside the same statement as the change, so every write path
# (handlers, replay, purge) keeps it right without knowing of it. '' stands for no zone / no staying
# (NULLs would not collide in the primary key).

def _household_share(ref, sign):
    """SQL adding (sign=+1) or removing (-1) what household `ref` (new/old) contributes to the tallies."""
    return f"""
    insert into tallies (shelter_id, zone, staying, present, pending)
    select {ref}.shelter_id, coalesce({ref}.zone_id, ''), coalesce({ref}.staying, ''),
           {sign} * (case when {ref}.status = 'checked_in' then (select count(*) from persons
                     where household_id = {ref}.id and status in ('in', 'away')) else 0 end),
           {sign} * ({ref}.status = 'pending')
    where {ref}.status in ('checked_in', 'pending')
    on conflict (shelter_id, zone, staying) do update
    set present = present + excluded.present, pending = pending + excluded.pending;"""


def _person_share(ref, sign):
    """SQL adding or removing what person `ref` (new/old) contributes: one present, when counted."""
    return f"""
    insert into tallies (shelter_id, zone, staying, present, pending)
    select h.shelter_id, coalesce(h.zone_id, ''), coalesce(h.staying, ''), {sign}, 0 from households h
    where h.id = {ref}.household_id and h.status = 'checked_in' and {ref}.status in ('in', 'away')
    on conflict (shelter_id, zone, staying) do update set present = present + excluded.present;"""


TALLY_TRIGGERS = {
    "tally_person_in": f"after insert on persons begin {_person_share('new', 1)} end",
    "tally_person_gone": f"after delete on persons begin {_person_share('old', -1)} end",
    "tally_person_moved": "after update of status, household_id on persons begin "
                          f"{_person_share('old', -1)} {_person_share('new', 1)} end",
    "tally_household_in": f"after insert on households begin {_household_share('new', 1)} end",
    "tally_household_moved": "after update of status, staying, zone_id, shelter_id on households begin "
                             f"{_household_share('old', -1)} {_household_share('new', 1)} end",
    # before: its persons are still there to be counted out (a household is deleted after its persons)
    "tally_household_gone": f"before delete on households begin {_household_share('old', -1)} end",
}


@migrations()
def create_tallies(db):
    db.execute("create table tallies (shelter_id text not null, zone text not null, staying text not null, "
               "present integer not null default 0, pending integer not null default 0, "
               "primary key (shelter_id, zone, staying))")
    for name, body in TALLY_TRIGGERS.items():
        db.execute(f"create trigger {name} {body}")
    count_tallies(db)


def count_tallies(db):
    """Fill `tallies` from the households and persons as they are (an install from before the tallies)."""
    db.execute("""insert into tallies (shelter_id, zone, staying, present, pending)
        select h.shelter_id, coalesce(h.zone_id, ''), coalesce(h.staying, ''),
               sum(case when h.status = 'checked_in' then (select count(*) from persons
                   where household_id = h.id and status in ('in', 'away')) else 0 end),
               sum(h.status = 'pending')
        from households h where h.status in ('checked_in', 'pending')
        group by h.shelter_id, coalesce(h.zone_id, ''), coalesce(h.staying, '')""")
