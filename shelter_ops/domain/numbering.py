"""One number per published shelter, the same on the public page, the paper map and the atlas."""


def sort_key(record):
    """By 共通ID (municipality code, then facility serial), so a town's shelters are numbered together;
    shelters without one follow, by name."""
    kyotsu_id = record.get("kyotsu_id") or record.get("ref") or ""
    return (kyotsu_id == "", kyotsu_id, record.get("name") or "", str(record.get("id") or ""))


def shelter_numbers(records):
    """{共通ID (or id): number from 1} for the published shelters `records` (capacity.public_snapshots()).

    The number does not depend on the reader's language, location or sort order, nor on the paper
    size: a person told 「42番」 on the phone finds 42 on the printed map."""
    ordered = sorted(records, key=sort_key)
    return {key_of(r): n for n, r in enumerate(ordered, 1)}


def key_of(record):
    return record.get("kyotsu_id") or record.get("ref") or str(record.get("id"))
