"""Households and persons (避難者カード), split by noun: the card's vocabulary, its fields checked,
registration and check-in, movements (and the movements projection), head counts, the roster.

`from shelter_ops.domain import households; households.register(...)` reads everything from here."""
from .cards import (age_band, age_of, as_record, clean_choice, clean_household, clean_person, clean_text,  # noqa: F401
                    decode_person, require_open, split_household, split_person)
from .headcounts import count_head, headcounts, move_heads  # noqa: F401
from . import movements  # noqa: F401 - households.movements.between(): arrivals and departures
from .movements import check_out, move_everyone, set_away, set_back, transfer  # noqa: F401
from .registration import check_in, check_in_persons, register, update_household  # noqa: F401
from .roster import (NO_DESK_COUNTS, by_number, counted_from_rows, desk_counts, elsewhere, get, household_at,  # noqa: F401
                     outside_counts, present_counts, restrict, roster, visibility)
from .tables import migrations  # noqa: F401
from .vocabulary import (AGE_BANDS, ALLERGENS, CARE_CODES, CONSENT, HOME_DAMAGE, HOUSEHOLD_FIELDS,  # noqa: F401
                         HOUSEHOLD_STATUSES, MAX_PERSONS, MOVEMENT_CAUSES, PERSON_FIELDS, PERSON_STATUSES,
                         PERSONAL_COLUMNS, SENSITIVE_COLUMNS, SENSITIVE_ROLES, SEXES, SOURCES, STAYING)
