"""Render the README pictures (map.png, poster.png) from the demo municipality: python docs/img/render.py

The demo data (data/demo/kamakura.json) goes into a temporary database; a few shelters are opened
and given head counts (count-only, no personal data) so the picture shows the congestion colours.
Needs pdftoppm (poppler-utils). The Kamakura boundary is drawn when ../shared/data has it.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from offline_print import map as paper_map, poster  # noqa: E402
from shelter_ops import create_app  # noqa: E402
from shelter_ops.db import connect  # noqa: E402
from shelter_ops.demo import load_if_empty  # noqa: E402
from shelter_ops.domain import households, paper, shelters  # noqa: E402

BOUNDARY = ROOT.parent / "shared" / "data" / "kamakura_boundary.geojson"
BOUNDARY_CREDIT = "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成"
# (共通ID, people counted in): a morning after a typhoon, invented for the picture
SCENE = {"E1420400001111": 150, "E1420400003111": 60, "E1420400005111": 25, "E1420400008111": 90,
         "E1420400012111": 10, "E1420400016111": 130, "E1420400020111": 0}


def to_png(pdf, target, dpi, colours=128):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", str(path),
                        str(Path(folder) / "page")], check=True)
        with Image.open(next(Path(folder).glob("page-*.png"))) as image:
            image.convert("RGB").quantize(colours).save(target, optimize=True)
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")


def main():
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DB": str(Path(folder) / "demo.sqlite"), "SECRET_KEY": "render", "DEMO": False,
                          "CHECK_VENDOR": False, "PUBLIC_URL": "http://192.168.1.10:5000"})
        db = connect(app.config["DB"])
        load_if_empty(db)
        for kyotsu_id, people in SCENE.items():
            shelter = shelters.get(db, kyotsu_id)
            shelters.transition(db, shelter["id"], "open", actor="render", role="hq")
            for i in range(people):
                households.count_head(db, shelter["id"], ("male", "female")[i % 2], "adult", actor="render")
        config = dict(app.config)
        data = paper.map_data(db, config)
        layers = []
        if BOUNDARY.exists():
            from offline_print.geo import read_layer

            layers = [{**read_layer(BOUNDARY), "attribution": BOUNDARY_CREDIT}]
        pdf = paper_map.render(data["shelters"], sites=data["sites"], layers=layers, title="鎌倉市 避難所マップ",
                               title_en="Kamakura City shelter map", qr_url=data["qr_url"],
                               printed_at=paper.printed_at(), data_date=data["data_date"])
        to_png(pdf, HERE / "map.png", 80)
        shelter = shelters.get(db, "E1420400003111")
        pdf = poster.render(**paper.poster_data(db, config, shelter), printed_at=paper.printed_at())
        to_png(pdf, HERE / "poster.png", 70)
        db.close()


if __name__ == "__main__":
    main()
