"""`shelter-ops backup DEST` and `shelter-ops restore SRC` (the work is in backup.py)."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .. import config
from ..backup import backup, restore
from ..domain.errors import DomainError


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=True))
@with_appcontext
def backup_command(dest):
    """Copy the database to DEST (file or folder) while the server runs; checked after copying."""
    try:
        written = backup(current_app.config["DB"], dest)
    except DomainError as error:
        raise click.ClickException(f"{error.ja}\n{error.en}")
    click.echo(f"バックアップしました / backed up: {written}")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(src, yes):
    """Put the backup SRC back as the database. Stop the server first."""
    db_path = config.load()["DB"]
    if not yes:
        click.confirm(f"サーバーを止めましたか？ {db_path} を {src} で置き換えます。\n"
                      f"Is the server stopped? {db_path} will be replaced by {src}.", abort=True)
    try:
        kept = restore(src, db_path)
    except DomainError as error:
        raise click.ClickException(f"{error.ja}\n{error.en}")
    click.echo(f"復元しました / restored: {db_path} (the previous database: {kept})")
