"""Writes the examples in docs/interop.md from the demo data: python docs/interop_examples.py > /tmp/examples.md

Loads the demo municipality into a throw-away database, issues what HQ would issue, and prints each
format; paste the blocks into docs/interop.md (tests/test_lalert.py checks that the XML there still parses).
"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    from shelter_ops import create_app
    from shelter_ops.db import connect
    from shelter_ops.demo import load_if_empty
    from shelter_ops.domain import lalert

    folder = tempfile.mkdtemp()
    app = create_app({"DB": f"{folder}/demo.sqlite", "SECRET_KEY": "x", "DEMO": False, "TESTING": True,
                      "LALERT_DISASTER_NAME": "令和8年12月の地震（デモ）"})
    db = connect(app.config["DB"])
    load_if_empty(db)
    sections = {}
    first = lalert.issue(db, app.config, actor="hq", role="hq")
    sections["lalert.xml"] = lalert.to_xml(first).decode("utf-8")
    sections["lalert.csv"] = lalert.to_csv(first).decode("utf-8-sig")
    with app.test_request_context():
        _extra(app, db, sections)
    for name, text in sections.items():
        print(f"<!-- {name} -->\n```\n{text.rstrip()}\n```\n")


def _extra(app, db, sections):
    """The 被災者台帳 roster (the demo's family, plus one fictional household with a messy address the
    script adds to show the address folding, and one 非公開 household that must not appear)."""
    from shelter_ops.domain import daicho, households, shelters

    shelter = shelters.get(db, "E1420400003111")
    households.register(db, shelter["id"], {"staying": "car", "address": "鎌倉市大字手広字上町二丁目3番地の5",
                                            "phone": "090-0000-0001", "home_damage": "half", "consent": "none"},
                        [{"name": "手広 一郎", "kana": "てびろ いちろう", "sex": "male", "birth_date": "1948-05-05",
                          "relation": "本人", "care_codes": ["ELD"]}],
                        actor="demo", source="desk", status="checked_in")
    households.register(db, shelter["id"], {"address": "非公開の住所"},
                        [{"name": "非公開 さん", "sex": "female", "age": 30, "non_disclosure": True}],
                        actor="demo", source="desk", status="checked_in")
    result = daicho.export(db, app.config, actor="hq", role="hq", reason="被災者台帳の作成（デモ）",
                           provided_to="神奈川県 被災者データベース", fmt="csv")
    sections["daicho.csv"] = result["data"].decode("utf-8-sig")
    result = daicho.export(db, app.config, actor="hq", role="hq", reason="被災者台帳の作成（デモ）",
                           provided_to="神奈川県 被災者データベース", fmt="json")
    sections["daicho.json"] = result["data"].decode("utf-8")
    import json

    feature = app.test_client().get("/public/status.geojson").get_json()["features"][0]
    sections["status.geojson"] = json.dumps(feature, ensure_ascii=False, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
