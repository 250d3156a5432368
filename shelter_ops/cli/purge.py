"""The `shelter-ops purge` command: remove handed-over shelters' personal data (by hand or by retention)."""
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import get_db
from ..domain import clock, privacy, shelters
from ..domain.errors import DomainError


@click.command("purge")
@click.option("--due", is_flag=True, help="Purge every shelter closed RETENTION_DAYS ago or more and handed over.")
@click.option("--shelter", "shelter_ref", help="共通ID (or id) of one closed, handed-over shelter to purge now.")
@click.option("--today", help="Date to count the retention from (YYYY-MM-DD; default today).")
@with_appcontext
def purge_command(due, shelter_ref, today):
    """Remove personal data of closed shelters after their handover to HQ (counts remain)."""
    db = get_db()
    if bool(due) == bool(shelter_ref):
        raise click.UsageError("give --due or --shelter REF")
    try:
        if shelter_ref:
            shelter = shelters.get(db, shelter_ref)
            result = privacy.purge(db, shelter["id"], actor="cli", role="hq")
            click.echo(f"purged {shelter['name']}: {result['households']} households, {result['persons']} persons")
            return
        when = date.fromisoformat(today) if today else clock.local_date()
        result = privacy.purge_due(db, when, retention_days=current_app.config["RETENTION_DAYS"], actor="cli")
    except (DomainError, ValueError) as error:
        raise click.ClickException(f"{error.ja}\n{error.en}" if isinstance(error, DomainError) else str(error))
    names = {s["id"]: s["name"] for s in shelters.list_all(db)}
    for shelter_id in result["purged"]:
        click.echo(f"purged {names[shelter_id]}")
    for shelter_id in result["not_exported"]:
        click.echo(f"not handed over yet, not purged: {names[shelter_id]} (export the handover first)", err=True)
    if not result["purged"]:
        click.echo("nothing due")
