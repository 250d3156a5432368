"""Third-party browser files: copied from node_modules at set-up, checked at start-up."""
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
INSTALL_COMMAND = "make setup  (npm install && python -m shelter_ops.vendor install)"

# vendor file name -> path inside node_modules
FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    # live camera at the desk (HTTPS only); the .wasm is served from here, never from a CDN
    "barcode-detector.ponyfill.js": "barcode-detector/dist/iife/ponyfill.js",
    "zxing_reader.wasm": "zxing-wasm/dist/reader/zxing_reader.wasm",
}


def missing():
    """Names of the vendor files that are not in place."""
    return [name for name in FILES if not (VENDOR_DIR / name).is_file()]


def install(node_modules=ROOT / "node_modules"):
    """Copy every listed file from node_modules into static/vendor/."""
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    for name, source in FILES.items():
        shutil.copyfile(Path(node_modules) / source, VENDOR_DIR / name)


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        install()
        print(f"copied {len(FILES)} browser files into {VENDOR_DIR}")
    else:
        print("usage: python -m shelter_ops.vendor install", file=sys.stderr)
        sys.exit(2)
