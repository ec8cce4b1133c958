"""`reetrace witness ...`: run a witness that cosigns the log's checkpoints (C2SP tlog-witness)."""

from __future__ import annotations

from pathlib import Path

import typer

from reetrace.cli.common import handle_errors, out_console
from reetrace.witnessing import WitnessNode

app = typer.Typer(help="Run a witness: a separate party that cosigns consistent checkpoints.",
                  no_args_is_help=True)

DirArg = typer.Argument(..., help="The witness's folder (key, trusted logs, state).")


@app.command()
@handle_errors
def init(directory: Path = DirArg, name: str = typer.Option(..., help="Witness key name, e.g. "
                                                             "'witness.customs.example'.")) -> None:
    """Create a witness folder with a new Ed25519 cosigner key; prints its vkey."""
    node = WitnessNode.init(directory, name)
    typer.echo(node.vkey)


@app.command()
@handle_errors
def vkey(directory: Path = DirArg) -> None:
    """Print the witness's cosignature verifier key."""
    typer.echo(WitnessNode(directory).vkey)


@app.command()
@handle_errors
def trust(directory: Path = DirArg, log_vkey: str = typer.Argument(..., help="The log's vkey "
                                                                     "(`reetrace log key`).")) -> None:
    """Trust a log: checkpoints signed by this key may be cosigned."""
    verifier = WitnessNode(directory).trust(log_vkey)
    out_console.print(f"trusting {verifier.name}")


@app.command()
@handle_errors
def add(directory: Path = DirArg, body_file: Path = typer.Argument(..., help="An add-checkpoint request body.")) \
        -> None:
    """Handle one add-checkpoint request from a file (what `serve` does per HTTP request)."""
    typer.echo(WitnessNode(directory).witness().add_checkpoint(body_file.read_bytes()), nl=False)


@app.command()
@handle_errors
def serve(directory: Path = DirArg, host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8010)) -> None:
    """Serve POST /add-checkpoint over HTTP."""
    import uvicorn

    from reetrace.web.witness_app import create_witness_app

    node = WitnessNode(directory)
    out_console.print(f"witness {node.signer.name} on http://{host}:{port}/add-checkpoint")
    uvicorn.run(create_witness_app(node), host=host, port=port, log_level="warning")
