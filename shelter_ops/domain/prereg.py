"""Home pre-registration: a self-contained QR sealed (AES-GCM) with the municipality's key.

Any shelter server holding the same key (setting PREREG_KEY) reads it without having seen the
household and without a network. The text is PREFIX + base32 (upper case, no padding) so the QR
stays in alphanumeric mode and a keyboard-wedge scanner under a Japanese IME types it intact.
"""
import base64
import hashlib
import json
import os
import zlib

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import Invalid

PREFIX = "SOP1"  # shelter-ops pre-registration, format 1
NONCE_BYTES = 12

# short keys keep the QR small (a family of four fits in a version ~12 QR at level M)
HOUSEHOLD_KEYS = {"address": "a", "postcode": "z", "phone": "p", "emergency_contact": "e", "staying": "s",
                  "pets": "t", "vehicle": "v", "consent": "c", "home_damage": "d"}
PERSON_KEYS = {"name": "n", "kana": "k", "sex": "x", "birth_date": "b", "age": "g", "relation": "r",
               "nationality": "na", "language": "l", "injury_illness": "i", "care_codes": "cc",
               "allergens": "al", "allergens_other": "ao", "medication": "m", "medical_devices": "md",
               "diet": "dt", "notes": "no", "non_disclosure": "h"}


def generate_key():
    """A new key for PREREG_KEY (base64 of 32 random bytes)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _aes(key):
    if isinstance(key, str):
        try:
            raw = base64.b64decode(key.strip(), validate=True)
        except (ValueError, TypeError):
            raw = b""
    else:
        raw = bytes(key or b"")
    if len(raw) not in (16, 24, 32):
        raise Invalid("事前登録の鍵（PREREG_KEY）が設定されていないか正しくありません。",
                      "The pre-registration key (PREREG_KEY) is missing or not valid.")
    return AESGCM(raw)


def _pack(data, keys):
    return {keys[k]: v for k, v in data.items() if k in keys and v not in (None, "", [], 0, False)}


def _unpack(data, keys):
    back = {v: k for k, v in keys.items()}
    return {back[k]: v for k, v in data.items() if k in back}


def seal(key, household, persons):
    """The QR text for this household and its persons: encrypted and authenticated with `key`."""
    body = {"h": _pack(household, HOUSEHOLD_KEYS), "p": [_pack(p, PERSON_KEYS) for p in persons]}
    plain = zlib.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), 9)
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + _aes(key).encrypt(nonce, plain, PREFIX.encode())
    return PREFIX + base64.b32encode(sealed).decode().rstrip("=")


def looks_sealed(text):
    return isinstance(text, str) and text.startswith(PREFIX) and len(text) > len(PREFIX) + 40


def fingerprint(text):
    """A stable reference of one sealed card: a second scan of the same QR finds its household."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def open_sealed(key, text):
    """(household, persons) from a sealed QR text. :raise Invalid: wrong key, tampered or truncated."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise Invalid("事前登録のQRコードではありません。", "This is not a pre-registration QR code.")
    aes = _aes(key)
    body = text[len(PREFIX):]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) < NONCE_BYTES + 16:
        raise Invalid("事前登録のQRコードが途中までしか読み取れていません。もう一度読み取ってください。",
                      "The pre-registration QR code was read only in part. Scan it again.")
    try:
        plain = aes.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], PREFIX.encode())
        data = json.loads(zlib.decompress(plain).decode())
    except Exception:  # InvalidTag, or anything odd inside: the card is refused either way
        raise Invalid("事前登録のQRコードを確認できません（別の市区町村の鍵、改ざん、または読み取りの欠け）。",
                      "This pre-registration QR code cannot be verified (another city's key, altered, "
                      "or read only in part).") from None
    household = _unpack(data.get("h") or {}, HOUSEHOLD_KEYS)
    persons = [_unpack(p, PERSON_KEYS) for p in data.get("p") or []]
    return household, persons
