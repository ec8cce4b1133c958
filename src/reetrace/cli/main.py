"""The `reetrace` command."""

from __future__ import annotations

import typer

from reetrace.cli import db, demo, documents, export, flow, lists, log, personnel, serve, users, witness
from reetrace.cli.common import init_state

app = typer.Typer(
    help="reetrace: rare-earth supply-chain security on a verifiable Merkle log.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    db_url: str | None = typer.Option(None, "--db", help="Database URL (default: SQLite in the data folder; "
                                      "env REETRACE_DATABASE_URL).", metavar="URL"),
    home: str | None = typer.Option(None, "--home", help="Data folder (default ./.reetrace; env REETRACE_HOME).",
                                    metavar="PATH"),
) -> None:
    init_state(ctx, db_url, home)


app.add_typer(log.app, name="log")
app.add_typer(witness.app, name="witness")
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(users.tenants_app, name="tenants")
app.add_typer(personnel.app, name="personnel")
app.add_typer(export.app, name="export")
app.add_typer(lists.app, name="lists")
app.add_typer(flow.app, name="flow")
app.add_typer(documents.app, name="documents")
app.command("verify-certificate")(flow.verify_certificate)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)


def run() -> None:
    app()
