"""The house in order (#11 item 10): explicit lists of areas, the retention purge at an explicit start
hook, one geometry module used by the phone pages, the door and the domain alike."""
import importlib
import pkgutil

from flask import Flask

from shelter_ops import web
from shelter_ops.web import api, public

from conftest import insert_shelter


def test_every_web_area_is_in_the_one_list_of_blueprints():
    with_bp = {m.name for m in pkgutil.iter_modules(web.__path__)
               if hasattr(importlib.import_module(f"shelter_ops.web.{m.name}"), "bp")}
    assert set(web.BLUEPRINTS) == with_bp
    assert set(api.MODULES) == {m.name for m in pkgutil.iter_modules(api.__path__)}


def test_registering_the_closing_blueprint_purges_nothing(app, monkeypatch):
    from shelter_ops.domain import privacy
    from shelter_ops.web import closing as closing_area

    called = []
    monkeypatch.setattr(privacy, "purge_due", lambda *a, **k: called.append(a) or {"purged": [], "not_exported": []})
    bare = Flask("bare")
    bare.config.update(app.config)
    bare.register_blueprint(closing_area.bp)
    assert called == []


def test_the_start_hook_runs_the_retention_purge_unless_told_not_to(app, monkeypatch):
    from shelter_ops import create_app
    from shelter_ops.domain import privacy

    called = []
    monkeypatch.setattr(privacy, "purge_due", lambda *a, **k: called.append(k) or {"purged": [], "not_exported": []})
    settings = {"DB": app.config["DB"], "SECRET_KEY": "test", "DEMO": False, "TESTING": True}
    create_app({**settings, "PURGE_ON_START": False})
    assert called == []
    create_app(settings)
    assert called == [{"retention_days": app.config["RETENTION_DAYS"]}]


def test_the_phone_map_is_north_up_and_east_right(db):
    record = {"state": "open", "level": "vacant", "stale": False, "name": "学校", "name_en": None}
    rows = [{**record, "lat": 35.30, "lon": 139.50}, {**record, "lat": 35.40, "lon": 139.60}]  # the second: NE
    points = public.map_points(rows)["points"]
    assert points[1]["y"] < points[0]["y"] and points[1]["x"] > points[0]["x"]


def test_the_door_and_the_phone_page_give_the_same_distance(app, db):
    a = insert_shelter(db, "E1420400001111", "第一小学校", state="standby")
    insert_shelter(db, "E1420400002111", "遠い中学校", state="open", lat=35.36, lon=139.58)
    from shelter_ops.db import connect
    from shelter_ops.web import door

    conn = connect(app.config["DB"])
    suggested = door.nearest_open(conn, a)[0]["distance_km"]
    listed = public.sort_records([{"lat": 35.36, "lon": 139.58, "name": "遠い中学校", "name_en": None, "state": "open"}],
                                 (a["lat"], a["lon"]), "ja")
    assert suggested == round(listed[0]["km"], 1) > 5
    conn.close()
