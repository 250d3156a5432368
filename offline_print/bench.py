"""Render times of the heavy documents from generated plain data (no database): python -m offline_print.bench

The map and the atlas of 1,500 shelters clustered like a prefecture's, 500 household cards and a roster of 2,000 people, each rendered
`runs` times; prints the median wall and CPU seconds and returns them as a dict for bench/bench_pdfs.py.
"""
import argparse
import random
import statistics
import time

from . import cards, map as paper_map, roster

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXY"  # the reception-number alphabet (shelter_ops.domain.codes)


def shelters(n=1500, seed=1):
    """n shelters spread over a Kamakura-sized area, in every state and level."""
    rng = random.Random(seed)
    return [{"name": f"避難所{i:04d}", "name_en": f"Shelter {i}", "lat": 35.28 + rng.random() * 0.08,
             "lon": 139.50 + rng.random() * 0.10, "state": rng.choice(["open", "open", "standby", "opening"]),
             "level": rng.choice(["vacant", "some", "crowded", "full", None]), "capacity": rng.randint(20, 900)}
            for i in range(1, n + 1)]


# (name, lat, lon, municipality code, share of the shelters, spread in km): a prefecture's towns
TOWNS = [("長野市", 36.648, 138.194, "20201", 0.28, 4.0), ("松本市", 36.238, 137.972, "20202", 0.2, 3.5),
         ("上田市", 36.402, 138.249, "20203", 0.12, 3.0), ("飯田市", 35.515, 137.822, "20205", 0.09, 2.5),
         ("佐久市", 36.249, 138.477, "20217", 0.08, 3.0), ("諏訪市", 36.039, 138.114, "20206", 0.07, 2.0),
         ("伊那市", 35.828, 137.954, "20209", 0.06, 2.5)]
VILLAGES = ("20321", "20385", "20402", "20422", "20432", "20446", "20448", "20450")  # remote municipalities
KINDS = ["小学校", "中学校", "高等学校", "公民館", "地区センター", "体育館", "コミュニティセンター", "集会所"]


def prefecture_shelters(n=1500, seed=1):
    """n shelters clustered like a real prefecture's: most within a few km of a few town centres,
    some in remote villages; long, messy names; 共通ID with the municipality code; every state and level."""
    rng = random.Random(seed)
    out = []
    serials = {}
    for i in range(1, n + 1):
        if rng.random() < 0.88:
            town = rng.choices(TOWNS, weights=[t[4] for t in TOWNS])[0]
            name_town, lat0, lon0, code, _, km = town
            lat = lat0 + rng.gauss(0, km / 111.0)
            lon = lon0 + rng.gauss(0, km / 90.0)
        else:
            code = rng.choice(VILLAGES)
            name_town = f"村{code[-3:]}"
            lat, lon = 35.4 + rng.random() * 1.4, 137.6 + rng.random() * 1.0
        serials[code] = serials.get(code, 0) + 1
        kind = rng.choice(KINDS)
        name = f"{name_town}立第{rng.randint(1, 40)}{kind}" if rng.random() < 0.6 else \
            f"旧{name_town}{rng.choice('東西南北中')}部{kind}（地区防災拠点・体育館棟を含む）"
        out.append({"name": name, "name_en": "" if rng.random() < 0.3 else f"{kind} No. {i}",
                    "lat": lat, "lon": lon, "ref": f"E{code}{serials[code]:05d}11{rng.choice('123456789')}",
                    "state": rng.choice(["open", "open", "open", "standby", "opening", "closing", "closed"]),
                    "level": rng.choice(["vacant", "some", "crowded", "full", None]),
                    "capacity": rng.randint(20, 1200)})
    return out


def vocabulary():
    """The card's tick-box words from the domain (the benchmark prints what the app prints)."""
    from shelter_ops.domain import households

    return {"care_codes": households.CARE_CODES, "allergens": list(households.ALLERGENS)}


def numbers(n=500, seed=1):
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(7)) for _ in range(n)]


def roster_zones(people=2000, zones=8, seed=1):
    """Households of 1–5 persons over `zones` zones, `people` persons in all, sensitive fields filled."""
    rng = random.Random(seed)
    out = [{"name": f"区画{z + 1}", "households": []} for z in range(zones)]
    count = 0
    while count < people:
        size = min(rng.randint(1, 5), people - count)
        household = {"number": f"{rng.choice(ALPHABET)}{count:03d}-XYZ", "checked_in_at": "2026-11-22T01:00:00+00:00",
                     "persons": [{"name": f"避難 太郎{count + p}", "kana": "ひなん たろう", "sex": rng.choice("男女"),
                                  "age": rng.randint(0, 95), "relation": "本人" if p == 0 else "家族",
                                  "non_disclosure": rng.random() < 0.01, "care": rng.choice(["", "ALG", "NUR MED"]),
                                  "health": rng.choice(["", "卵・乳", "インスリン"])} for p in range(size)]}
        rng.choice(out)["households"].append(household)
        count += size
    return out


def _time(func, runs):
    """(median wall seconds, median CPU seconds, PDF bytes): CPU time is what a busy machine cannot inflate."""
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        data = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu), len(data)


def measure(runs=3):
    """{name: (median wall seconds, median CPU seconds, PDF bytes)} for the heavy documents."""
    from . import atlas

    sample_shelters, sample_numbers, sample_zones = prefecture_shelters(), numbers(), roster_zones()
    for number, s in enumerate(sorted(sample_shelters, key=lambda s: s["ref"]), 1):
        s["number"] = number
    url = "http://192.168.1.10:5000/public/"
    return {
        "map, 1,500 clustered shelters (A4)": _time(lambda: paper_map.render(sample_shelters, qr_url=url), runs),
        "map, 1,500 clustered shelters (A3 landscape)": _time(lambda: paper_map.render(
            sample_shelters, qr_url=url, size="A3", landscape=True), runs),
        "atlas, 1,500 clustered shelters": _time(lambda: atlas.render_atlas(sample_shelters, qr_url=url), runs),
        "500 household cards": _time(lambda: cards.render(numbers=sample_numbers, shelter_name="第一小学校", **vocabulary()),
                                     runs),
        "roster, 2,000 people (lead's copy)": _time(lambda: roster.render(shelter_name="第一小学校", zones=sample_zones,
                                                                          sensitive=True), runs),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for name, (seconds, cpu, size) in measure(args.runs).items():
        print(f"{name:40} {seconds:6.2f} s wall  {cpu:6.2f} s CPU  {size / 1024:6.0f} KB")


if __name__ == "__main__":
    main()
