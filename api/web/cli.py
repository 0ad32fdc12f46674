"""Flask CLI commands: `flask --app wsgi data load [PATH]`, `flask --app wsgi db upgrade`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from api.store.collections import COLLECTIONS
from api.store.db import db
from api.store.loader import LoadError, read_dataset, write_dataset
from api.store.migrations import alembic_config, ensure_schema

data_cli = AppGroup("data", help="Manage the dataset.")
db_cli = AppGroup(
    "db", help="Manage the database schema (Alembic migrations in api/store/migrations)."
)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate the database at DATABASE_URL to REVISION (default: the newest). `make migrate`."""
    from alembic import command

    config = alembic_config(current_app.config["DATABASE_URL"])
    command.upgrade(config, revision)
    command.current(config)  # prints the revision now in place, e.g. "0001 (head)"


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Migrate the database at DATABASE_URL back to REVISION (`base`: no tables)."""
    from alembic import command

    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("current")
def current_command() -> None:
    """Show the revision the database at DATABASE_URL is at."""
    from alembic import command

    command.current(alembic_config(current_app.config["DATABASE_URL"]), verbose=False)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
def revision_command(message: str) -> None:
    """Write a new migration from the difference between the models and the database at
    DATABASE_URL (which must be at the newest revision). Review it before committing."""
    from alembic import command

    command.revision(
        alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=True
    )


@data_cli.command("load")
@click.argument("path", required=False, type=click.Path(file_okay=False))
def load_command(path: str | None) -> None:
    """Validate PATH (default: the DATA_DIR setting, data/) and replace the database content
    with it in one transaction. A bad file changes nothing."""
    path = path or current_app.config["DATA_DIR"]
    ensure_schema(db.configured_engine())
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

    from api.store.db import make_engine
    from api.store.generate import generate

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


tokens_cli = AppGroup("tokens", help="Manage the editor API's bearer tokens.")


@tokens_cli.command("create")
@click.option("--name", required=True, help="Who the token is for; shown in the audit trail.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="write:units, write:services, write:channels, write:notices, write:duties or admin; "
    "repeat for several.",
)
@click.option("--organization", default=None, help="Only this organization's records.")
def create_token_command(name: str, scopes: tuple[str, ...], organization: str | None) -> None:
    """Create a token and print it. It is shown this once; only its hash is stored."""
    from api.store.tokens import TokenError, create_token

    ensure_schema(db.configured_engine())
    session = db.new_session()
    try:
        with session.begin():
            token = create_token(session, name, list(scopes), organization)
    except TokenError as error:
        raise click.UsageError(str(error)) from None
    finally:
        session.close()
    click.echo(token)
    click.echo(f"Token '{name}' created; keep it now, it cannot be shown again.", err=True)


@tokens_cli.command("list")
def list_tokens_command() -> None:
    """List the tokens: name, scopes, organization, created, revoked. Never the tokens."""
    from api.store.tokens import list_tokens

    session = db.new_session()
    try:
        for token in list_tokens(session):
            revoked = token.revoked_at.isoformat() if token.revoked_at else "active"
            click.echo(
                f"{token.name}\t{' '.join(token.scopes)}\t{token.organization_id or '-'}\t"
                f"{token.created_at.isoformat()}\t{revoked}"
            )
    finally:
        session.close()


@tokens_cli.command("revoke")
@click.argument("name")
def revoke_token_command(name: str) -> None:
    """Revoke the token NAME; it stops working at once."""
    from api.store.tokens import TokenError, revoke_token

    session = db.new_session()
    try:
        with session.begin():
            revoke_token(session, name)
    except TokenError as error:
        raise click.UsageError(str(error)) from None
    finally:
        session.close()
    click.echo(f"Token '{name}' revoked.")


def init_app(app: Flask) -> None:
    app.cli.add_command(data_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(tokens_cli)
