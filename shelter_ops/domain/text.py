"""Free text typed by people: normalised, checked for presence and length, refused in ja and en."""
import unicodedata

from .errors import Invalid


def free_text(value, ja, en, *, required=True, limit=1000, fold=False):
    """`value` as clean text. `ja`/`en` name the field in refusals. `fold` applies NFKC (item names,
    numbers typed full-width); otherwise NFC, so prose keeps its full-width punctuation as written."""
    text = unicodedata.normalize("NFKC" if fold else "NFC", str(value or "")).strip()
    if required and not text:
        raise Invalid(f"{ja}を入力してください。", f"Enter the {en}.")
    if len(text) > limit:
        raise Invalid(f"{ja}は{limit}文字以内にしてください。", f"The {en} can have at most {limit} characters.")
    return text
