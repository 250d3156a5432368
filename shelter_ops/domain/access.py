"""Who may do what: one table of rules, checked by the domain against the actor (DESIGN.md §2).

A view passes `actor=current_actor()`; the domain calls `require(actor, "edit_zones", shelter)`.
The system itself (CLI, demo, retention, tests calling the domain: an actor without a role) may do
everything. Lead and staff accounts act only on their own shelter; HQ on every shelter.
"""
from dataclasses import dataclass

from .errors import Conflict, Forbidden

HQ, LEAD, STAFF = "hq", "lead", "staff"
EVERYONE = (HQ, LEAD, STAFF)
HQ_ONLY = ("この操作は本部のみ行えます。", "Only HQ can do this.")
NOT_YOUR_ROLE = ("この操作を行う権限がありません。", "Your role cannot do this.")
LEAD_OR_HQ = ("この操作は避難所責任者か本部だけができます。", "Only a shelter lead or HQ can do this.")


@dataclass(frozen=True)
class Rule:
    roles: tuple
    ja: str
    en: str
    refusal: type = Forbidden  # a few refusals were always 409: "not now, ask HQ", kept as they were


# action -> who may do it. Add a row for a new action; never test a role anywhere else.
RULES = {
    # the registry (HQ's)
    "register_shelter": Rule((HQ,), "避難所の登録は本部が行います。", "Only HQ registers shelters."),
    "hide_shelter": Rule((HQ,), "公開・非公開の切り替えは本部が行います。", "Only HQ hides or shows a shelter."),
    "change_settings": Rule((HQ,), "この設定は本部が変更します。", "Only HQ changes this setting."),
    # the lifecycle (DOMAIN.md §2)
    "work_shelter": Rule(EVERYONE, "この避難所を操作する権限がありません。", "You do not have access to this shelter."),
    "open_directly": Rule((HQ,), "まず開設準備を始めてください（チェックリスト）。",
                          "Start opening first (the checklist).", Conflict),
    "begin_closing": Rule((HQ, LEAD), "閉鎖準備への切り替えは本部の決定です。責任者か本部が行います。",
                          "Closing is HQ's decision: a lead or HQ moves the shelter to Closing."),
    "close_shelter": Rule((HQ, LEAD), "閉鎖できるのは避難所責任者か本部です。", "Only the shelter lead or HQ can close it."),
    "reopen_shelter": Rule((HQ,), "閉鎖した避難所の再開設は本部の決定が必要です。",
                           "Only HQ can decide to reopen a closed shelter.", Conflict),
    # zones and levels: what HQ sends people by
    "edit_zones": Rule((HQ, LEAD), "区画の編集は責任者か本部が行います。", "Only a lead or HQ can edit zones."),
    "set_override": Rule((HQ, LEAD), "混雑度の手動設定は責任者か本部が行います。",
                         "Only a lead or HQ can set the level by hand."),
    # reception (the desk)
    "reserve_cards": Rule((HQ, LEAD), "紙カードの番号は責任者か本部が発行します。", "Only a lead or HQ reserves card numbers."),
    "confirm_count": Rule(EVERYONE, "この避難所を操作する権限がありません。", "You do not have access to this shelter."),
    # running a shelter
    "record_supplies": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "request_supplies": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "supply_request_accepted": Rule((HQ,), *HQ_ONLY),
    "supply_request_sent": Rule((HQ,), *HQ_ONLY),
    "supply_request_refused": Rule((HQ,), *HQ_ONLY),
    # the request's state narrows these two (supplies.TRANSITIONS: cancelling an accepted request is HQ's)
    "supply_request_cancelled": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "supply_request_received": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "write_log": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "announce": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "key_in_resident_request": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "handle_resident_request": Rule(EVERYONE, *NOT_YOUR_ROLE),
    "file_report": Rule(EVERYONE, *NOT_YOUR_ROLE),
    # closing (DOMAIN.md §2, §8) and HQ's safety inquiries
    "consolidate": Rule((HQ, LEAD), *LEAD_OR_HQ),
    "export_handover": Rule((HQ, LEAD), *LEAD_OR_HQ),
    "purge": Rule((HQ, LEAD), *LEAD_OR_HQ),
    "answer_inquiries": Rule((HQ,), "安否確認への回答は本部が行います。", "Only HQ answers safety inquiries."),
}

NOT_YOURS = ("この避難所を操作する権限がありません。", "You do not have access to this shelter.")


def _shelter_id(shelter):
    return shelter.get("id") if isinstance(shelter, dict) else shelter


def allowed(actor, action, shelter=None):
    """Whether `actor` may do `action` (on `shelter`, a row or an id, where the action is about one)."""
    try:
        require(actor, action, shelter)
    except (Forbidden, Conflict):
        return False
    return True


def require(actor, action, shelter=None):
    """Refuse unless `actor` may do `action` on `shelter`. :raise Forbidden: (or the rule's Conflict)"""
    from ..eventlog import actor_of

    rule = RULES[action]  # a KeyError here is a typo in the code, not a user's doing
    who = actor_of(actor)
    if who.is_system:
        return
    if who.role not in rule.roles:
        raise rule.refusal(rule.ja, rule.en)
    if shelter is not None and who.role != HQ and who.shelter_id != _shelter_id(shelter):
        raise Forbidden(*NOT_YOURS)


def require_access(user, shelter):
    """Lead and staff see only their own shelter; HQ sees all. :raise Forbidden:"""
    require(user, "work_shelter", shelter)


def acting(actor, role=None):
    """The Actor of a domain call: an Actor or a user record as it is, or a plain name with the role an older
    caller still passes beside it (actor="hq", role="hq"), acting on whatever shelter it names."""
    from dataclasses import replace

    from ..eventlog import actor_of

    who = actor_of(actor)
    if role is not None and who.is_system:
        who = replace(who, role=role)
    return who
