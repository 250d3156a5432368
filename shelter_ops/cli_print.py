"""`shelter-ops print …`: the paper documents as PDF files, for a laptop with a printer and no network."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .db import get_db
from .domain import paper, shelters
from .domain.errors import DomainError

SIZE = click.option("--size", type=click.Choice(["A4", "A3"], case_sensitive=False), default="A4", show_default=True)


def _output(kind):
    return click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
                        help=f"PDF file to write (default: {kind}[-<共通ID>].pdf).")


def _write(data, output, kind, shelter=None):
    path = Path(output or paper.default_filename(kind, shelter))
    path.write_bytes(data)
    click.echo(f"wrote {path} ({len(data) // 1024} KB)")


def _shelter(ref):
    try:
        return shelters.get(get_db(), ref)
    except DomainError as error:
        raise click.ClickException(f"{error.ja}\n{error.en}") from None


def _font():
    return current_app.config.get("FONT_PATH") or ""


def _guard(func):
    """Domain refusals become a message, not a traceback."""
    import functools

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            raise click.ClickException(f"{error.ja}\n{error.en}") from None

    return wrapped


@click.group("print")
def print_group():
    """Print the paper documents (map, floor, poster, cards, roster, report, supplies, log) to PDF."""


@print_group.command("map")
@SIZE
@click.option("--landscape", is_flag=True, help="Landscape instead of portrait.")
@click.option("--no-sites", is_flag=True, help="Leave out the emergency evacuation sites.")
@_output("map")
@with_appcontext
@_guard
def print_map(size, landscape, no_sites, output):
    """The city paper map of every public shelter."""
    from offline_print import map as paper_map

    config = current_app.config
    data = paper.map_data(get_db(), config, with_sites=not no_sites)
    pdf = paper_map.render(
        data["shelters"], sites=data["sites"], layers=paper.map_layers(config),
        title=f"{config['MUNICIPALITY_NAME']} 避難所マップ", title_en=f"{config['MUNICIPALITY_NAME_EN']} shelter map",
        size=size.upper(), landscape=landscape, qr_url=data["qr_url"], printed_at=paper.printed_at(),
        data_date=data["data_date"], font_path=_font())
    _write(pdf, output, "map")


@print_group.command("floor")
@click.argument("shelter")
@SIZE
@_output("floor")
@with_appcontext
@_guard
def print_floor(shelter, size, output):
    """Floor map of SHELTER (共通ID or id)."""
    from offline_print import floor

    shelter = _shelter(shelter)
    data = paper.floor_data(get_db(), current_app.config, shelter)
    _write(floor.render(**data, size=size.upper(), printed_at=paper.printed_at(), font_path=_font()), output,
           "floor", shelter)


@print_group.command("poster")
@click.argument("shelter")
@SIZE
@_output("poster")
@with_appcontext
@_guard
def print_poster(shelter, size, output):
    """Door poster of SHELTER with its self-registration QR code."""
    from offline_print import poster

    shelter = _shelter(shelter)
    data = paper.poster_data(get_db(), current_app.config, shelter)
    _write(poster.render(**data, size=size.upper(), printed_at=paper.printed_at(), font_path=_font()), output,
           "poster", shelter)


@print_group.command("cards")
@click.argument("shelter")
@click.option("-n", "--count", type=int, default=20, show_default=True, help="How many cards (numbers reserved).")
@_output("cards")
@with_appcontext
@_guard
def print_cards(shelter, count, output):
    """N pre-numbered household cards for SHELTER (reserves a block of reception numbers)."""
    from offline_print import cards

    shelter = _shelter(shelter)
    numbers = paper.card_numbers(get_db(), shelter, count, actor="cli")
    _write(cards.render(numbers=numbers, shelter_name=shelter["name"], shelter_name_en=shelter["name_en"] or "",
                        printed_at=paper.printed_at(), font_path=_font()), output, "cards", shelter)


@print_group.command("roster")
@click.argument("shelter")
@click.option("--sensitive", is_flag=True, help="The lead's copy: care needs, health, and 非公開 persons (marked).")
@_output("roster")
@with_appcontext
@_guard
def print_roster(shelter, sensitive, output):
    """Roster of SHELTER by zone (the print is logged)."""
    from offline_print import roster

    shelter = _shelter(shelter)
    data = paper.roster_data(get_db(), shelter, sensitive=sensitive, actor="cli")
    _write(roster.render(**data, printed_at=paper.printed_at(), font_path=_font()), output,
           "roster-lead" if sensitive else "roster", shelter)


@print_group.command("report")
@click.argument("shelter")
@click.option("--blank", is_flag=True, help="The empty form, header only.")
@_output("report")
@with_appcontext
@_guard
def print_report(shelter, blank, output):
    """Status report (状況報告書) of SHELTER, pre-filled from live data."""
    from offline_print import forms

    shelter = _shelter(shelter)
    data = paper.report_data(get_db(), current_app.config, shelter, blank=blank)
    _write(forms.status_report(**data, printed_at=paper.printed_at(), font_path=_font()), output, "report", shelter)


@print_group.command("supplies")
@click.argument("shelter")
@_output("supplies")
@with_appcontext
@_guard
def print_supplies(shelter, output):
    """Supply request (物資要請書) of SHELTER with its open requests."""
    from offline_print import forms

    shelter = _shelter(shelter)
    data = paper.supplies_data(get_db(), current_app.config, shelter)
    _write(forms.supply_request(**data, printed_at=paper.printed_at(), font_path=_font()), output, "supplies",
           shelter)


@print_group.command("log")
@click.argument("shelter")
@click.option("--day", help="YYYY-MM-DD (default: today, Japan time).")
@_output("log")
@with_appcontext
@_guard
def print_log(shelter, day, output):
    """Daily log page (運営日誌) of SHELTER."""
    from offline_print import forms

    shelter = _shelter(shelter)
    data = paper.log_data(get_db(), current_app.config, shelter, day)
    _write(forms.daily_log(**data, printed_at=paper.printed_at(), font_path=_font()), output, "log", shelter)
