"""A prefecture's worth of designated shelters, shaped like the real thing: most points within a
few km of a few city centres, a long tail of small towns, messy names, real municipality codes.

Evenly spread synthetic points hide what clustering does to maps and lists (issue 13), so the
benchmarks and tests that need "1,500 shelters" take them from here.
"""
import math
import random

# (municipality code without check digit, name, centre lat, lon, weight ~ number of shelters,
# spread in km) — Kanagawa's cities and towns, weights roughly as their shelters are counted
MUNICIPALITIES = [
    ("14100", "横浜市", 35.4437, 139.6380, 460, 7.0),
    ("14130", "川崎市", 35.5308, 139.7029, 180, 5.0),
    ("14150", "相模原市", 35.5714, 139.3733, 120, 6.0),
    ("14201", "横須賀市", 35.2813, 139.6722, 90, 4.0),
    ("14203", "平塚市", 35.3353, 139.3497, 60, 3.0),
    ("14204", "鎌倉市", 35.3192, 139.5467, 25, 2.0),
    ("14205", "藤沢市", 35.3419, 139.4903, 80, 3.0),
    ("14206", "小田原市", 35.2646, 139.1522, 60, 3.5),
    ("14207", "茅ヶ崎市", 35.3339, 139.4044, 40, 2.0),
    ("14208", "逗子市", 35.2958, 139.5781, 15, 1.5),
    ("14210", "三浦市", 35.1442, 139.6206, 20, 2.5),
    ("14211", "秦野市", 35.3747, 139.2233, 40, 3.0),
    ("14212", "厚木市", 35.4431, 139.3622, 50, 3.5),
    ("14213", "大和市", 35.4872, 139.4581, 40, 2.0),
    ("14214", "伊勢原市", 35.3958, 139.3139, 25, 2.5),
    ("14215", "海老名市", 35.4464, 139.3908, 25, 2.0),
    ("14216", "座間市", 35.4886, 139.4075, 20, 1.5),
    ("14217", "南足柄市", 35.3211, 139.0997, 15, 3.0),
    ("14218", "綾瀬市", 35.4372, 139.4267, 15, 1.5),
    ("14301", "葉山町", 35.2722, 139.5861, 8, 1.5),
    ("14321", "寒川町", 35.3728, 139.3836, 8, 1.5),
    ("14341", "大磯町", 35.3064, 139.3114, 8, 1.5),
    ("14342", "二宮町", 35.2989, 139.2553, 6, 1.2),
    ("14361", "中井町", 35.3306, 139.2189, 5, 1.5),
    ("14362", "大井町", 35.3267, 139.1581, 5, 1.2),
    ("14363", "松田町", 35.3431, 139.1394, 5, 2.0),
    ("14364", "山北町", 35.3606, 139.0839, 8, 5.0),
    ("14366", "開成町", 35.3356, 139.1264, 4, 1.0),
    ("14382", "箱根町", 35.2325, 139.1069, 10, 4.0),
    ("14383", "真鶴町", 35.1583, 139.1378, 4, 1.0),
    ("14384", "湯河原町", 35.1478, 139.1086, 6, 2.0),
    ("14401", "愛川町", 35.5286, 139.3214, 8, 2.5),
    ("14402", "清川村", 35.4825, 139.2756, 3, 2.5),
]

KINDS = ["小学校", "中学校", "高等学校", "地区センター", "コミュニティセンター", "公民館", "体育館", "自治会館"]
TOWNS = ["本町", "中央", "東", "西", "南", "北", "緑が丘", "桜台", "若葉", "富士見", "旭", "栄", "港", "山手", "大原"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def check_digit(code5):
    """The local government code's check digit (weights 6,5,4,3,2; DOMAIN §7)."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2)))
    return str((11 - total % 11) % 10)


def _messy(name, rng):
    """Names as cities publish them: full-width digits, stray spaces, bracketed notes."""
    roll = rng.random()
    if roll < 0.15:
        name = name.translate(FULL_WIDTH)
    elif roll < 0.22:
        name = name.replace("学校", "学校 ")
    elif roll < 0.3:
        name += "（体育館）"
    return name


def clustered_shelters(n=1500, seed=13):
    """`n` shelters as dicts {kyotsu_id, municipality_code, municipality, name, address, lat, lon},
    distributed over MUNICIPALITIES by weight, each point a normal spread around its centre."""
    rng = random.Random(seed)
    weights = [m[4] for m in MUNICIPALITIES]
    total = sum(weights)
    counts = [max(1, round(n * w / total)) for w in weights]
    while sum(counts) > n:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < n:
        counts[0] += 1
    out = []
    for (code, city, lat, lon, _w, spread_km), count in zip(MUNICIPALITIES, counts):
        for serial in range(1, count + 1):
            distance = abs(rng.gauss(0, spread_km))
            angle = rng.uniform(0, 2 * math.pi)
            dlat = distance * math.cos(angle) / 111.0
            dlon = distance * math.sin(angle) / (111.0 * math.cos(math.radians(lat)))
            town = rng.choice(TOWNS)
            kind = rng.choice(KINDS)
            number = "" if kind.endswith("館") and rng.random() < 0.5 else f"第{rng.randint(1, 9)}"
            name = _messy(f"{city.rstrip('市町村')}市立{town}{number}{kind}" if city.endswith("市")
                          else f"{city}立{town}{kind}", rng)
            out.append({
                "kyotsu_id": f"E{code}{serial:05d}111",
                "municipality_code": code + check_digit(code),
                "municipality": city,
                "name": name,
                "address": f"神奈川県{city}{town}{rng.randint(1, 9)}-{rng.randint(1, 30)}",
                "lat": round(lat + dlat, 6),
                "lon": round(lon + dlon, 6),
            })
    return out


STATE_SHARES = (("standby", 0.55), ("open", 0.3), ("opening", 0.06), ("closing", 0.05), ("closed", 0.04))


def load(db, rows, *, seed=13, open_people=True):
    """Insert `rows` as shelters with one gymnasium each, in a realistic mix of states; open ones
    get people counted in (headcounts) so every level appears. Returns the shelter ids."""
    from shelter_ops.db import new_id, now, write

    rng = random.Random(seed)
    ids = []
    stamp = now()
    with write(db):
        for row in rows:
            roll, state = rng.random(), "standby"
            for name, share in STATE_SHARES:
                if roll < share:
                    state = name
                    break
                roll -= share
            shelter_id = new_id()
            ids.append(shelter_id)
            db["shelters"].insert({
                "id": shelter_id, "kyotsu_id": row["kyotsu_id"], "municipality_code": row["municipality_code"],
                "name": row["name"], "name_en": None, "address": row["address"], "lat": row["lat"],
                "lon": row["lon"], "kind": "general", "state": state, "hidden": 0,
                "opened_at": stamp if state in ("open", "closing") else None, "state_changed_at": stamp,
                "updated_at": stamp})
            m2 = rng.choice((350.0, 500.0, 700.0, 900.0))
            db["zones"].insert({"id": new_id(), "shelter_id": shelter_id, "name": "体育館", "kind": "general",
                                "usable_m2": m2, "blocked_places": 0, "position": 0, "updated_at": stamp})
            if open_people and state in ("open", "closing"):
                places = int(m2 / 3.5)
                heads = int(places * rng.choice((0.1, 0.4, 0.7, 0.9)))
                if heads:
                    db["headcounts"].insert({"id": new_id(), "shelter_id": shelter_id, "zone_id": None,
                                             "sex": "unanswered", "age_band": "unknown", "delta": heads,
                                             "at": stamp, "actor": "bench"})
    return ids
