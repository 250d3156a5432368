"""`shelter-ops print …`: the paper documents as PDF files, for a laptop with a printer and no network."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from offline_print import labels

from .. import printing
from ..db import get_db
from ..domain import shelters
from ..domain.errors import DomainError

SIZE = click.option("--size", type=click.Choice(["A4", "A3"], case_sensitive=False), default="A4", show_default=True)


def _output(kind):
    return click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
                        help=f"PDF file to write (default: {kind}[-<共通ID>].pdf).")


def _print(kind, shelter_ref, output, **options):
    """Render document `kind` (of the shelter `shelter_ref`, if any) and write it to `output`.
    From the command line there is no request to take an address from: documents with a QR code to
    the app (map, poster) need PUBLIC_URL, and are refused without it."""
    shelter = _shelter(shelter_ref) if shelter_ref else None
    data, filename = printing.render(kind, get_db(), current_app.config, shelter, actor="cli", **options)
    path = Path(output or filename)
    path.write_bytes(data)
    click.echo(f"wrote {path} ({len(data) // 1024} KB)")


def _shelter(ref):
    try:
        return shelters.get(get_db(), ref)
    except DomainError as error:
        raise click.ClickException(f"{error.ja}\n{error.en}") from None


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
@click.option("--atlas", "atlas", is_flag=True,
              help="An atlas: overview with a sheet grid, one sheet per grid cell (or municipality), the index.")
@click.option("--by", "by", type=click.Choice(["grid", "municipality"]), default="grid", show_default=True,
              help="With --atlas: one sheet per grid cell or per municipality (共通ID's code).")
@_output("map")
@with_appcontext
@_guard
def print_map(size, landscape, no_sites, atlas, by, output):
    """The city paper map of every public shelter (a prefecture: --atlas)."""
    _print("map", None, output, size=size.upper(), landscape=landscape, sites=not no_sites,
           atlas_by=by if atlas else None)


@print_group.command("floor")
@click.argument("shelter")
@SIZE
@_output("floor")
@with_appcontext
@_guard
def print_floor(shelter, size, output):
    """Floor map of SHELTER (共通ID or id)."""
    _print("floor", shelter, output, size=size.upper())


@print_group.command("poster")
@click.argument("shelter")
@SIZE
@_output("poster")
@with_appcontext
@_guard
def print_poster(shelter, size, output):
    """Door poster of SHELTER with its self-registration QR code."""
    _print("poster", shelter, output, size=size.upper())


@print_group.command("cards")
@click.argument("shelter")
@click.option("-n", "--count", type=int, default=20, show_default=True, help="How many cards (numbers reserved).")
@click.option("--lang", type=click.Choice(list(labels.languages())), default=labels.DEFAULT, show_default=True,
              help="The evacuee's language, printed beside the Japanese labels.")
@_output("cards")
@with_appcontext
@_guard
def print_cards(shelter, count, lang, output):
    """N pre-numbered household cards for SHELTER (reserves a block of reception numbers)."""
    _print("cards", shelter, output, count=count, lang=lang)


@print_group.command("roster")
@click.argument("shelter")
@click.option("--sensitive", is_flag=True, help="The lead's copy: care needs, health, and 非公開 persons (marked).")
@_output("roster")
@with_appcontext
@_guard
def print_roster(shelter, sensitive, output):
    """Roster of SHELTER by zone (the print is logged)."""
    _print("roster", shelter, output, sensitive=sensitive)


@print_group.command("report")
@click.argument("shelter")
@click.option("--blank", is_flag=True, help="The empty form, header only.")
@click.option("--reporter", default=None, help="Name written in 報告者 (Reporter) on the pre-filled report.")
@_output("report")
@with_appcontext
@_guard
def print_report(shelter, blank, reporter, output):
    """Status report (状況報告書) of SHELTER, pre-filled from live data."""
    _print("report", shelter, output, blank=blank, reporter=reporter)


@print_group.command("supplies")
@click.argument("shelter")
@_output("supplies")
@with_appcontext
@_guard
def print_supplies(shelter, output):
    """Supply request (物資要請書) of SHELTER with its open requests."""
    _print("supplies", shelter, output)


@print_group.command("log")
@click.argument("shelter")
@click.option("--day", help="YYYY-MM-DD (default: today, Japan time).")
@_output("log")
@with_appcontext
@_guard
def print_log(shelter, day, output):
    """Daily log page (運営日誌) of SHELTER."""
    _print("log", shelter, output, day=day)
