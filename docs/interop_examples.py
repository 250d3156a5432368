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
    """Examples of the other formats, where their modules exist."""


if __name__ == "__main__":
    main()
