"""The `shelter-ops events` commands: rebuild a database from its event log."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import connect, get_db, migrate
from ..eventlog import replay


@click.group("events")
def events_group():
    """The event log (the record every table is built from)."""


@events_group.command("replay")
@click.option("--into", "target", required=True, type=click.Path(dir_okay=False),
              help="A new SQLite file to rebuild every table in, from this database's log alone.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def events_replay(target, quiet):
    """Rebuild every table from the event log into a new database file (an audit, or a repair)."""
    if Path(target).exists():
        raise click.ClickException(f"{target} がすでにあります。新しいファイル名を指定してください。\n"
                                   f"{target} already exists: name a new file.")
    source = get_db()
    total = source.execute("select count(*) from events").fetchone()[0]
    into = connect(target)
    try:
        migrate(into)
        if quiet:
            applied = replay(source, into)
        else:
            from tqdm import tqdm

            with tqdm(total=total, unit="events", desc="replay") as bar:
                applied = replay(source, into, progress=bar.update)
    finally:
        into.close()
    click.echo(f"replayed {applied} events into {target}")
