"""The shelter-ops command: import, users, tokens, demo data, tls here; the other groups in this package
(backup, print, purge, events, node and sync, export), each in its own module, all registered below."""
import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from ..db import get_db
from ..domain import accounts
from ..domain.errors import DomainError


def _fail(error):
    raise click.ClickException(f"{error.ja}\n{error.en}")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def import_command(files, quiet):
    """Import shelters or emergency sites from GSI / Digital Agency CSV or GeoJSON files."""
    from ..importers import import_file

    failed = False
    for path in files:
        report = import_file(get_db(), path, actor="cli", progress=not quiet)
        click.echo(report.text())  # summary, then each problem: file:line [column] "value" ja / en
        failed = failed or not report.ok
    if failed:
        sys.exit(1)


def _read_password():
    """From the terminal (asked twice, not echoed), or the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


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
    from ..domain import shelters

    password = _read_password()
    db = get_db()
    try:
        shelter_id = shelters.get(db, shelter_ref)["id"] if shelter_ref else None
        user = accounts.add_user(db, name, password, role, shelter_id=shelter_id, actor="cli")
    except DomainError as error:
        _fail(error)
    click.echo(f"added {user['name']} ({user['role']})")


@users_group.command("list")
@with_appcontext
def users_list():
    """Every account: name, role, shelter, and whether it is disabled."""
    for user in accounts.list_users(get_db()):
        state = f"disabled {user['disabled_at']}" if user["disabled_at"] else "enabled"
        click.echo(f"{user['name']}\t{user['role']}\t{user['shelter_id'] or '-'}\t{state}")


@users_group.command("passwd")
@click.argument("name")
@with_appcontext
def users_passwd(name):
    """Set a new password (read like `users add`); the user's open sessions end."""
    try:
        accounts.set_password(get_db(), name, _read_password(), actor="cli")
    except DomainError as error:
        _fail(error)
    click.echo(f"password changed for {name}; signed out everywhere")


@users_group.command("disable")
@click.argument("name")
@with_appcontext
def users_disable(name):
    """Disable an account: its sessions and API tokens stop working at once."""
    try:
        accounts.set_disabled(get_db(), name, True, actor="cli")
    except DomainError as error:
        _fail(error)
    click.echo(f"disabled {name}")


@users_group.command("enable")
@click.argument("name")
@with_appcontext
def users_enable(name):
    """Enable a disabled account again (it signs in anew; its tokens work again)."""
    try:
        accounts.set_disabled(get_db(), name, False, actor="cli")
    except DomainError as error:
        _fail(error)
    click.echo(f"enabled {name}")


@click.group("tokens")
def tokens_group():
    """API tokens."""


@tokens_group.command("list")
@with_appcontext
def tokens_list():
    """Every token's id, user, role and creation time (the tokens themselves are never stored)."""
    for token in accounts.list_tokens(get_db()):
        note = "\t(user disabled)" if token["disabled_at"] else ""
        click.echo(f"{token['id']}\t{token['user']}\t{token['role']}\t{token['created_at']}{note}")


@tokens_group.command("revoke")
@click.argument("token_id")
@with_appcontext
def tokens_revoke(token_id):
    """Revoke the token with this id (as `tokens list` shows it; its first 8 characters suffice)."""
    try:
        click.echo(f"revoked {accounts.revoke_token(get_db(), token_id, actor='cli')}")
    except DomainError as error:
        _fail(error)


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
    """Load the demo municipality into an empty database (refused in production)."""
    from flask import current_app

    from ..demo import load_if_empty

    if current_app.config["ENV"] == "production":
        raise click.ClickException("本番モード（SHELTER_OPS_ENV=production）ではデモデータを読み込みません。\n"
                                   "Production (SHELTER_OPS_ENV=production) never loads the demo data.")

    for line in load_if_empty(get_db()):
        click.echo(line)


@click.group("tls")
def tls_group():
    """HTTPS for a shelter LAN: a local CA and a certificate for this node's address."""


@tls_group.command("init")
@click.option("--dir", "folder", type=click.Path(file_okay=False), help="Where to write (default: tls/ beside the database).")
@click.option("--ip", "addresses", multiple=True, help="An address the devices use (default: this machine's LAN address).")
@click.option("--name", "names", multiple=True, help="A host name the devices use (e.g. shelter.local).")
@click.option("--port", default=443, show_default=True, help="The HTTPS port, for the address printed.")
@with_appcontext
def tls_init(folder, addresses, names, port):
    """Make a CA (once) and a server certificate for the LAN address; print how to trust it."""
    import ipaddress
    from pathlib import Path

    from flask import current_app

    from .. import tls

    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise click.BadParameter(f"{address} はIPアドレスではありません / is not an IP address", param_hint="--ip")
    folder = Path(folder) if folder else Path(current_app.config["DB"]).resolve().parent / "tls"
    result = tls.init(folder, addresses=list(addresses) or None, names=names)
    click.echo(tls.instructions(result, port=port))


FLASK_OPTIONS = ("app", "env_file", "debug", "version")  # FlaskGroup's own options: not ours to offer


def register_commands(app):
    from .backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from .print import print_group

    app.cli.add_command(print_group)
    from .purge import purge_command
    from .events import events_group
    from .node import node_group, sync_group

    app.cli.add_command(events_group)
    app.cli.add_command(node_group)
    app.cli.add_command(sync_group)

    app.cli.add_command(purge_command)
    from .export import export_group

    app.cli.add_command(export_group)
    for command in (import_command, users_group, tokens_group, demo_command, tls_group):
        app.cli.add_command(command)


def command_group():
    """The shelter-ops command: our commands only, without Flask's --app/--env-file/--debug/--version."""
    from .. import UnsafeStart, create_app

    def cli_app():
        try:
            return create_app(serving=False)  # production: the settings are checked, not the database
        except UnsafeStart as refused:  # the message names the setting; no traceback
            raise SystemExit(str(refused)) from None

    group = FlaskGroup(create_app=cli_app, add_default_commands=False, add_version_option=False,
                       load_dotenv=False, help="Run disaster evacuation shelters (避難所運営). "
                                               "Settings come from SHELTER_OPS_* variables (docs/settings.md).")
    group.params = [p for p in group.params if p.name not in FLASK_OPTIONS]
    group._loaded_plugin_commands = True  # no installed package's `flask.commands` (Flask-Limiter's "limiter")
    return click.version_option(package_name="shelter-ops", prog_name="shelter-ops")(group)


def main():
    command_group()()
