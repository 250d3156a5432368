"""Writing checked records in one transaction: add new, update changed by 共通ID, leave the rest alone."""

from ..db import write
from ..domain.shelters import stable_id
from ..eventlog import applies, emit, emit_all, log_only

BATCH = 500
BATCH_CHARS = 1_000_000  # long remarks: keep a batch's memory small whatever the rows hold
LONG_TEXT = ("name", "address", "notes", "accepts", "capacity_raw", "neighbourhoods")
PROVENANCE = {"source"}  # where a row was last read from: not a fact about the shelter
TABLES = {"shelters": ("shelters", "shelter.imported"), "sites": ("emergency_sites", "site.imported")}


def store(db, fmt, records, report, *, actor):
    """Write `records` (dicts keyed by column, with kyotsu_id) and count them into `report`.

    A shelter's state, safety, zones and name_en are never touched: the file owns only the
    columns it has. Plain executemany in batches: sqlite-utils' insert inspects the table per call.
    """
    table, event_kind = TABLES[fmt.kind]
    with write(db):
        batch, chars = [], 0
        for record in records:
            batch.append(record)
            chars += sum(len(record.get(k) or "") for k in LONG_TEXT)
            if len(batch) >= BATCH or chars >= BATCH_CHARS:
                _store_batch(db, table, event_kind, fmt, batch, report, actor=actor)
                batch, chars = [], 0
        if batch:
            _store_batch(db, table, event_kind, fmt, batch, report, actor=actor)
        if report.added or report.updated:
            emit(db, "import.completed", actor=actor or "system", data={
                "file": report.filename, "format": report.format, "kind": fmt.kind,
                "added": report.added, "updated": report.updated, "unchanged": report.unchanged})


FLAGS = {"same_address_as_site", "same_address_as_shelter"}  # "1 or empty" in the files (DOMAIN §7)


def _same(field, old, new):
    """Whether a stored value and a file's value are the same fact: an unset flag is a 0 flag."""
    if field in FLAGS:
        return (old or 0) == (new or 0)
    return old == new


def _store_batch(db, table, event_kind, fmt, batch, report, *, actor):
    fields = sorted({key for record in batch for key in record} - {"kyotsu_id"})
    ids = [record["kyotsu_id"] for record in batch]
    cursor = db.execute(
        f"select id, kyotsu_id, {', '.join(fields)} from {table} where kyotsu_id in ({', '.join('?' * len(ids))})", ids)
    columns = [c[0] for c in cursor.description]
    existing = {row[1]: dict(zip(columns, row)) for row in cursor.fetchall()}
    items = []
    for record in batch:
        old = existing.get(record["kyotsu_id"])
        if old is None:
            row_id = stable_id(record["kyotsu_id"])
            values = {f: record.get(f) for f in fields}
            action = "added"
            report.added += 1
        else:
            row_id = old["id"]
            values = {f: record[f] for f in fields if f in record and not _same(f, old[f], record[f])}
            if not set(values) - PROVENANCE:  # the same facts from another file are no update
                report.unchanged += 1
                continue
            action = "updated"
            report.updated += 1
        shelter_id = row_id if table == "shelters" else None
        if shelter_id:
            report.changed_shelter_ids.append(shelter_id)
        data = {"id": row_id, "kyotsu_id": record["kyotsu_id"], "action": action, "values": values,
                "file": report.filename, "format": fmt.key}
        if old is not None:  # the audit: what each field was before
            data["changes"] = {f: [old[f], v] for f, v in values.items()}
        items.append((data, shelter_id))
    if items:
        emit_all(db, event_kind, items, actor=actor or "system")


# The registry columns an import may write (a forged or foreign event names no others).
IMPORTED_COLUMNS = {
    "shelters": {"municipality_code", "name", "name_en", "address", "lat", "lon", "kind", "accepts",
                 "same_address_as_site", "notes", "source"},
    "emergency_sites": {"municipality_code", "name", "name_en", "address", "lat", "lon", "hazards",
                        "same_address_as_shelter", "capacity", "capacity_raw", "neighbourhoods", "notes", "source"},
}


def _apply_imported(table):
    extra = {"state": "standby", "hidden": 0} if table == "shelters" else {}

    def added_row(e, values):
        return {"id": e.data["id"], "kyotsu_id": e.data["kyotsu_id"], **values, **extra, "updated_at": e.at}

    def apply(db, e):
        values = {k: v for k, v in e.data["values"].items() if k in IMPORTED_COLUMNS[table]}
        if e.data["action"] == "added":
            row = added_row(e, values)
            db.execute(f"insert into {table} ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                       list(row.values()))
        elif values:
            db.execute(f"update {table} set {', '.join(f'{k} = ?' for k in values)}, updated_at = ? where id = ?",
                       [*values.values(), e.at, e.data["id"]])

    def apply_all(db, events):
        """A file's new rows in one executemany per set of columns (the same rows `apply` writes one by one)."""
        runs = {}

        def insert_runs():
            for columns, rows in runs.items():
                db.conn.executemany(f"insert into {table} ({', '.join(columns)}) "
                                    f"values ({', '.join('?' * len(columns))})", rows)
            runs.clear()

        for e in events:
            if e.data["action"] != "added":
                insert_runs()  # in the events' order
                apply(db, e)
                continue
            row = added_row(e, {k: v for k, v in e.data["values"].items() if k in IMPORTED_COLUMNS[table]})
            runs.setdefault(tuple(row), []).append(list(row.values()))
        insert_runs()

    apply.__qualname__ = f"_apply_imported.{table}"
    apply.apply_all = apply_all
    return apply


applies("shelter.imported")(_apply_imported("shelters"))
applies("site.imported", live=False)(_apply_imported("emergency_sites"))
log_only("import.completed")
