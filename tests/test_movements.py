"""One movements projection: the dashboard, the status report and the daily log count the same people."""
import re

from closing_helpers import open_shelter
from shelter_ops.domain import clock, daylog, households, reports

FAMILY = [{"name": "移送 一郎", "sex": "male", "age": 40}, {"name": "移送 花子", "sex": "female", "age": 38},
          {"name": "移送 太郎", "sex": "male", "age": 9}, {"name": "移送 次郎", "sex": "male", "age": 2}]


def flow_on(page):
    """(arrived, left) in the last hour, as the dashboard shows them."""
    text = page.get_data(as_text=True)
    return tuple(int(re.search(rf'data-testid="{key}">(\d+)<', text).group(1)) for key in ("arrived", "left"))


def test_one_transfer_of_four_shows_the_same_numbers_on_all_three_screens(app, db, shelter_a, shelter_b,
                                                                           signed_in):
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    family = households.register(db, shelter_a["id"], {}, FAMILY, actor="desk", source="desk", status="checked_in")
    first_a = reports.submit(db, shelter_a["id"], {}, actor="lead")  # A's arrivals so far end here
    households.transfer(db, family["id"], shelter_b["id"], actor="desk", from_shelter_id=shelter_a["id"])

    hq = signed_in("hq")
    dashboard_b = flow_on(hq.get(f"/shelters/{shelter_b['kyotsu_id']}/occupancy"))
    dashboard_a = flow_on(hq.get(f"/shelters/{shelter_a['kyotsu_id']}/occupancy"))
    report_b = reports.draft(db, shelter_b["id"])["data"]
    report_a = reports.draft(db, shelter_a["id"])["data"]
    today = clock.today()
    log_b = daylog.day_view(db, shelter_b["id"], today)["movements"]
    log_a = daylog.day_view(db, shelter_a["id"], today)["movements"]

    assert first_a["data"]["arrivals"] == 4
    assert dashboard_b[0] == report_b["arrivals"] == log_b["arrived"] == 4
    assert dashboard_a[1] == report_a["departures"] == log_a["left"] == 4
    assert (dashboard_b[1], report_b["departures"], log_b["left"]) == (0, 0, 0)
    assert report_a["arrivals"] == 0  # since A's last report
    assert log_b["households_transferred_in"] == 1 and log_a["households_transferred_out"] == 1


def test_partial_check_out_then_whole_counts_each_person_once(db, shelter_a):
    open_shelter(db, shelter_a)
    family = households.register(db, shelter_a["id"], {}, FAMILY, actor="desk", source="desk", status="checked_in")
    first = family["persons"][0]["id"]
    households.check_out(db, shelter_a["id"], family["id"], actor="desk", person_ids=[first])
    households.check_out(db, shelter_a["id"], family["id"], actor="desk")
    moved = households.movements.between(db, shelter_a["id"])
    assert (moved["arrived"], moved["left"]) == (4, 4)


def test_consolidation_moves_people_and_heads_as_consolidation(db, shelter_a, shelter_b):
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    households.register(db, shelter_a["id"], {}, FAMILY[:2], actor="desk", source="desk", status="checked_in")
    for _ in range(3):
        households.count_head(db, shelter_a["id"], "female", "elderly", actor="desk")
    moved = households.move_everyone(db, shelter_a["id"], shelter_b["id"], actor="hq")
    assert moved == {"households": 1, "persons": 2, "heads": 3}
    rows = db.execute("select shelter_id, direction, sum(persons) from movements where cause = 'consolidation' "
                      "group by shelter_id, direction order by direction").fetchall()
    assert rows == [(shelter_b["id"], "in", 5), (shelter_a["id"], "out", 5)]
    assert households.present_counts(db)[shelter_b["id"]]["total"] == 5
    assert shelter_a["id"] not in households.present_counts(db)
