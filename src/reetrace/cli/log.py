"""`reetrace log ...`: append, read, prove, audit and replay the event log."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import Progress

from reetrace.cli.common import handle_errors, out_console, parse_json_object, print_json, state
from reetrace.errors import invalid
from reetrace.events import parse_event
from reetrace.log import tree
from reetrace.log.checkpoint import open_checkpoint
from reetrace.storage.audit import audit as run_audit
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.logread import LogReader
from reetrace.storage.replay import replay as run_replay

app = typer.Typer(help="The verifiable event log: append, read, prove, audit, replay.", no_args_is_help=True)


@app.command()
@handle_errors
def append(
    ctx: typer.Context,
    kind: str = typer.Option(..., help="Event kind, e.g. 'note' or 'registry.enterprise.registered'."),
    body: str = typer.Option(..., help="The event body as a JSON object."),
    tenant: str | None = typer.Option(None, help="Tenant (organisation) the event belongs to."),
    actor: str = typer.Option("cli", help="Who records the event."),
) -> None:
    """Append one event; prints its index once it is committed."""
    event = parse_event({"kind": kind, "body": parse_json_object(body, "--body"), "tenant": tenant, "actor": actor})
    appended = state(ctx).container().ledger.record([event])
    typer.echo(appended.indices[0])


@app.command()
@handle_errors
def get(
    ctx: typer.Context,
    index: int = typer.Argument(..., help="The entry's index (0-based)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: entry bytes in base64, leaf hash in hex."),
) -> None:
    """Print one entry."""
    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        entry = LogReader(conn).entry(index)
    if as_json:
        print_json(entry.as_json())
    else:
        out_console.print(f"index {entry.index}  kind {entry.kind}  leaf {entry.leaf_hash.hex()}")
        typer.echo(entry.entry.decode("utf-8"))


@app.command()
@handle_errors
def checkpoint(ctx: typer.Context) -> None:
    """Print the latest signed checkpoint (a C2SP signed note, with any witness cosignatures)."""
    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        latest = LogReader(conn).latest_checkpoint()
    if latest is None:
        raise invalid("the log is empty: nothing has been checkpointed yet", code="empty_log")
    typer.echo(latest.note, nl=False)


@app.command()
@handle_errors
def key(ctx: typer.Context) -> None:
    """Print the log's verifier key (C2SP vkey string)."""
    typer.echo(state(ctx).container().verifier.vkey)


@app.command()
@handle_errors
def proof(
    ctx: typer.Context,
    index: int = typer.Argument(..., help="Entry index."),
    size: int | None = typer.Option(None, help="Tree size to prove against (default: the current size)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print the inclusion proof of an entry (RFC 9162), checked before it is printed."""
    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        reader = LogReader(conn)
        size = reader.size() if size is None else size
        hashes = reader.inclusion_proof(index, size)
        root = reader.root(size)
        leaf = reader.entry(index).leaf_hash
    tree.verify_inclusion(leaf, index, size, hashes, root)
    hex_hashes = [h.hex() for h in hashes]
    if as_json:
        print_json({"index": index, "size": size, "leaf_hash": leaf.hex(), "hashes": hex_hashes, "root": root.hex()})
    else:
        out_console.print(f"entry {index} is in the tree of size {size} with root {root.hex()}")
        for h in hex_hashes:
            typer.echo(h)


@app.command()
@handle_errors
def consistency(
    ctx: typer.Context,
    old: int = typer.Argument(..., help="Older tree size."),
    new: int = typer.Argument(..., help="Newer tree size."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print the consistency proof between two tree sizes (RFC 9162), checked before it is printed."""
    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        reader = LogReader(conn)
        hashes = reader.consistency_proof(old, new)
        old_root, new_root = reader.root(old), reader.root(new)
    if old > 0:
        tree.verify_consistency(old, new, old_root, new_root, hashes)
    hex_hashes = [h.hex() for h in hashes]
    if as_json:
        print_json({"old": old, "new": new, "hashes": hex_hashes, "old_root": old_root.hex(),
                    "new_root": new_root.hex()})
    else:
        out_console.print(f"tree {old} ({old_root.hex()}) is a prefix of tree {new} ({new_root.hex()})")
        for h in hex_hashes:
            typer.echo(h)


@app.command()
@handle_errors
def audit(ctx: typer.Context) -> None:
    """Recompute the tree from the stored entries and compare with every stored hash and signed checkpoint.

    Exits 0 when everything agrees, 1 with the first bad index otherwise.
    """
    c = state(ctx).container()
    with read_transaction(c.engine) as conn, Progress(transient=True) as bar:
        size = LogReader(conn).size()
        task = bar.add_task("auditing", total=size or 1)
        report = run_audit(conn, c.verifier, c.settings.latest_checkpoint_path,
                           progress=lambda n: bar.update(task, completed=n))
    if report.ok:
        out_console.print(f"[green]ok[/]: {report.checked_entries} entries and {report.checked_checkpoints} "
                          f"checkpoints agree with the signed history")
        return
    out_console.print(f"[red]FAILED[/]: first bad index {report.first_bad_index}")
    for problem in report.problems[:20]:
        out_console.print(f"  - {problem}", markup=False)
    raise typer.Exit(1)


@app.command()
@handle_errors
def replay(
    ctx: typer.Context,
    check: bool = typer.Option(False, "--check", help="Report differences only; leave the tables as they are."),
) -> None:
    """Rebuild the read tables from the log and report where they differed. Exits 1 if they did."""
    c = state(ctx).container()
    with write_transaction(c.engine) as conn:
        report = run_replay(conn, c.kinds)
        if check:
            conn.rollback()
    for diff in report.tables:
        if diff.count:
            out_console.print(f"[yellow]{diff.table}[/]: {len(diff.missing)} missing, {len(diff.extra)} extra, "
                              f"{len(diff.changed)} changed")
            for label, keys in (("missing", diff.missing), ("extra", diff.extra), ("changed", diff.changed)):
                for k in keys[:10]:
                    out_console.print(f"    {label}: {k}", markup=False)
    verb = "would be rebuilt" if check else "rebuilt"
    out_console.print(f"{report.entries} entries replayed; {len(report.tables)} tables {verb}; "
                      f"{report.differences} differences")
    if report.differences:
        raise typer.Exit(1)


@app.command()
@handle_errors
def verify(
    ctx: typer.Context,
    checkpoint_file: Path | None = typer.Option(None, "--checkpoint", help="A signed checkpoint file; default the "
                                                "latest stored one."),
    policy: Path | None = typer.Option(None, help="Witness policy file (log/witness/quorum lines)."),
) -> None:
    """Verify a checkpoint: the log's signature, that it matches the stored tree, and the witness quorum."""
    from reetrace.log.policy import WitnessPolicy

    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        reader = LogReader(conn)
        if checkpoint_file is not None:
            note = checkpoint_file.read_text(encoding="utf-8")
        else:
            latest = reader.latest_checkpoint()
            if latest is None:
                raise invalid("the log is empty: nothing to verify", code="empty_log")
            note = latest.note
        if policy is not None:
            verified = WitnessPolicy.parse(policy.read_text(encoding="utf-8")).verify(note)
        else:
            verified = open_checkpoint(note, c.verifier)
        cp = verified.checkpoint
        size = reader.size()
        if cp.size > size:
            raise invalid(f"the checkpoint is at size {cp.size}, beyond the stored log ({size})", code="ahead")
        ours = reader.root(cp.size)
    if ours != cp.root:
        raise invalid(f"the checkpoint's root {cp.root.hex()} differs from the stored tree's root {ours.hex()} "
                      f"at size {cp.size}", code="root_mismatch")
    names = ", ".join(sorted(verified.cosignatures)) or "none"
    out_console.print(f"[green]ok[/]: {cp.origin} size {cp.size} root {cp.root.hex()}; cosigned by {names}")


@app.command()
@handle_errors
def cosign(
    ctx: typer.Context,
    witness: list[str] = typer.Option(..., "--witness", help="A witness URL (http://...) or witness folder; "
                                      "repeat for several."),
) -> None:
    """Ask witnesses to cosign the latest checkpoint and store their cosignatures with it."""
    from reetrace.witnessing import client_for, cosign_latest

    c = state(ctx).container()
    result = cosign_latest(c.engine, [client_for(w) for w in witness], c.settings.latest_checkpoint_path)
    for name in result.cosigned_by:
        out_console.print(f"[green]cosigned[/] size {result.size} by {name}")
    for name, why in result.refused.items():
        out_console.print(f"[red]refused[/] by {escape(name)}: {escape(why)}")
    if result.refused:
        raise typer.Exit(1)
