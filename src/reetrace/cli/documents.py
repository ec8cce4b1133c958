"""`reetrace documents ...`: register technical documents, issue fingerprinted copies, trace leaked text.

Thin adapters over :mod:`reetrace.domains.documents`. Bad input exits 2 with ``error[code]: message`` and where it
is; a trace prints its verdict (accused, no accusation, no mark, not ours) and exits 0.
"""

from __future__ import annotations

from pathlib import Path

import typer

from reetrace.cli.common import handle_errors, print_json, state
from reetrace.cli.personnel import ACTOR_OPT, JSON_OPT, SCOPE_OPT, TENANT_OPT, caller_of, plain, read_bytes, table
from reetrace.domains.documents import access, pictures, registry, trace
from reetrace.domains.documents.extract import extract
from reetrace.domains.documents.models import LEVELS
from reetrace.errors import Detail, invalid
from reetrace.storage.engine import read_transaction

app = typer.Typer(help="Technical documents: registry, fingerprinted copies, leak tracing.", no_args_is_help=True)


def _names(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@app.command("register")
@handle_errors
def register(ctx: typer.Context, file: Path = typer.Argument(..., help="Markdown, text, DOCX, XLSX, PDF, PNG, JPEG."),
             title: str = typer.Option(..., "--title", help="The document's title."),
             level: str = typer.Option(..., "--level", help=f"Classification: {', '.join(LEVELS)}."),
             owner: str | None = typer.Option(None, "--owner", help="Who owns it (default: the actor)."),
             recipients: list[str] = typer.Option([], "--recipients", help="Who may receive copies: person ids "
                                                  "(P-...) or user names; repeat or separate with commas."),
             tenant: str = TENANT_OPT, actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Register a document: a readable id, its SHA-256, a log entry for the version, the content index updated."""
    data = read_bytes(file)
    with state(ctx).container().unit_of_work() as (uow, _):
        done = registry.register_document(uow, caller_of(uow.conn, tenant, actor), data, file.name, title=title,
                                          level=level, owner=owner, recipients=_names(recipients))
    if as_json:
        print_json(plain(done))
        return
    table(f"registered {file.name}", ["document", "version", "sha256", "mark sites", "fingerprints", "log entry"],
          [[done.document_id, done.version, done.sha256, done.sites, done.fingerprints, done.entry_idx]])


@app.command("version")
@handle_errors
def version(ctx: typer.Context, document_id: str = typer.Argument(..., metavar="DOC_ID"),
            file: Path = typer.Argument(..., help="The new version's file."), tenant: str = TENANT_OPT,
            actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Record a new version of a registered document."""
    data = read_bytes(file)
    with state(ctx).container().unit_of_work() as (uow, _):
        done = registry.add_version(uow, caller_of(uow.conn, tenant, actor), document_id, data, file.name)
    if as_json:
        print_json(plain(done))
        return
    table(f"{document_id} version {done.version}", ["sha256", "mark sites", "fingerprints", "log entry"],
          [[done.sha256, done.sites, done.fingerprints, done.entry_idx]])


@app.command("list")
@handle_errors
def list_(ctx: typer.Context, tenant: str | None = SCOPE_OPT, as_json: bool = JSON_OPT) -> None:
    """Registered documents with their latest version and the copies issued."""
    with read_transaction(state(ctx).container().engine) as conn:
        scope = None if tenant is None else caller_of(conn, tenant, "cli").tenants
        rows = registry.list_documents(conn, scope)
    if as_json:
        print_json(plain(rows))
        return
    table(f"{len(rows)} document(s)", ["document", "tenant", "title", "level", "owner", "versions", "copies", "type"],
          [[d.document_id, d.tenant, d.title, d.level, d.owner, d.versions, d.copies, d.media_type] for d in rows])


FORMAT_OPT = typer.Option(None, "--format", help="text (marked text), pdf (marked rendered pages: survives print, "
                          "scan and photos) or png (a marked diagram); default: text, or png for a picture version.")


def _write(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise invalid(f"cannot write {output}: {exc.strerror}", Detail(str(exc), "--output"),
                      code="unwritable_file") from None


@app.command("issue")
@handle_errors
def issue(ctx: typer.Context, document_id: str = typer.Argument(..., metavar="DOC_ID"),
          to: str = typer.Option(..., "--to", help="A person id (P-...) or a user name allowed to receive copies."),
          device: str = typer.Option(..., "--device", help="The device the copy is for."),
          ip: str = typer.Option(..., "--ip", help="The IP address it is handed out to."),
          output: Path = typer.Option(..., "--output", "-o", help="Write the marked copy here."),
          version_: int | None = typer.Option(None, "--version", help="Which version (default: the latest)."),
          fmt: str | None = FORMAT_OPT,
          tenant: str = TENANT_OPT, actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Issue a fingerprinted copy (every layer of its format carries the copy's codeword) and write it to a file."""
    if output.exists() and output.is_dir():
        raise invalid(f"{output} is a directory", Detail("give a file name", "--output"))
    with state(ctx).container().unit_of_work() as (uow, vault):
        caller = caller_of(uow.conn, tenant, actor)
        copy = registry.issue_copy(uow, vault, caller, document_id, to, device=device, ip=ip, version=version_)
        out = pictures.copy_file(uow, vault, caller, copy.copy_id, fmt or ("text" if copy.text is not None else "png"))
        _write(output, out.data)  # inside the unit of work: no copy on the log without its file
    if as_json:
        print_json({k: v for k, v in plain(copy).items() if k != "text"} | {"output": str(output),
                                                                            "media_type": out.media_type})
        return
    table(f"copy of {document_id} version {copy.version}", ["copy", "recipient", "text positions", "code length",
                                                              "log entry", "file"],
          [[copy.copy_id, copy.recipient, copy.positions, copy.code_length, copy.entry_idx, str(output)]])


@app.command("copy")
@handle_errors
def copy_(ctx: typer.Context, copy_id: str = typer.Argument(..., metavar="COPY_ID"),
          output: Path = typer.Option(..., "--output", "-o", help="Write the marked copy here."),
          fmt: str = typer.Option("text", "--format", help="text, pdf or png."),
          tenant: str = TENANT_OPT, actor: str = ACTOR_OPT) -> None:
    """Write an issued copy again, in any format its version allows (recorded as a download of that copy)."""
    if output.exists() and output.is_dir():
        raise invalid(f"{output} is a directory", Detail("give a file name", "--output"))
    with state(ctx).container().unit_of_work() as (uow, vault):
        caller = caller_of(uow.conn, tenant, actor)
        out = pictures.copy_file(uow, vault, caller, copy_id, fmt)
        access.record_copy_access(uow, caller, copy_id, "download")
        _write(output, out.data)
    typer.echo(f"{copy_id}: {out.media_type}, {len(out.data):,} bytes, sha256 {out.sha256} -> {output}")


def _leaked(source: str) -> str | tuple[bytes, str]:
    """The leaked text (a text file's text layer, or the argument itself) or a picture / picture-only PDF."""
    path = Path(source)
    if len(source) < 4096 and "\n" not in source and path.is_file():
        data = read_bytes(path)
        if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
            return data, path.name
        got = extract(data, path.name)
        if got.text is None:
            if got.media_type == "application/pdf":
                return data, path.name
            raise invalid(f"{path.name} ({got.media_type}) has no text layer and is not a picture",
                          Detail("give the leaked text, a picture or a PDF", "FILE_OR_TEXT"), code="no_text_layer")
        return got.text
    return source


@app.command("trace")
@handle_errors
def trace_(ctx: typer.Context, source: str = typer.Argument(..., metavar="FILE_OR_TEXT",
                                                            help="A leaked file, or the leaked text itself."),
           eps1: float | None = typer.Option(None, "--eps1", help="False-accusation probability per innocent copy "
                                             "(default: the code's, 1e-6)."),
           tenant: str = TENANT_OPT, actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Which document and version a leaked text, PDF or picture (photo, scan, screenshot, crop) came from, the marks
    it shows and the copies they accuse."""
    if eps1 is not None and not 0.0 < eps1 < 1.0:
        raise invalid(f"--eps1 must be between 0 and 1, got {eps1}", Detail("e.g. 1e-6", "--eps1"))
    leaked = _leaked(source)
    with state(ctx).container().unit_of_work() as (uow, vault):
        caller = caller_of(uow.conn, tenant, actor)
        if isinstance(leaked, str):
            result = trace.trace(uow, vault, caller, leaked, eps1=eps1)
        else:
            result = pictures.trace_picture(uow, vault, caller, *leaked, eps1=eps1)
    if as_json:
        print_json(plain(result))
        return
    where = "-" if result.document_id is None else f"{result.document_id} version {result.version}"
    matched = (f"containment {result.containment:.2f}" if result.pages is None
               else "pages " + (", ".join(str(p) for p in result.pages) or "-"))
    table(f"trace {result.trace_id}: {result.verdict}", ["source", "matched", "positions read", "single leaker",
                                                          "threshold", "log entry"],
          [[where, matched, f"{result.sites_read} of {result.sites_in_version}",
            result.single_leaker, f"{result.threshold:.2f}", result.entry_idx]])
    typer.echo(result.note)
    if result.suspects:
        table("copies ranked by score", ["copy", "recipient", "device", "ip", "version", "issued", "score", "accused",
                                         "innocent would score this high"],
              [[s.copy_id, s.recipient, s.device, s.ip, s.version, s.issued_at[:19], f"{s.score:.1f}",
                "ACCUSED" if s.accused else "", f"{s.false_accusation_bound:.1e}"] for s in result.suspects[:10]])
