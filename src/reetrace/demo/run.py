"""Build the demo world, run every analysis against what was planted, and serve the console."""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select, text

from reetrace.authz.passwords import Passwords
from reetrace.cli.common import State
from reetrace.container import Container, build_container
from reetrace.demo import documents, export, flow, personnel, world
from reetrace.domains.registry import service
from reetrace.domains.registry.tables import contacts
from reetrace.log.policy import WitnessPolicy
from reetrace.settings import Settings
from reetrace.storage.audit import AuditReport, audit
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.logread import LogReader
from reetrace.storage.replay import replay
from reetrace.witnessing import CosignPump, LocalWitness, WitnessNode, cosign_latest

WITNESSES = ("witness.regulator.example", "witness.customs.example", "witness.auditor.example")
SEED = 20261123
console = Console(emoji=False)


@dataclass(frozen=True)
class Finding:
    check: str
    planted: str
    found: str
    ok: bool


# Where each role's work is in the console (the first role of a demo user decides).
START_PAGES = {
    "supervisor": ("/export/applications", "/personnel/national", "/flow/quotas", "/flow/reports"),
    "security_officer": ("/documents", "/flow/import", "/flow/reports", "/personnel/travel"),
    "group_security": ("/personnel/watchlist", "/personnel/travel"),
    "auditor": ("/audit", "/log/checkpoints"),
    "tenant_admin": ("/admin/users", "/tokens"),
    "analyst": ("/registry/enterprises", "/alerts"),
    "viewer": ("/", "/log/checkpoints"),
}


def run_demo(state: State, *, rebuild: bool, serve: bool, port: int, events: int) -> None:
    settings = state.settings
    if rebuild:
        wipe(settings)
    c = build_container(settings)
    state._container = c
    with read_transaction(c.engine) as conn:
        size = LogReader(conn).size()
    if size:
        console.print(f"reusing the demo log in {settings.home} ({size} entries); `reetrace demo --rebuild` "
                      "starts over")
    else:
        build_history(c, events)
    policy = setup_witnesses(c)
    findings = analyse(c, policy)
    report(c, findings)
    if serve:
        import uvicorn

        from reetrace.web.app import create_app

        console.print(f"\n[bold]console[/] on http://127.0.0.1:{port}/  (Ctrl-C to stop); the witnesses cosign "
                      "new checkpoints every 10 s")
        nodes = [LocalWitness(WitnessNode(c.settings.witness_dir / name.split(".")[1])) for name in WITNESSES]
        CosignPump(c.engine, nodes, c.settings.latest_checkpoint_path, every=10.0).start()
        uvicorn.run(create_app(c), host="127.0.0.1", port=port, log_level="warning")


def wipe(settings: Settings) -> None:
    home = settings.home
    for name in ("reetrace.db", "reetrace.db-wal", "reetrace.db-shm", "log.key", "vault.key", "checkpoint",
                 "checkpoint.lock", "witness-policy.txt"):
        (home / name).unlink(missing_ok=True)
    shutil.rmtree(home / "witnesses", ignore_errors=True)
    if not settings.is_sqlite:
        console.print("[yellow]--rebuild on PostgreSQL drops and recreates the reetrace tables[/]")
        from reetrace.domains.tables import metadata
        from reetrace.storage.engine import make_engine

        engine = make_engine(settings)
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()


def build_history(c: Container, events: int) -> None:
    rng = random.Random(SEED)
    plan = world.size_for(events)
    with Progress(console=console) as bar:
        task = bar.add_task("appending the demo history", total=5 * plan.enterprises + plan.notes + 1)
        with c.unit_of_work() as (uow, vault):
            world.build_accounts(uow, vault, Passwords(c.settings.password_cost))
            ids = world.build_enterprises(uow, vault, rng, plan.enterprises)
            bar.update(task, advance=5 * plan.enterprises)
        # One person asks to be forgotten: their vault key is destroyed; the log stays whole.
        with c.unit_of_work() as (uow, vault):
            subject = uow.conn.execute(select(contacts.c.subject_id).order_by(contacts.c.entry_idx)).scalars().first()
            assert subject is not None
            service.erase_subject(uow, vault, "demo", subject, "the person left the company and asked for erasure",
                                  tenant="group-north")
        bar.update(task, advance=1)
        batch = []
        for event in world.notes(rng, ids, plan.notes):
            batch.append(event)
            if len(batch) == 250:
                c.ledger.record(batch)
                bar.update(task, advance=len(batch))
                batch = []
        if batch:
            c.ledger.record(batch)
            bar.update(task, advance=len(batch))
        staff = personnel.PersonnelPlan()
        people = bar.add_task("personnel: importing experts", total=staff.experts + staff.requests)
        personnel.build_personnel(c, rng, ids, staff,
                                  lambda what, n: bar.update(people, advance=n, description=f"personnel: {what}"))
        trade = export.ExportPlan()
        licensing = bar.add_task("export: licence applications", total=trade.applications)
        planted = export.build_export(c, rng, ids, trade, lambda what, n: bar.update(
            licensing, advance=n, description=f"export: {what}"))
        if planted.lists.startswith("built-in"):
            console.print("[yellow]export: ../shared/lists not found; the party lists are a built-in synthetic "
                          "sample[/]")
        flows = flow.FlowPlan()
        tracing = bar.add_task("flow: a year of monthly flows", total=flows.steps)
        flow.build_flow(c, rng, flows, lambda what, n: bar.update(tracing, advance=n, description=what))
        papers = documents.DocumentsPlan()
        registering = bar.add_task("documents", total=papers.documents)
        documents.build_documents(c, rng, papers, lambda what, n: bar.update(registering, advance=n,
                                                                            description=what))


def setup_witnesses(c: Container) -> WitnessPolicy:
    nodes = [WitnessNode.init(c.settings.witness_dir / name.split(".")[1], name) for name in WITNESSES]
    for node in nodes:
        node.trust(c.verifier.vkey)
    cosign_latest(c.engine, [LocalWitness(n) for n in nodes], c.settings.latest_checkpoint_path)
    lines = [f"log {c.verifier.vkey}"] + [f"witness {n.directory.name} {n.vkey}" for n in nodes] + ["quorum 2"]
    policy_text = "\n".join(lines) + "\n"
    c.settings.witness_policy_path.write_text(policy_text, encoding="utf-8")
    return WitnessPolicy.parse(policy_text)


def analyse(c: Container, policy: WitnessPolicy) -> list[Finding]:
    findings = []
    with read_transaction(c.engine) as conn:
        latest = LogReader(conn).latest_checkpoint()
        assert latest is not None
        console.print("\n[bold]latest checkpoint[/] (C2SP signed note, cosigned by the witnesses):")
        console.print(latest.note, markup=False, highlight=False)
        verified = policy.verify(latest.note)
        clean = audit(conn, c.verifier, c.settings.latest_checkpoint_path)
    findings.append(Finding("witness quorum 2 of 3", "3 witnesses cosign", f"{len(verified.cosignatures)} valid "
                            "cosignatures", len(verified.cosignatures) >= 2))
    findings.append(Finding("audit of the stored log", "nothing altered", _describe(clean), clean.ok))
    with write_transaction(c.engine) as conn:
        rebuilt = replay(conn, c.kinds)
        conn.rollback()
    findings.append(Finding("replay of the read tables", "tables match the log",
                            f"{rebuilt.differences} differences over {rebuilt.entries} entries",
                            rebuilt.differences == 0))
    if c.settings.is_sqlite:
        findings += planted_tampering(c, latest.size)
    # last: the personnel checks record their findings (and the staff-list check) on the log
    findings += [Finding(f.check, f.planted, f.found, f.ok) for f in personnel.analyse_personnel(c)]
    findings += [Finding(f.check, f.planted, f.found, f.ok) for f in export.analyse_export(c)]
    findings += [Finding(f.check, f.planted, f.found, f.ok) for f in flow.analyse_flow(c)]
    findings += [Finding(f.check, f.planted, f.found, f.ok) for f in documents.analyse_documents(c)]
    return findings


def planted_tampering(c: Container, size: int) -> list[Finding]:
    """Tamper with scratch copies of the database and check that the audit names what was planted."""
    rng = random.Random(SEED + 1)
    edit_at, delete_at = rng.randrange(size // 2), rng.randrange(size // 2, size - 1)
    plants = {
        f"entry {edit_at} edited": (f"UPDATE log_entries SET entry = CAST(REPLACE(CAST(entry AS TEXT), '\"actor\":', "
                                    f"'\"actor\" :') AS BLOB) WHERE idx = {edit_at}", edit_at),
        f"entry {delete_at} deleted": (f"DELETE FROM log_entries WHERE idx = {delete_at}", delete_at),
        "last 5 entries and checkpoints truncated": (
            f"DELETE FROM log_entries WHERE idx >= {size - 5}; DELETE FROM log_checkpoints WHERE size > {size - 5}; "
            f"UPDATE log_state SET size = {size - 5}", size - 5),
    }
    findings = []
    for label, (sql, expected) in plants.items():
        report = _audit_copy(c, sql)
        findings.append(Finding("audit finds tampering", label, _describe(report),
                                report.first_bad_index == expected))
    return findings


def _audit_copy(c: Container, sql: str) -> AuditReport:
    with tempfile.TemporaryDirectory() as tmp:
        source = sqlite3.connect(c.settings.home / "reetrace.db")
        target_path = Path(tmp) / "reetrace.db"
        target = sqlite3.connect(target_path)
        source.backup(target)
        source.close()
        target.executescript(sql)
        target.commit()
        target.close()
        shutil.copy(c.settings.latest_checkpoint_path, Path(tmp) / "checkpoint")
        scratch = build_container(c.settings.with_(home=Path(tmp), database_url=None), upgrade=False)
        # the scratch copy is verified against the real log's key
        with read_transaction(scratch.engine) as conn:
            result = audit(conn, c.verifier, Path(tmp) / "checkpoint")
        scratch.close()
        return result


def _describe(report: AuditReport) -> str:
    if report.ok:
        return f"clean: {report.checked_entries} entries, {report.checked_checkpoints} checkpoints"
    return f"first bad index {report.first_bad_index}: {report.problems[0][:90]}"


def report(c: Container, findings: list[Finding]) -> None:
    table = Table(title="found against planted")
    for column in ("check", "planted", "found", "result"):
        table.add_column(column)
    for f in findings:
        table.add_row(f.check, f.planted, f.found, "[green]as planted[/]" if f.ok else "[red]MISSED[/]")
    console.print(table)
    console.print(f"log key: {c.verifier.vkey}")
    logins = Table(title="log in to the console (password for all: " + world.DEMO_PASSWORD + ")")
    for column in ("username", "tenant", "roles", "language"):
        logins.add_column(column)
    logins.add_column("start at", overflow="fold")  # one page per line, folded only on a very narrow terminal
    for username, tenant, _, roles, locale in world.DEMO_USERS:
        logins.add_row(username, tenant, ", ".join(roles), locale, "\n".join(START_PAGES.get(roles[0], ("/",))))
    console.print(logins)
    missed = [f for f in findings if not f.ok]
    if missed:
        console.print(f"[red]{len(missed)} checks did not find what was planted[/]")
