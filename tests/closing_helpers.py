"""A known roster for the reports, inquiries and closing tests."""
from shelter_ops.domain import households, shelters

NAMES = ("鎌倉太郎", "鎌倉花子", "由比ヶ浜一郎", "腰越秘子")
PHONES = ("0467-55-1234", "090-8765-4321")


def open_shelter(db, shelter):
    return shelters.transition(db, shelter["id"], "open", actor="hq", role="hq")


def family(db, shelter, *, consent="family", staying="shelter", non_disclosure=False, phone=PHONES[0],
           address="鎌倉市御成町1-1",
           people=(("鎌倉太郎", "かまくらたろう", "male", "1980-04-01", ["ILL"]),
                   ("鎌倉花子", "かまくらはなこ", "female", "1982-05-02", []))):
    """A checked-in household; every person gets `non_disclosure` when it is set."""
    persons = [{"name": n, "kana": k, "sex": s, "birth_date": b, "care_codes": c, "non_disclosure": non_disclosure}
               for n, k, s, b, c in people]
    return households.register(db, shelter["id"], {"phone": phone, "address": address, "consent": consent,
                                                   "staying": staying}, persons,
                               actor="desk", source="desk", status="checked_in")


def known_roster(db, shelter):
    """3 present in the shelter (2 men, 1 woman; one ILL, one INF), 2 households; 1 more at home."""
    open_shelter(db, shelter)
    a = family(db, shelter)
    b = family(db, shelter, consent="none", phone=PHONES[1],
               people=(("由比ヶ浜一郎", "ゆいがはまいちろう", "male", "2024-01-01", ["INF"]),))
    home = family(db, shelter, staying="home", people=(("材木座三郎", "ざいもくざさぶろう", "male", "1950-01-01", []),))
    return a, b, home
