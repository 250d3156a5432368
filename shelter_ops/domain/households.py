"""Households and persons: registration, check-in, movements. (Filled in by the check-in work.)"""
from sqlite_utils.migrations import Migrations

migrations = Migrations("households")


def present_counts(db):
    """People present per shelter: {shelter_id: {"total": n, "zones": {zone_id or None: n}}}.

    The one definition of "checked in" that occupancy, closing and reports share.
    """
    return {}
