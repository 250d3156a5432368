"""Property tests: whatever a file holds, the importer answers with a report; valid rows round-trip."""
import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_helpers import (DA_HEADER, HAZARD_COLUMNS, SHELTER_HEADER, SITE_HEADER, count, csv_bytes, fresh_db,
                            shelter, site)

from shelter_ops.importers import ImportReport, import_data

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_is_a_report(report, db):
    assert isinstance(report, ImportReport)
    assert report.ok == (not report.errors)
    for problem in report.errors + report.warnings:
        assert problem.message("ja") and problem.message("en")
    if not report.ok:
        assert count(db, "shelters") == 0 and count(db, "emergency_sites") == 0 and count(db, "events") == 0


@SETTINGS
@given(st.binary(max_size=3000))
def test_any_bytes_get_a_report(data):
    db = fresh_db()
    assert_is_a_report(import_data(db, data, "any.bin", actor="hq"), db)


cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "1", " 1", "0", "E1420400001111", "E1420400001201", "35.3", "139.5", "-1e400", "nan",
                     "inf", "1,200人", "<b>x</b>", "\"", "\r\n", "142042", "11002"]),
    st.floats(allow_nan=True).map(str),
)


def header_and_rows(header):
    """Rows of any width, and rows as wide as the header (which reach every field's checks)."""
    row = st.one_of(st.lists(cells, max_size=40), st.lists(cells, min_size=len(header), max_size=len(header)))
    return st.tuples(st.just(header), st.lists(row, max_size=8))


@SETTINGS
@given(st.sampled_from([SHELTER_HEADER, SITE_HEADER, DA_HEADER]).flatmap(header_and_rows),
       st.sampled_from(["utf-8-sig", "utf-8", "cp932"]))
def test_random_rows_under_a_real_header_get_a_report(header_rows, encoding):
    header, rows = header_rows
    db = fresh_db()
    try:
        data = csv_bytes(header, rows, encoding=encoding)
    except UnicodeEncodeError:
        data = csv_bytes(header, rows, encoding="utf-8")
    assert_is_a_report(import_data(db, data, "rows.csv", actor="hq"), db)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["Feature", "feature", None]),
    "geometry": st.one_of(json_values, st.fixed_dictionaries({
        "type": st.sampled_from(["Point", "Polygon"]), "coordinates": json_values})),
    "properties": st.one_of(json_values, st.fixed_dictionaries({"共通ID": json_values, "施設・場所名": json_values,
                                                                 "住所": json_values})),
}), max_size=5))
def test_random_geojson_features_get_a_report(features):
    db = fresh_db()
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    assert_is_a_report(import_data(db, data, "f.geojson", actor="hq"), db)


names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=30)
shelters_strategy = st.lists(
    st.tuples(st.integers(1, 99999), names, st.integers(24_000_000, 45_000_000), st.integers(123_000_000, 153_000_000),
              st.sampled_from(["1", "2"])),
    min_size=1, max_size=20, unique_by=lambda t: t[0])


@SETTINGS
@given(shelters_strategy, st.sampled_from(["utf-8-sig", "utf-8"]))
def test_valid_generated_shelters_round_trip(generated, encoding):
    rows = [shelter(n, subtype=subtype, **{"施設・場所名": name, "住所": f"鎌倉市{name}", "緯度": f"{lat / 1e6:.6f}",
                                            "経度": f"{lon / 1e6:.6f}"})
            for n, name, lat, lon, subtype in generated]
    db = fresh_db()
    report = import_data(db, csv_bytes(SHELTER_HEADER, rows, encoding=encoding), "gen.csv", actor="hq")
    assert report.ok and report.added == len(rows), report.text()
    stored = {r[0]: r[1:] for r in db.execute("select kyotsu_id, name, lat, lon, kind from shelters")}
    for row, (_n, name, lat, lon, subtype) in zip(rows, generated):
        assert stored[row["共通ID"]] == (name, round(lat / 1e6, 6), round(lon / 1e6, 6),
                                         "welfare" if subtype == "2" else "general")
    again = import_data(db, csv_bytes(SHELTER_HEADER, rows, encoding=encoding), "gen.csv", actor="hq")
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(rows))


def test_csv_written_by_the_csv_module_reads_back_field_for_field():
    """The helper writes what the importer reads: a quoted comma, quote and line break survive."""
    row = shelter(1, 備考='a,b "c"\nd')
    data = csv_bytes(SHELTER_HEADER, [row])
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1][-1] == 'a,b "c"\nd'
    db = fresh_db()
    assert import_data(db, data, "f.csv", actor="hq").ok
    assert db.execute("select notes from shelters").fetchone()[0] == 'a,b "c"\nd'


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 99999), st.sets(st.sampled_from(HAZARD_COLUMNS))), min_size=1, max_size=15,
                unique_by=lambda t: t[0]))
def test_generated_emergency_sites_keep_exactly_their_hazards(generated):
    from shelter_ops.domain.shelters import HAZARDS, sites

    db = fresh_db()
    rows = [site(n, hazards=tuple(flags)) for n, flags in generated]
    report = import_data(db, csv_bytes(SITE_HEADER, rows), "sites.csv", actor="hq")
    assert report.ok and report.added == len(rows), report.text()
    stored = {s["kyotsu_id"]: s["hazards"] for s in sites(db)}
    key_of = {ja: key for key, (ja, _en) in HAZARDS.items()}
    for row, (_n, flags) in zip(rows, generated):
        assert set(stored[row["共通ID"]]) == {key_of[f] for f in flags}
