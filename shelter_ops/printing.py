"""Every paper document by name: the domain's plain data handed to its offline_print renderer.
The tablet and HQ screens (web/printing.py) and `shelter-ops print` (cli/print.py) both print here."""
from offline_print import atlas, cards, floor, forms, map as paper_map, poster, roster

from .domain import paper

def render(kind, db, config, shelter=None, *, actor, size="A4", landscape=False, sites=True, count=20,
           sensitive=False, blank=False, day=None, reporter=None, atlas_by=None, base_url=None, lang="en"):
    """(PDF bytes, file name) of document `kind`: map (the atlas with atlas_by="grid" or
    "municipality"), or a shelter's floor, poster, cards, roster, report, supplies or log.

    base_url: the address the request came in on; printed QR codes use it when PUBLIC_URL is unset."""
    common = {"printed_at": paper.printed_at(), "font_path": config.get("FONT_PATH") or ""}
    if kind == "map":
        data = paper.map_data(db, config, with_sites=sites, base=base_url)
        if atlas_by:
            pdf = atlas.render_atlas(
                data["shelters"], by=atlas_by, layers=paper.map_layers(config),
                title=f"{config['MUNICIPALITY_NAME']} 避難所マップ", title_en=f"{config['MUNICIPALITY_NAME_EN']} shelter map",
                size=size, qr_url=data["qr_url"], data_date=data["data_date"], **common)
            return pdf, paper.default_filename("atlas")
        pdf = paper_map.render(
            data["shelters"], sites=data["sites"], layers=paper.map_layers(config),
            title=f"{config['MUNICIPALITY_NAME']} 避難所マップ", title_en=f"{config['MUNICIPALITY_NAME_EN']} shelter map",
            size=size, landscape=landscape, qr_url=data["qr_url"], data_date=data["data_date"], **common)
        return pdf, paper.default_filename("map")
    if kind == "floor":
        pdf = floor.render(**paper.floor_data(db, config, shelter), size=size, **common)
    elif kind == "poster":
        pdf = poster.render(**paper.poster_data(db, config, shelter, base_url), size=size, **common)
    elif kind == "cards":
        numbers = paper.card_numbers(db, shelter, count, actor=actor)
        pdf = cards.render(numbers=numbers, shelter_name=shelter["name"], shelter_name_en=shelter["name_en"] or "",
                           **paper.card_vocabulary(), lang=lang, **common)
    elif kind == "roster":
        pdf = roster.render(**paper.roster_data(db, shelter, sensitive=sensitive, actor=actor), **common)
        kind = "roster-lead" if sensitive else "roster"
    elif kind == "report":
        pdf = forms.status_report(**paper.report_data(db, config, shelter, blank=blank, reporter=reporter), **common)
    elif kind == "supplies":
        pdf = forms.supply_request(**paper.supplies_data(db, config, shelter), **common)
    elif kind == "log":
        pdf = forms.daily_log(**paper.log_data(db, config, shelter, day), **common)
    else:
        raise ValueError(f"no such document: {kind}")
    return pdf, paper.default_filename(kind, shelter)
