"""Technical documents in the authz world: document officers, a registered document per group with one copy issued,
and the route table of the documents API and console.

Users (password ``PASSWORD`` of :mod:`authz_world`): ``doc.officer.a`` (group-a, security_officer: registers,
issues, traces) and ``doc.officer.b`` (group-b, security_officer). ``reg.officer`` (the regulator's supervisor,
which supervises group-a only) reads and traces; ``anna`` (group-a viewer) has no documents permission but may
receive copies.

Planted (ids in ``world.extra``): per group an English process specification (``doc_a``/``doc_b``) that
``doc.officer.a``/``.b``, ``anna`` and ``adam`` (group-a) may receive, and one copy of it (``copy_a``/``copy_b``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from authz_world import World

from reetrace.domains.documents import registry
from reetrace.domains.personnel.models import Caller

USERS = {"doc.officer.a": ("group-a", ["security_officer"]), "doc.officer.b": ("group-b", ["security_officer"])}
RECIPIENTS = {"group-a": ("doc.officer.a", "anna", "adam"), "group-b": ("doc.officer.b", "bella")}


def _spec_texts() -> Any:
    path = Path(__file__).parent.parent / "documents" / "spec_texts.py"
    spec = importlib.util.spec_from_file_location("documents_spec_texts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEXTS = _spec_texts()
BILINGUAL = TEXTS.ZH_TEXT + "\n" + TEXTS.EN_TEXT


def officer(tenant: str) -> str:
    return "doc.officer.a" if tenant == "group-a" else "doc.officer.b"


def plant(world: World, tenant: str, text: str, name: str) -> tuple[str, str]:
    caller = Caller(officer(tenant), tenant, frozenset({tenant}))
    with world.container.unit_of_work() as (uow, vault):
        doc = registry.register_document(uow, caller, text.encode(), name, title=f"萃取工艺规程 PS-7 ({tenant})",
                                         level="secret", recipients=RECIPIENTS[tenant])
        copy = registry.issue_copy(uow, vault, caller, doc.document_id, officer(tenant), device="desk-1",
                                   ip="10.9.8.7")
    return doc.document_id, copy.copy_id


def populate(world: World) -> None:
    from reetrace.authz import service
    from reetrace.authz.passwords import Passwords

    with world.container.unit_of_work() as (uow, vault):
        for username, (tenant, roles) in USERS.items():
            world.user_ids[username] = service.add_user(uow, vault, Passwords("low"), "test", tenant, username,
                                                        username, roles, "Correct-horse-42")
    world.extra["doc_a"], world.extra["copy_a"] = plant(world, "group-a", TEXTS.EN_TEXT + "\nGroup A.\n", "a.md")
    world.extra["doc_b"], world.extra["copy_b"] = plant(world, "group-b", TEXTS.EN_TEXT + "\nGroup B.\n", "b.md")


def placeholders(world: World) -> dict[str, Any]:
    return {key: world.extra[key] for key in ("doc_a", "copy_a")}


D = "/api/v1/documents"
NO_DOC, NO_COPY = "RT-DOC-2026-999999", "RT-CPY-" + "0" * 16
# (user, method, url, JSON body, status, code): bad input to every API route of this module, sent by
# test_web_documents.py::test_bad_requests (and counted by test_web_api_errors).
BAD_REQUESTS: list[tuple[str, str, str, Any, int, str]] = [
    ("doc.officer.a", "POST", D, None, 400, "invalid_request"),
    ("doc.officer.a", "GET", f"{D}/RT-DOC-x", None, 400, "invalid_request"),
    ("doc.officer.a", "GET", f"{D}/{NO_DOC}", None, 404, "not_found"),
    ("doc.officer.a", "POST", f"{D}/{NO_DOC}/versions", None, 400, "invalid_request"),
    ("doc.officer.a", "POST", f"{D}/{NO_DOC}/copies", {"to": "anna", "device": "pc", "ip": "10.0.0.1"}, 404,
     "not_found"),
    ("doc.officer.a", "POST", f"{D}/{NO_DOC}/copies", {"to": "anna"}, 400, "invalid_request"),
    ("doc.officer.a", "POST", f"{D}/RT-DOC-x/copies", {"to": "anna", "device": "pc", "ip": "10.0.0.1"}, 400,
     "invalid_request"),
    ("doc.officer.a", "POST", f"{D}/trace", None, 400, "empty_trace"),
    ("doc.officer.a", "POST", f"{D}/copies/{NO_COPY}/access", {"action": "open"}, 404, "not_found"),
    ("doc.officer.a", "POST", f"{D}/copies/{NO_COPY}/access", {"action": "copy"}, 400, "invalid_request"),
    ("doc.officer.a", "POST", f"{D}/copies/RT-CPY-x/access", {"action": "open"}, 400, "invalid_request"),
    ("doc.officer.a", "GET", f"{D}/copies/{NO_COPY}/file", None, 404, "not_found"),
    ("doc.officer.a", "GET", f"{D}/copies/{NO_COPY}/file?format=docx", None, 400, "invalid_request"),
    ("doc.officer.a", "GET", f"{D}/copies/RT-CPY-x/file", None, 400, "invalid_request"),
    ("doc.officer.a", "POST", f"{D}/{NO_DOC}/copies", {"to": "anna", "device": "pc", "ip": "10.0.0.1",
                                                      "format": "docx"}, 400, "invalid_request"),
]


def _calls() -> tuple[list[Any], list[Any]]:
    from route_table import Call

    doc, cp = "{doc_a}", "{copy_a}"
    read, register, issue, trace = ("documents:document:read", "documents:document:register",
                                    "documents:copy:issue", "documents:leak:trace")
    copy_form = {"to": "anna", "device": "pc-1", "ip": "10.0.0.1"}
    api = [
        Call("GET", D, D, read),
        Call("POST", D, D, register, form={}),
        Call("GET", f"{D}/{doc}", f"{D}/{{document_id}}", read),
        Call("POST", f"{D}/{doc}/versions", f"{D}/{{document_id}}/versions", register, form={}),
        Call("POST", f"{D}/{doc}/copies", f"{D}/{{document_id}}/copies", issue, json=copy_form),
        Call("POST", f"{D}/trace", f"{D}/trace", trace, form={"text": "x"}),
        Call("POST", f"{D}/copies/{cp}/access", f"{D}/copies/{{copy_id}}/access", read, json={"action": "open"}),
        Call("GET", f"{D}/copies/{cp}/file", f"{D}/copies/{{copy_id}}/file", issue),
    ]
    c = "/documents"
    console = [
        Call("GET", c, c, read),
        Call("GET", f"{c}/new", f"{c}/new", register),
        Call("POST", f"{c}/new", f"{c}/new", register, form={"title": "x"}),
        Call("GET", f"{c}/trace", f"{c}/trace", trace),
        Call("POST", f"{c}/trace", f"{c}/trace", trace, form={"text": "x"}),
        Call("GET", f"{c}/{doc}", f"{c}/{{document_id}}", read),
        Call("POST", f"{c}/{doc}/copies", f"{c}/{{document_id}}/copies", issue, form=copy_form),
        Call("POST", f"{c}/{doc}/versions", f"{c}/{{document_id}}/versions", register, form={}),
    ]
    return api, console


def __getattr__(name: str) -> Any:
    """``API``, ``CONSOLE`` and ``EXPECTED`` are built on first use: ``route_table`` imports this module."""
    if name in ("API", "CONSOLE", "EXPECTED"):
        api, console = _calls()
        values = {"API": api, "CONSOLE": console, "EXPECTED": {c.key: c.permission for c in api + console}}
        globals().update(values)
        return values[name]
    raise AttributeError(name)
