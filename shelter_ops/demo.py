"""The demo municipality (data/demo/kamakura.json): loaded into an empty database on first start."""
import json
from pathlib import Path

from .db import write
from .domain import accounts, daylog, households, shelters, supplies
from .eventlog import emit, log_only

log_only("demo.loaded")

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo" / "kamakura.json"


def load_if_empty(db, path=DEMO_FILE):
    """Load shelters, zones and one account per role. Returns lines to print (the demo accounts)."""
    if db.execute("select count(*) from shelters").fetchone()[0]:
        return []
    demo = json.loads(Path(path).read_text(encoding="utf-8"))
    code = demo["municipality"]["code"]
    actor = "system"
    with write(db):  # one commit: a half-loaded demo never looks loaded
        for item in demo["shelters"]:
            shelter = shelters.register(db, {"kyotsu_id": item["kyotsu_id"], "municipality_code": code,
                                             "name": item["name"], "name_en": item["name_en"],
                                             "address": item["address"], "lat": item["lat"], "lon": item["lon"],
                                             "kind": "general", "source": "demo"}, actor=actor)
            for zone in item["zones"]:
                shelters.add_zone(db, shelter["id"], zone, actor=actor)
        emit(db, "demo.loaded", {"shelters": len(demo["shelters"])}, actor=actor)
    _play(db, demo.get("activity", {}))
    lines = ["Demo data loaded. Demo accounts, FOR THE DEMO ONLY: their passwords are published",
             "(a production start, SHELTER_OPS_ENV=production, refuses them). Name / password / role:"]
    for account in demo["accounts"]:
        shelter_id = shelters.get(db, account["shelter"])["id"] if account.get("shelter") else None
        accounts.add_user(db, account["name"], account["password"], account["role"], shelter_id=shelter_id)
        lines.append(f"  {account['name']:6} / {account['password']:16} / {account['role']}")
    return lines


def _play(db, activity):
    """A morning after the earthquake, through the same domain functions the screens use."""
    actor = "demo"
    for item in activity.get("open", []):
        shelter_id = shelters.get(db, item["shelter"])["id"]
        shelters.mark_item(db, shelter_id, "safety_check", items=_checklist(), actor=actor, result="usable")
        shelters.transition(db, shelter_id, "open", actor=actor, role="hq", reason=item.get("reason", ""))
        for i in range(item.get("heads", 0)):
            sex = ("female", "male")[i % 2]
            band = ("adult", "elderly", "child", "adult", "infant")[i % 5]
            households.count_head(db, shelter_id, sex, band, actor=actor)
    for item in activity.get("households", []):
        households.register(db, shelters.get(db, item["shelter"])["id"], item["household"], item["persons"],
                            actor=actor, source="desk", status="checked_in")
    if "announcement" in activity:
        item = activity["announcement"]
        daylog.add_announcement(db, shelters.get(db, item["shelter"])["id"], ja=item["ja"], en=item["en"],
                                actor=actor)
    if "supply_request" in activity:
        item = dict(activity["supply_request"])
        shelter_id = shelters.get(db, item.pop("shelter"))["id"]
        supplies.create_request(db, shelter_id, actor=actor, **item)


def _checklist():
    from .config import DEFAULTS

    return shelters.checklist_items(DEFAULTS["CHECKLIST"])
