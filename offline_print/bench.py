"""Render times of the heavy documents from generated plain data (no database): python -m offline_print.bench

The map with 1,500 shelters, 500 household cards and a roster of 2,000 people, each rendered
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
    sample_shelters, sample_numbers, sample_zones = shelters(), numbers(), roster_zones()
    return {
        "map, 1,500 shelters (A4)": _time(lambda: paper_map.render(sample_shelters, qr_url="http://127.0.0.1:5000/public/"),
                                          runs),
        "map, 1,500 shelters (A3 landscape)": _time(lambda: paper_map.render(
            sample_shelters, qr_url="http://127.0.0.1:5000/public/", size="A3", landscape=True), runs),
        "500 household cards": _time(lambda: cards.render(numbers=sample_numbers, shelter_name="第一小学校"), runs),
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
