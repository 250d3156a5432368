"""The `shelter-ops export` commands: files for the national systems (Lアラート, 被災者台帳)."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import get_db
from ..domain import daicho, lalert, shelters
from ..domain.errors import DomainError


def _fail(error):
    raise click.ClickException(f"{error.ja}\n{error.en}")


@click.group("export")
def export_group():
    """Files for the national systems: Lアラート 避難所情報, the 被災者台帳 roster."""


@export_group.command("lalert")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.xml (EDXL-DE / PCXML) or FILE.csv (the same fields, flat).")
@click.option("--cancel", "cancel_reason", metavar="REASON", help="Withdraw the issued document (Cancel) for REASON.")
@click.option("--errata", default="", help="Why this update corrects the last one (added to the Errata).")
@click.option("--status", type=click.Choice(list(lalert.DISTRIBUTION_STATUSES)), help="Default: LALERT_STATUS.")
@click.option("--disaster", "disaster_name", help="災害名 in the body. Default: LALERT_DISASTER_NAME.")
@click.option("--send", is_flag=True, help="Also POST the XML to LALERT_ENDPOINT; recorded only when accepted.")
@with_appcontext
def export_lalert(output, cancel_reason, errata, status, disaster_name, send):
    """Issue the next Lアラート 避難所情報 revision from the current state and write it to a file."""
    if output.suffix.lower() not in (".xml", ".csv"):
        raise click.UsageError("the output file must end in .xml or .csv")
    options = {"cancel": cancel_reason is not None, "reason": cancel_reason or errata, "status": status,
               "disaster_name": disaster_name}
    try:
        issue = lalert.send if send else lalert.issue
        document = issue(get_db(), current_app.config, actor="cli", role="hq", **options)
    except DomainError as error:
        _fail(error)
    output.write_bytes(lalert.to_csv(document) if output.suffix.lower() == ".csv" else lalert.to_xml(document))
    how = "sent and written" if send else "written"
    click.echo(f"{document['distribution_type']} revision {document['revision']} of {document['document_id']} "
               f"({len(document['shelters'])} shelters) {how} to {output}")


@export_group.command("daicho")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.csv (UTF-8 with BOM) or FILE.json (households with their persons).")
@click.option("--reason", required=True, help="Why the roster is exported (logged).")
@click.option("--to", "provided_to", default="", help="提供先: who receives it (written in every row and logged).")
@click.option("--shelter", "shelter_ref", help="共通ID of one shelter; default every shelter.")
@with_appcontext
def export_daicho(output, reason, provided_to, shelter_ref):
    """The 被災者台帳 roster (災害対策基本法 90条の3 items; never a 非公開 person), logged like every export."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in daicho.FORMATS:
        raise click.UsageError("the output file must end in .csv or .json")
    db = get_db()
    try:
        shelter_id = shelters.get(db, shelter_ref)["id"] if shelter_ref else None
        result = daicho.export(db, current_app.config, actor="cli", role="hq", reason=reason, fmt=fmt,
                               provided_to=provided_to, shelter_id=shelter_id)
    except DomainError as error:
        _fail(error)
    output.write_bytes(result["data"])
    click.echo(f"{result['persons']} persons in {result['households']} households written to {output} "
               f"(logged as {result['event_id']})")
