"""`reetrace documents ...` as a user runs it: register, list, version, issue, trace, and bad input."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "documents"))

from spec_texts import EN_TEXT, ZH_TEXT

from reetrace.container import build_container
from support.backends import make_settings
from support.cli import CommandLine
from support.travel_world import build_world


class Cli(CommandLine):
    group = "documents"

    def __init__(self, home: Path, people: list[str]) -> None:
        super().__init__(home)
        self.people = people


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    container = build_container(make_settings(tmp_path / "home", None))
    try:
        world = build_world(container)
        people = [world.person() for _ in range(6)]
    finally:
        container.close()
    return Cli(tmp_path / "home", people)


TENANT = ("--tenant", "group-north")


def test_register_issue_and_trace_a_pasted_excerpt(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "spec.md"
    spec.write_text(ZH_TEXT + "\n" + EN_TEXT, encoding="utf-8")
    done = cli.json("register", str(spec), "--title", "萃取工艺规程", "--level", "secret", *TENANT,
                    "--recipients", ",".join(cli.people[:4]), "--recipients", "officer.n2")
    doc = done["document_id"]
    assert doc.startswith("RT-DOC-") and len(done["sha256"]) == 64 and done["sites"] > 100
    listed = cli.json("list", *TENANT)
    assert [(d["document_id"], d["level"], d["versions"], d["copies"]) for d in listed] == [(doc, "secret", 1, 0)]
    copies = []
    for n, person in enumerate(cli.people[:4]):
        out = tmp_path / f"copy-{n}.md"
        copies.append(cli.json("issue", doc, "--to", person, "--device", f"laptop-{n}", "--ip", f"10.9.0.{n + 1}",
                               "-o", str(out), *TENANT))
        assert out.read_text(encoding="utf-8") != spec.read_text(encoding="utf-8")
    leaked = (tmp_path / "copy-2.md").read_text(encoding="utf-8")
    excerpt = tmp_path / "pasted.txt"
    excerpt.write_text("\n\n".join(leaked.split("\n\n")[1:3]).replace(" ", "\u200b "), encoding="utf-8")
    result = cli.json("trace", str(excerpt), *TENANT)
    assert (result["verdict"], result["document_id"], result["version"]) == ("accused", doc, 1)
    accused = [s for s in result["suspects"] if s["accused"]]
    assert [(s["copy_id"], s["recipient"], s["device"], s["ip"]) for s in accused] == [
        (copies[2]["copy_id"], cli.people[2], "laptop-2", "10.9.0.3")]
    assert result["single_leaker"] and "single leaker" in result["note"]
    shown = cli("trace", "\n\n".join(leaked.split("\n\n")[1:3]), *TENANT).stdout
    assert "ACCUSED" in shown and copies[2]["copy_id"] in shown and "laptop-2" in shown
    assert cli.json("list", *TENANT)[0]["copies"] == 4


def test_versions_and_an_excerpt_that_is_not_ours(cli: Cli, tmp_path: Path) -> None:
    first, second = tmp_path / "v1.md", tmp_path / "v2.md"
    first.write_text(EN_TEXT, encoding="utf-8")
    second.write_text(EN_TEXT.replace("Process specification", "Revised process specification"), encoding="utf-8")
    doc = cli.json("register", str(first), "--title", "PS-7", "--level", "confidential", *TENANT)["document_id"]
    assert cli.json("version", doc, str(second), *TENANT)["version"] == 2
    foreign = cli.json("trace", "Minutes of the canteen committee: the autumn menu adds two noodle dishes.", *TENANT)
    assert foreign["verdict"] == "not_ours" and foreign["document_id"] is None
    shown = cli("trace", "Revised process specification PS-7 covers the solvent extraction", *TENANT).stdout
    assert doc in shown and "version 2" in shown


def test_bad_input_exits_2_naming_what_and_where_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "spec.md"
    spec.write_text(ZH_TEXT, encoding="utf-8")
    doc = cli.json("register", str(spec), "--title", "t", "--level", "secret", *TENANT,
                   "--recipients", cli.people[0])["document_id"]
    size = cli.size()
    image = tmp_path / "flow.png"
    image.write_bytes(b"GIF89a not a png")
    cases = [
        (("register", str(spec.with_name("missing.md")), "--title", "t", "--level", "secret", *TENANT),
         "cannot read"),
        (("register", str(image), "--title", "t", "--level", "secret", *TENANT), "does not start like a image/png"),
        (("register", str(tmp_path / "spec.md"), "--title", "t", "--level", "top", *TENANT), "at level"),
        (("register", str(spec), "--title", "t", "--level", "secret", "--tenant", "nowhere"), "no tenant 'nowhere'"),
        (("issue", doc, "--to", cli.people[0], "--device", "d", "--ip", "300.1.1.1", "-o", str(tmp_path / "o.md"),
          *TENANT), "at ip"),
        (("issue", doc, "--to", cli.people[1], "--device", "d", "--ip", "10.0.0.1", "-o", str(tmp_path / "o.md"),
          *TENANT), "error[not_a_recipient]"),
        (("issue", "RT-DOC-2026-424242", "--to", cli.people[0], "--device", "d", "--ip", "10.0.0.1", "-o",
          str(tmp_path / "o.md"), *TENANT), "error[not_found]"),
        (("issue", doc, "--to", cli.people[0], "--device", "d", "--ip", "10.0.0.1", "-o",
          str(tmp_path / "no-such-dir" / "o.md"), *TENANT), "error[unwritable_file]"),
        (("trace", "短", *TENANT), "error[excerpt_too_short]"),
        (("trace", "some leaked words from a page", "--eps1", "2", *TENANT), "at --eps1"),
    ]
    for args, message in cases:
        result = cli(*args, code=2)
        assert message in result.stderr, (args, result.stderr)
    assert not (tmp_path / "o.md").exists()
    assert cli.size() == size
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    assert "cannot be decoded as a picture" in cli("register", str(image), "--title", "d", "--level", "secret",
                                                     *TENANT, code=2).stderr
    tiny = io.BytesIO()
    Image.new("L", (40, 40), 255).save(tiny, format="PNG")
    image.write_bytes(tiny.getvalue())
    small = cli.json("register", str(image), "--title", "diagram", "--level", "secret", *TENANT,
                     "--recipients", cli.people[0])["document_id"]
    assert "error[image_too_small]" in cli("issue", small, "--to", cli.people[0], "--device", "d", "--ip",
                                           "10.0.0.1", "-o", str(tmp_path / "o.png"), *TENANT, code=2).stderr
    assert "error[picture_too_small]" in cli("trace", str(image), *TENANT, code=2).stderr
    assert not (tmp_path / "o.png").exists()
