"""The shelter-ops command: import, users, tokens, demo data (and more, added by each area)."""
import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from .db import get_db
from .domain import accounts
from .domain.errors import DomainError


def _fail(error):
    raise click.ClickException(f"{error.ja}\n{error.en}")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def import_command(files, quiet):
    """Import shelters or emergency sites from GSI / Digital Agency CSV or GeoJSON files."""
    from .importers import import_file

    failed = False
    for path in files:
        report = import_file(get_db(), path, actor="cli", progress=not quiet)
        click.echo(report.text())  # summary, then each problem: file:line [column] "value" ja / en
        failed = failed or not report.ok
    if failed:
        sys.exit(1)


@click.group("users")
def users_group():
    """Staff accounts."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(list(accounts.ROLES)), required=True)
@click.option("--shelter", "shelter_ref", help="共通ID (or id) of the shelter, for lead and staff.")
@with_appcontext
def users_add(name, role, shelter_ref):
    """Add an account; the password is read from standard input."""
    from .domain import shelters

    password = click.prompt("Password", hide_input=True) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    db = get_db()
    try:
        shelter_id = shelters.get(db, shelter_ref)["id"] if shelter_ref else None
        user = accounts.add_user(db, name, password, role, shelter_id=shelter_id, actor="cli")
    except DomainError as error:
        _fail(error)
    click.echo(f"added {user['name']} ({user['role']})")


@click.group("tokens")
def tokens_group():
    """API tokens."""


@tokens_group.command("create")
@click.argument("name")
@with_appcontext
def tokens_create(name):
    """Create an API token for user NAME and print it (shown once)."""
    try:
        click.echo(accounts.create_token(get_db(), name, actor="cli"))
    except DomainError as error:
        _fail(error)


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo municipality into an empty database."""
    from .demo import load_if_empty

    for line in load_if_empty(get_db()):
        click.echo(line)


def register_commands(app):
    from .backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from .cli_print import print_group

    app.cli.add_command(print_group)
    from .cli_purge import purge_command
    from .cli_events import events_group

    app.cli.add_command(events_group)

    app.cli.add_command(purge_command)
    from .cli_export import export_group

    app.cli.add_command(export_group)
    for command in (import_command, users_group, tokens_group, demo_command):
        app.cli.add_command(command)


def main():
    from . import create_app

    FlaskGroup(create_app=create_app, add_default_commands=False, help="Run disaster evacuation shelters.")()
