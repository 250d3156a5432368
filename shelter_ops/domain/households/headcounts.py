"""Count-only registration: a head count by sex and age band, one tap per person, no personal data."""
from ...db import write
from ...eventlog import applies, done, emit
from .. import access
from ..errors import Conflict, Invalid
from .cards import clean_choice, require_open
from .movements import record
from .vocabulary import AGE_BANDS, SEXES


def count_head(db, shelter_id, sex, band, *, actor, delta=1, zone_id=None, request_id=None):
    """One tap in count-only mode: +1 arrives, -1 leaves. No personal data. Returns the shelter's head total."""
    from .. import shelters

    sex = clean_choice(sex, SEXES, "unanswered", "性別", "sex")
    band = clean_choice(band, AGE_BANDS, "unknown", "年齢層", "age band")
    if delta not in (1, -1):
        raise Invalid("1人ずつ数えてください。", "Count one person at a time.")
    with write(db):
        if done(db, request_id) is None:
            access.require(actor, "work_shelter", shelter_id)
            if delta == 1:
                require_open(shelters.get(db, shelter_id))
            elif _group(db, shelter_id, sex, band) <= 0:
                raise Conflict("この区分の人数はすでに0です。", "Nobody of this group is counted.")
            emit(db, "headcount.arrived" if delta == 1 else "headcount.left",
                 {"sex": sex, "age_band": band, "zone_id": zone_id, "delta": delta, "cause": "head count"},
                 actor=actor, shelter_id=shelter_id, op=request_id)
    return headcounts(db, shelter_id)


def _group(db, shelter_id, sex, band):
    return db.execute("select coalesce(sum(delta), 0) from headcounts where shelter_id = ? and sex = ? "
                      "and age_band = ?", [shelter_id, sex, band]).fetchone()[0]


def move_heads(db, from_id, to_id, *, actor):
    """Consolidation: every counted head of A leaves A and arrives at B, one event per group each way."""
    heads = 0
    with write(db):
        for (sex, band), n in sorted(headcounts(db, from_id)["groups"].items()):
            if n <= 0:
                continue
            for shelter_id, delta in ((from_id, -n), (to_id, n)):
                emit(db, "headcount.left" if delta < 0 else "headcount.arrived",
                     {"sex": sex, "age_band": band, "zone_id": None, "delta": delta, "cause": "consolidation"},
                     actor=actor, shelter_id=shelter_id)
            heads += n
    return heads


def _apply_head(db, e):
    delta = e.data["delta"]
    db.execute("insert into headcounts (id, shelter_id, zone_id, sex, age_band, delta, at, actor) "
               "values (?, ?, ?, ?, ?, ?, ?, ?)",
               [e.id, e.shelter_id, e.data.get("zone_id"), e.data["sex"], e.data["age_band"], delta, e.at, e.actor.user])
    record(db, e, shelter_id=e.shelter_id, direction="in" if delta > 0 else "out", persons=abs(delta),
           cause=e.data.get("cause") or "head count")


applies("headcount.arrived")(_apply_head)
applies("headcount.left")(_apply_head)


def headcounts(db, shelter_id):
    """Count-only heads present: {"total": n, "groups": {(sex, band): n}}."""
    rows = db.execute("select sex, age_band, sum(delta) from headcounts where shelter_id = ? group by sex, age_band",
                      [shelter_id]).fetchall()
    groups = {(sex, band): n for sex, band, n in rows if n}
    return {"total": sum(groups.values()), "groups": groups}
