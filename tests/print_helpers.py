"""Reading printed PDFs back the way a person or a phone would: text, fonts, QR codes on a 150 dpi scan."""
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image


def _poppler(tool):
    """The poppler-utils command `tool`, or a skip that says how to get it (never FileNotFoundError)."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed: apt-get install poppler-utils (.ci/run does)")
    return tool


def _tmp_pdf(data, folder):
    path = Path(folder) / "doc.pdf"
    path.write_bytes(data)
    return path


def pdf_text(data, *, layout=False, first=None, last=None):
    """The text pdftotext reads from the PDF."""
    with tempfile.TemporaryDirectory() as folder:
        args = [_poppler("pdftotext"), "-enc", "UTF-8"] + (["-layout"] if layout else [])
        args += (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
        out = subprocess.run(args + [str(_tmp_pdf(data, folder)), "-"], capture_output=True, check=True)
        return out.stdout.decode("utf-8")


def pdf_pages(data):
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([_poppler("pdfinfo"), str(_tmp_pdf(data, folder))], capture_output=True, check=True, text=True)
    return int(next(line.split()[-1] for line in out.stdout.splitlines() if line.startswith("Pages:")))


def pdf_fonts(data):
    """[(name, embedded)] as pdffonts lists them."""
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([_poppler("pdffonts"), str(_tmp_pdf(data, folder))], capture_output=True, check=True, text=True)
    fonts = []
    for line in out.stdout.splitlines()[2:]:
        parts = line.split()
        # name type... encoding emb sub uni object ID: emb is the 5th field from the end
        fonts.append((parts[0], parts[-5] == "yes"))
    return fonts


def japanese_font_embedded(data):
    return any(embedded and ("Gothic" in name or "JP" in name) for name, embedded in pdf_fonts(data))


def qr_codes(data, *, dpi=150, first=None, last=None):
    """The text of every QR code on every page, page by page, as a phone camera would read a 150 dpi scan."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = _tmp_pdf(data, folder)
        args = [_poppler("pdftoppm"), "-r", str(dpi), "-png"]
        args += (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
        subprocess.run(args + [str(pdf), str(Path(folder) / "page")], check=True)
        pages = []
        for png in sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1])):
            with Image.open(png) as image:
                found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            pages.append(sorted(b.text for b in found))
        return pages


def render_png(data, *, dpi=50, page=1):
    """One page as a PIL image (for looking at colours)."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = _tmp_pdf(data, folder)
        subprocess.run([_poppler("pdftoppm"), "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), str(pdf),
                        str(Path(folder) / "page")], check=True)
        png = next(Path(folder).glob("page-*.png"))
        with Image.open(png) as image:
            return image.convert("RGB").copy()


def text_runs(data):
    """[[run, …] per page]: each run is the characters drawn one after another on one baseline at one
    size (what one drawString wrote), as {text, x0, x1, top, bottom, size, fontname, page}."""
    pdfplumber = pytest.importorskip("pdfplumber", reason="pip install -e '.[test]' installs pdfplumber")
    import io

    pages = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            runs, run = [], None
            for char in page.chars:
                if not char["text"].strip():
                    if run:
                        run["text"] += " "
                    continue
                if (run and abs(char["bottom"] - run["bottom"]) < 0.5 and abs(char["size"] - run["size"]) < 0.05
                        and -1 < char["x0"] - run["x1"] < char["size"] * 1.5):
                    run["x1"] = max(run["x1"], char["x1"])
                    run["text"] += char["text"]
                else:
                    run = {key: char[key] for key in ("x0", "x1", "top", "bottom", "size", "fontname")}
                    run.update(text=char["text"], page=number)
                    runs.append(run)
            pages.append(runs)
    return pages


def ink_box(run):
    """The part of a run's font box that ink can reach (the font box has room above and below the glyphs)."""
    h = run["bottom"] - run["top"]
    return run["x0"], run["top"] + 0.1 * h, run["x1"], run["bottom"] - 0.1 * h


def overlapping_runs(data, *, tolerance=0.6):
    """[(page, text a, text b)] for every two text runs whose ink boxes overlap by more than `tolerance`
    points both ways: a value printed over its label, a warning over another line."""
    found = []
    for runs in text_runs(data):
        boxes = sorted(((ink_box(r), r) for r in runs), key=lambda item: item[0][0])
        for i, (a, run_a) in enumerate(boxes):
            for b, run_b in boxes[i + 1:]:
                if b[0] >= a[2] - tolerance:
                    break
                if min(a[2], b[2]) - max(a[0], b[0]) > tolerance and min(a[3], b[3]) - max(a[1], b[1]) > tolerance:
                    found.append((run_a["page"], run_a["text"][:60], run_b["text"][:60]))
    return found


def _font_files():
    """{PostScript name: path} of every font offline_print may embed (the PDF names fonts so)."""
    from fontTools.ttLib import TTFont

    from offline_print import fonts

    found = {}
    paths = list(fonts.SEARCH_PATHS) + [p for options in fonts.SCRIPT_FONTS.values() for p in options]
    for path, index in paths:
        if not Path(path).is_file():
            continue
        font = TTFont(path, fontNumber=index, lazy=True)
        name = font["name"].getDebugName(6)
        if name:
            found[name] = (path, index)
    return found


def glyph_gaps(data):
    """[(page, character, font)] for every character drawn in a font that has no glyph for it (a box,
    'tofu', on paper), checked with fontTools against the font files the PDF embeds."""
    pdfplumber = pytest.importorskip("pdfplumber", reason="pip install -e '.[test]' installs pdfplumber")
    ttlib = pytest.importorskip("fontTools.ttLib", reason="pip install -e '.[test]' installs fonttools")
    import io

    files, cmaps, gaps = _font_files(), {}, []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            for char in page.chars:
                name = char["fontname"].split("+", 1)[-1]
                if name not in cmaps:
                    base = name if name in files else name.rsplit("-", 1)[0]
                    if base not in files:
                        gaps.append((number, char["text"], f"{name} (not a known TrueType file)"))
                        cmaps[name] = None
                        continue
                    path, index = files[base]
                    cmaps[name] = set(ttlib.TTFont(path, fontNumber=index, lazy=True).getBestCmap())
                if cmaps[name] is None:
                    continue
                for ch in char["text"]:
                    if ch.strip() and ord(ch) not in cmaps[name]:
                        gaps.append((number, ch, name))
    return gaps


def unembedded_fonts(data):
    """Fonts pdffonts lists as not embedded."""
    return [name for name, embedded in pdf_fonts(data) if not embedded]
