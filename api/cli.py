"""Flask CLI commands: `flask --app wsgi data load [PATH]`."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from api.db import db
from api.loader import COLLECTIONS, LoadError, read_dataset, write_dataset

data_cli = AppGroup("data", help="Manage the dataset.")


@data_cli.command("load")
@click.argument("path", required=False, type=click.Path(file_okay=False))
def load_command(path: str | None) -> None:
    """Validate PATH (default: the DATA_DIR setting, data/) and replace the database content
    with it in one transaction. A bad file changes nothing."""
    path = path or current_app.config["DATA_DIR"]
    db.create_all()
    try:
        dataset = read_dataset(path)
    except LoadError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    total = sum(len(dataset[c.name]) for c in COLLECTIONS)
    session = db.new_session()
    try:
        with click.progressbar(length=total, label="Loading", file=sys.stderr) as bar:
            report = write_dataset(session, dataset, progress=bar.update)
    finally:
        session.close()
    click.echo(
        f"Loaded {path}: {report.created} created, {report.updated} updated, "
        f"{report.deleted} deleted, {report.unchanged} unchanged."
    )


def init_app(app) -> None:
    app.cli.add_command(data_cli)
