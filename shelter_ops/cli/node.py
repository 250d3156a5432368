"""The `shelter-ops node` and `shelter-ops sync` commands: pair a shelter node with HQ, sync by link or by file."""
import socket
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import get_db
from ..domain import nodes, shelters
from ..domain.errors import DomainError


def _fail(error):
    raise click.ClickException(f"{error.ja}\n{error.en}")


@click.group("node")
def node_group():
    """Shelter nodes: a laptop that runs one shelter while cut off from HQ (docs/node.md)."""


@node_group.command("pair")
@click.argument("refs", nargs=-1, required=True)
@with_appcontext
def node_pair(refs):
    """At HQ: print a one-time pairing code for a node serving these shelters (共通ID)."""
    try:
        code = nodes.issue_code(get_db(), list(refs), actor="cli")
    except DomainError as error:
        _fail(error)
    names = ", ".join(shelters.get(get_db(), r)["name"] for r in refs)
    click.echo(f"pairing code for {names}: {code}  (valid {nodes.CODE_HOURS} hours, once)")


@node_group.command("init")
@click.option("--hq", "hq_url", required=True, help="HQ's address, e.g. https://bousai.city.example.jp")
@click.option("--code", required=True, help="The one-time code HQ issued.")
@click.option("--name", default="", help="A name for this node (default: the host name).")
@with_appcontext
def node_init(hq_url, code, name):
    """On the node: pair this (empty) database with HQ, then fetch its shelters and settings."""
    from .. import sync_client

    db = get_db()
    try:
        answer = sync_client.pair(db, hq_url, code, name=name or socket.gethostname())
    except sync_client.Unreachable as error:
        raise click.ClickException(f"本部に接続できません / HQ cannot be reached: {error}")
    except DomainError as error:
        _fail(error)
    result = sync_client.sync_now(db)
    click.echo(f"paired as node {answer['node_id']} (reception numbers start with {answer['prefix']}); "
               f"{result['en']}")


@node_group.command("list")
@with_appcontext
def node_list():
    """At HQ: every node, its shelters, last contact and the events it still owes."""
    for node in nodes.overview(get_db()):
        state = "revoked" if node["revoked_at"] else "active"
        click.echo(f"{node['id']}  {node['name']}  {state}  shelters: {', '.join(node['shelters'])}  "
                   f"last contact: {node['last_contact'] or 'never'}  owed: {node['owed']}")


@node_group.command("revoke")
@click.argument("node_id")
@with_appcontext
def node_revoke(node_id):
    """At HQ: a lost laptop. Its credential stops working at its next contact."""
    try:
        nodes.revoke(get_db(), node_id, actor="cli")
    except DomainError as error:
        _fail(error)
    click.echo(f"revoked {node_id}")


@click.group("sync")
def sync_group():
    """Sync a node with HQ: over the link, or by a file carried on a USB stick."""


@sync_group.command("now")
@with_appcontext
def sync_now_command():
    """On a node: push every event HQ lacks and pull what HQ has for this node."""
    from .. import sync_client

    if nodes.state(get_db()) is None:
        raise click.ClickException("この端末は本部と登録されていません（shelter-ops node init）。\n"
                                   "This install is not a paired node (shelter-ops node init).")
    result = sync_client.sync_now(get_db())
    click.echo(f"{result['ja']}\n{result['en']}")
    if not result["ok"]:
        raise SystemExit(1)


@sync_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--node", "node_id", help="At HQ: the node the file is for.")
@with_appcontext
def sync_export(file, node_id):
    """Write a sealed sync file: on a node, its events for HQ; at HQ (--node), HQ's events for that node."""
    from .. import sync, sync_client

    db = get_db()
    try:
        blob, count = sync.export_for_node(db, node_id) if node_id else sync_client.export_file(db)
    except DomainError as error:
        _fail(error)
    except TypeError:
        raise click.ClickException("この端末は本部と登録されていません。--node を指定するか node init してください。\n"
                                   "Not a paired node: give --node at HQ, or run node init.")
    Path(file).write_bytes(blob)
    click.echo(f"wrote {count} events to {file}")


@sync_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def sync_import(file):
    """Read a sync file (a node's at HQ, HQ's at a node). Twice, late or out of order: nothing doubles."""
    from .. import sync

    try:
        counts = sync.import_file(get_db(), Path(file).read_bytes())
    except DomainError as error:
        _fail(error)
    click.echo(f"applied {counts['applied']}, already here {counts['known']}, waiting for earlier ones "
               f"{counts['held']}, conflicts {counts['conflicts']}")
