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
            report = write_dataset(
                session,
                dataset,
                progress=bar.update,
                retention_days=current_app.config["CHANGES_RETENTION_DAYS"],
            )
    finally:
        session.close()
    click.echo(
        f"Loaded {path}: {report.created} created, {report.updated} updated, "
        f"{report.deleted} deleted, {report.unchanged} unchanged."
    )


@data_cli.command("generate")
@click.option("--units", default=100_000, show_default=True, help="How many units.")
@click.option(
    "--database-url",
    required=True,
    help="Where to write, e.g. sqlite:///bench/.data/bench.sqlite3 (must be empty).",
)
def generate_command(units: int, database_url: str) -> None:
    """Write a synthetic dataset of UNITS units into a separate, empty database."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    from api.db import make_engine
    from api.generate import generate

    if database_url == current_app.config["DATABASE_URL"]:
        raise click.UsageError("refusing to write synthetic data into the API's own database")
    engine = make_engine(database_url)
    if inspect(engine).has_table("units"):
        raise click.UsageError(f"{database_url} is not empty")
    with Session(engine) as session:
        with click.progressbar(length=units, label="Generating", file=sys.stderr) as bar:
            counts = generate(session, units=units, progress=bar.update)
    engine.dispose()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()))


def init_app(app) -> None:
    app.cli.add_command(data_cli)
