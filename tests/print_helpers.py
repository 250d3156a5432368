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
