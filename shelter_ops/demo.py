"""The demo municipality (data/demo/kamakura.json): loaded into an empty database on first start."""
import json
from pathlib import Path

from .db import new_id, now, record_event, write
from .domain import accounts, shelters

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo" / "kamakura.json"


def load_if_empty(db, path=DEMO_FILE):
    """Load shelters, zones and one account per role. Returns lines to print (the demo accounts)."""
    if db.execute("select count(*) from shelters").fetchone()[0]:
        return []
    demo = json.loads(Path(path).read_text(encoding="utf-8"))
    code = demo["municipality"]["code"]
    with write(db):
        for item in demo["shelters"]:
            shelter_id = new_id()
            db["shelters"].insert({
                "id": shelter_id, "kyotsu_id": item["kyotsu_id"], "municipality_code": code,
                "name": item["name"], "name_en": item["name_en"], "address": item["address"],
                "lat": item["lat"], "lon": item["lon"], "kind": "general", "state": "standby",
                "hidden": 0, "source": "demo", "updated_at": now(),
            })
            for position, zone in enumerate(item["zones"]):
                db["zones"].insert({"id": new_id(), "shelter_id": shelter_id, "position": position,
                                    "blocked_places": 0, "updated_at": now(), **zone})
        record_event(db, "demo.loaded", actor="system", payload={"shelters": len(demo["shelters"])})
    lines = ["Demo data loaded. Demo accounts (name / password / role):"]
    for account in demo["accounts"]:
        shelter_id = shelters.get(db, account["shelter"])["id"] if account.get("shelter") else None
        accounts.add_user(db, account["name"], account["password"], account["role"], shelter_id=shelter_id)
        lines.append(f"  {account['name']:6} / {account['password']:16} / {account['role']}")
    return lines
