"""The words of a registration card (避難者カード): key -> (ja, en), and which columns are personal."""

HOUSEHOLD_STATUSES = {
    "pending": ("受付待ち", "Waiting at the desk"),
    "checked_in": ("入所中", "Checked in"),
    "checked_out": ("退所", "Checked out"),
    "transferred": ("移送", "Transferred"),
}
STAYING = {
    "shelter": ("避難所", "In the shelter"),
    "home": ("在宅", "At home"),
    "car": ("車中泊", "In a car"),
    "relatives": ("親戚・知人宅", "With relatives"),
    "other": ("その他", "Elsewhere"),
}
CONSENT = {
    "family": ("家族のみ", "Family only"),
    "acquaintances": ("知人にも", "Family and acquaintances"),
    "public": ("公開可", "Anyone"),
    "none": ("一切回答しない", "No one"),
}
SOURCES = {
    "door": ("入口QR", "Door QR"),
    "desk": ("受付", "Desk"),
    "paper": ("紙", "Paper"),
    "prereg": ("事前登録", "Pre-registration"),
}
HOME_DAMAGE = {
    "none": ("被害なし", "No damage"),
    "total": ("全壊", "Destroyed"),
    "half": ("半壊", "Half destroyed"),
    "partial": ("一部損壊", "Partly damaged"),
    "flooded_above": ("床上浸水", "Flooded above floor"),
    "flooded_below": ("床下浸水", "Flooded below floor"),
    "unknown": ("不明", "Unknown"),
}
SEXES = {"male": ("男", "Male"), "female": ("女", "Female"), "unanswered": ("回答しない", "Not answered")}
AGE_BANDS = {
    "infant": ("乳幼児（0〜5歳）", "Infant (0–5)"),
    "child": ("子ども（6〜17歳）", "Child (6–17)"),
    "adult": ("大人（18〜64歳）", "Adult (18–64)"),
    "elderly": ("高齢者（65歳以上）", "Elderly (65+)"),
    "unknown": ("不明", "Unknown"),
}
CARE_CODES = {
    "ILL": ("病気・けが", "Illness or injury"),
    "PRG": ("妊娠中・授乳中", "Pregnant or nursing"),
    "INF": ("乳幼児連れ", "With infants"),
    "DIS": ("障がい", "Disability"),
    "NUR": ("要介護", "Needs nursing care"),
    "MED": ("医療機器（透析・酸素など）", "Medical device (dialysis, oxygen)"),
    "ALG": ("アレルギー", "Allergy"),
    "FOR": ("日本語が不自由", "Limited Japanese"),
    "ELD": ("一人暮らしの高齢者", "Elderly living alone"),
}
ALLERGENS = {
    "卵": ("卵", "Egg"), "乳": ("乳", "Milk"), "小麦": ("小麦", "Wheat"), "落花生": ("落花生", "Peanut"),
    "そば": ("そば", "Buckwheat"), "えび": ("えび", "Shrimp"), "かに": ("かに", "Crab"),
}
PERSON_STATUSES = {"in": ("在所", "In"), "away": ("外泊中", "Away overnight"), "out": ("退所", "Out")}

# Every column that identifies or describes a person: the closing purge blanks exactly these.
PERSONAL_COLUMNS = {
    "households": ["address", "postcode", "phone", "emergency_contact", "home_damage", "pets", "vehicle",
                   "prereg_ref"],
    "persons": ["name", "kana", "birth_date", "age", "relation", "nationality", "language", "injury_illness",
                "care_codes", "allergens", "allergens_other", "medication", "medical_devices", "diet", "notes"],
}
# 要配慮個人情報 and health details: lead and hq only, never public.
SENSITIVE_COLUMNS = {
    "persons": ["injury_illness", "care_codes", "medication", "medical_devices", "allergens", "allergens_other",
                "diet"],
}
SENSITIVE_ROLES = ("lead", "hq")

HOUSEHOLD_FIELDS = ("staying", "zone_id", "address", "postcode", "phone", "emergency_contact", "home_damage",
                    "pets", "vehicle", "consent")
PERSON_FIELDS = ("name", "kana", "sex", "birth_date", "age", "relation", "nationality", "language",
                 "injury_illness", "care_codes", "allergens", "allergens_other", "medication", "medical_devices",
                 "diet", "notes", "non_disclosure")
MAX_PERSONS = 30

# Why people came or went (the movements projection): direction "in" or "out".
MOVEMENT_CAUSES = {
    "check-in": ("入所", "Check-in"),
    "check-out": ("退所", "Check-out"),
    "transfer": ("移送", "Transfer"),
    "head count": ("人数カウント", "Head count"),
    "consolidation": ("統合", "Consolidation"),
}
