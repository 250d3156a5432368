"""Helpers for the check-in tests: an open shelter, a door registration, a photographed QR."""
import io
import random
import re

from shelter_ops.domain import shelters


def open_shelter(db, shelter):
    """Open the shelter as HQ would on an earthquake morning (through the domain, so replay rebuilds it)."""
    return shelters.transition(db, shelter["id"], "open", actor="system")


DOOR_FORM = {"staying": "shelter", "address": "鎌倉市御成町18-10", "phone": "0467-23-3000", "consent": "family",
             "p0_name": "鎌倉 花子", "p0_kana": "かまくら はなこ", "p0_sex": "female", "p0_age": "72",
             "p0_care": ["MED"], "p0_medical_devices": "在宅酸素", "p0_allergens": ["卵"],
             "p1_name": "鎌倉 太郎", "p1_sex": "male", "p1_age": "８"}


def number_on(page):
    match = re.search(r'data-testid="number">([0-9A-Z-]+)<', page)
    assert match, "no reception number on the page"
    return match.group(1)


def photo_of_qr(text, *, seed=1, angle=17, size=(1600, 1200)):
    """A simulated phone photo: the QR rendered, scaled, rotated, pasted on a grey noisy background, JPEG."""
    import qrcode
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    side = int(min(size) * 0.4)  # the code fills a fair part of the frame, as when someone aims at it
    image = qr.make_image().convert("L").resize((side, side))
    image = image.rotate(angle, expand=True, fillcolor=255)
    background = Image.new("L", size, 150)
    noise = Image.effect_noise(size, 40)
    background = Image.blend(background, noise, 0.35)
    background.paste(image, (rng.randint(50, size[0] - image.width - 50), rng.randint(50, size[1] - image.height - 50)))
    background = background.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    background.convert("RGB").save(out, format="JPEG", quality=70)
    return out.getvalue()
