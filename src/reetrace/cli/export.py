"""`reetrace export ...`: classify an item against the control list as of a date, the No. 61 de minimis test,
and the rules in force on a date.

Thin adapters over :mod:`reetrace.domains.licensing`; nothing here touches the database. Bad input exits 2 with
``error[code]: message`` and where it is.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from reetrace.cli.common import handle_errors, out_console, print_json
from reetrace.domains.licensing import ControlList, classify, deminimis, parse_item, parse_reexport
from reetrace.domains.licensing.classify import Classification
from reetrace.domains.licensing.controllist import FORMS, short_name
from reetrace.errors import Detail, invalid

app = typer.Typer(help="Export control: classify items as of a date, the re-export de minimis test, the rules.",
                  no_args_is_help=True)

AS_OF_OPT = typer.Option(None, "--as-of", help="Answer as of this day (YYYY-MM-DD; default today).", metavar="DATE")
JSON_OPT = typer.Option(False, "--json", help="Print JSON.")
LIST_OPT = typer.Option(None, "--control-list", help="A control list TOML file (default: the one shipped).",
                        metavar="PATH")
CURRENCY_OPT = typer.Option("USD", "--currency", help="ISO 4217 currency of the values.")


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise invalid(f"--as-of: {text!r} is not a date", Detail("write it as YYYY-MM-DD", "--as-of"),
                      code="bad_date") from None


def _control_list(path: Path | None) -> ControlList:
    return ControlList.default() if path is None else ControlList.load(path)


def _composition(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        symbol, sep, percent = pair.partition("=")
        if not sep or not symbol.strip() or not percent.strip():
            raise invalid(f"--element {pair!r}: write it as SYMBOL=PERCENT, e.g. Tb=0.3",
                          Detail("mass fraction in percent", "--element"), code="bad_item")
        if symbol.strip() in out:
            raise invalid(f"--element: {symbol.strip()} is given twice", Detail(pair, "--element"), code="bad_item")
        out[symbol.strip()] = percent.strip()
    return out


@app.command("classify")
@handle_errors
def classify_cmd(
    form: str = typer.Option(..., "--form", help=f"What the item is: {'|'.join(FORMS)}."),
    description: str = typer.Option("", "--description", help="What the item is, in words."),
    hs: str | None = typer.Option(None, "--hs", help="HS code as declared (6-10 digits; a reference only)."),
    element: list[str] = typer.Option([], "--element", help="Element mass fraction in percent, e.g. Tb=0.3 "
                                      "(repeat the option).", metavar="SYMBOL=PERCENT"),
    value: str | None = typer.Option(None, "--value", help="Value of the item."),
    currency: str = CURRENCY_OPT,
    as_of: str | None = AS_OF_OPT,
    control_list: Path | None = LIST_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Controlled, not controlled or uncertain as of a date: which rule, why, and what to confirm."""
    item = parse_item({"form": form, "description": description, "hs_code": hs, "composition": _composition(element),
                       "value": value, "currency": currency})
    result = classify(item, _day(as_of), _control_list(control_list))
    if as_json:
        print_json(result.as_json())
        return
    _print_classification(result)


def _print_classification(result: Classification) -> None:
    verdict = {"controlled": "CONTROLLED", "not_controlled": "NOT CONTROLLED", "uncertain": "UNCERTAIN"}
    out_console.print(f"{verdict[result.verdict]} as of {result.as_of.isoformat()}", markup=False, highlight=False)
    if result.matches:
        table = Table("rule", "announcement", "certainty", "on the date", "subject")
        for m in result.matches:
            table.add_row(m.rule_id, m.announcement, m.certainty, m.state.replace("_", " "), m.title.split(":")[0])
        out_console.print(table)
    sources = tuple(dict.fromkeys(f"{m.rule_id}: {m.citation}" for m in result.matches))
    sections = (("Why", result.steps), ("To confirm", result.uncertain), ("Sources", sources))
    for title, lines in sections:
        if lines:
            out_console.print(f"{title}:", markup=False, highlight=False)
            for line in lines:
                out_console.print(f"  - {line}", markup=False, highlight=False)
    if result.caveat:
        out_console.print(f"Note: {result.caveat}", markup=False, highlight=False)


@app.command("deminimis")
@handle_errors
def deminimis_cmd(
    controlled_value: str = typer.Option(..., "--controlled-value", help="Value of the China-origin controlled "
                                         "content."),
    total_value: str = typer.Option(..., "--total-value", help="Value of the whole item."),
    currency: str = CURRENCY_OPT,
    as_of: str | None = AS_OF_OPT,
    control_list: Path | None = LIST_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """The No. 61 re-export de minimis test (0.1 % of value), and whether the rule applies on the date."""
    values = parse_reexport({"controlled_value": controlled_value, "total_value": total_value, "currency": currency})
    result = deminimis(values, _day(as_of), _control_list(control_list))
    if as_json:
        print_json(result.as_json())
        return
    headline = {"licence_required": "LICENCE REQUIRED", "below_threshold": "BELOW THRESHOLD",
                "rule_not_in_force": "RULE NOT IN FORCE"}[result.outcome]
    out_console.print(f"{headline} as of {result.as_of.isoformat()} ({result.rule_id}: {result.citation})",
                      markup=False, highlight=False)
    for line in result.steps:
        out_console.print(f"  - {line}", markup=False, highlight=False)


@app.command("rules")
@handle_errors
def rules_cmd(
    as_of: str | None = AS_OF_OPT,
    control_list: Path | None = LIST_OPT,
    in_force_only: bool = typer.Option(False, "--in-force", help="Only the rules in force on the date."),
    as_json: bool = JSON_OPT,
) -> None:
    """The rules of the control list and their status on a date."""
    cl = _control_list(control_list)
    day = _day(as_of)
    rows = [(r, s) for r, s in cl.in_force(day) if s.in_force or not in_force_only]
    if as_json:
        print_json({"as_of": day.isoformat(), "version": cl.version, "digest": cl.digest,
                    "rules": [{"rule": r.id, "announcement": short_name(cl.announcement(r.announcement)),
                               "kind": r.kind, "element": r.element, "title": r.title, "state": s.state,
                               "status": s.reason, "citation": r.citation, "verified": r.verified}
                              for r, s in rows]})
        return
    table = Table("rule", "announcement", "kind", "element", "on " + day.isoformat(), "subject")
    for r, s in rows:
        table.add_row(r.id, short_name(cl.announcement(r.announcement)), r.kind, r.element or "",
                      s.state.replace("_", " "), r.title.split(":")[0])
    out_console.print(table)
    out_console.print(f"control list {cl.version} (sha256 {cl.digest[:16]}...), checked {cl.checked.isoformat()}",
                      markup=False, highlight=False)
