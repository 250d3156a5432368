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
