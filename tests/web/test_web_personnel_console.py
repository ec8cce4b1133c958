"""The personnel console on SQLite and PostgreSQL: staff list and person pages, the audited reveal, the import form
with its row errors, the national registry's charts and audited drill-down, the watch list forms and checks, and
the pages in Simplified Chinese."""

from __future__ import annotations

import html
import re

from authz_world import World
from domain_personnel import NAMES, bad_check_digit, resident_id, world_fixture

world = world_fixture()
HEADER = "enterprise_id,name_zh,name_latin,resident_id,secrecy_level,post,hired_on,expertise\n"


def test_staff_list_page_with_filters_and_paging(world: World) -> None:
    client = world.session("sofia")
    page = client.get("/personnel").text
    assert f'href="/personnel/persons/{world.extra["person_a"]}"' in page
    assert world.extra["person_b"] not in page and 'id="staff-filters"' in page
    mining = client.get("/personnel?expertise=mining").text
    assert world.extra["person_a2"] in mining and world.extra["person_a"] not in mining
    departed = client.get("/personnel?status=departed&secrecy_level=core").text
    assert world.extra["person_a"] in departed and world.extra["person_a2"] not in departed
    assert client.get("/personnel?status=gone").status_code == 400
    assert client.get("/personnel?page=0").status_code == 400
    assert 'href="/personnel"' in page and "Personnel" in page  # the nav link for who may read the registry
    assert 'href="/personnel"' not in world.session("anna").get("/").text


def test_person_page_and_the_audited_reveal(world: World) -> None:
    client = world.session("sofia")
    person = world.extra["person_a"]
    page = client.get(f"/personnel/persons/{person}").text
    assert 'id="watch-listed"' in page and 'id="in-cooling-off"' in page
    assert "Solvent-extraction separation" in page and "Core" in page and "RE-TECH-SX-01" in page
    assert world.extra["alert_a"] in page and 'class="reveal"' in page
    assert all(name not in page for name in NAMES["person_a"])
    before = world.size()
    revealed = client.post(f"/personnel/persons/{person}/reveal")
    assert revealed.status_code == 200 and revealed.headers["cache-control"] == "no-store"
    assert NAMES["person_a"][0] in revealed.text and "revealed and audited" in revealed.text
    [event] = world.audit_events(since=before)
    assert (event["action"], event["username"], event["target"]) == ("personal_data.read", "sofia", person)
    gwen = world.session("gwen").get(f"/personnel/persons/{person}").text
    assert 'class="reveal"' not in gwen  # group security may read the registry but not reveal
    before = world.size()
    assert world.session("stan").get(f"/personnel/persons/{person}").status_code == 404
    assert [e["reason"] for e in world.audit_events(since=before)] == ["not found in scope"]
    assert world.session("sofia").get("/personnel/persons/P-0000").status_code == 404


def test_import_page_shows_row_errors_and_stores_nothing(world: World) -> None:
    client = world.session("sofia")
    assert 'id="import-form"' in client.get("/personnel/import").text
    rows = [f"NM-BAOTOU-01,钱进,Qian Jin,{resident_id()},general,Assayer,2018-04-01,analysis",
            f"NM-BAOTOU-01,,,{bad_check_digit(resident_id())},core,Chemist,2012-01-01,cooking"]
    before = world.size()
    refused = client.post("/personnel/import", files={"file": ("staff.csv", HEADER + "\n".join(rows), "text/csv")})
    assert refused.status_code == 400 and 'id="import-errors"' in refused.text
    table = html.unescape(refused.text.split('id="import-errors"')[1])
    assert "staff.csv, row 3, resident_id" in table and "staff.csv, row 3, expertise" in table
    assert world.size() == before
    assert client.post("/personnel/import", files={"file": ("x.pdf", b"%PDF", "application/pdf")}).status_code == 400
    done = client.post("/personnel/import", files={"file": ("staff.csv", HEADER + rows[0], "text/csv")})
    assert done.status_code == 200 and 'id="import-report"' in done.text and "1 person was registered" in done.text


def test_national_page_has_accessible_charts(world: World) -> None:
    page = world.session("reg.officer").get("/personnel/national").text
    for chart in ("chart-expertise", "chart-secrecy", "chart-province", "chart-enterprises"):
        svg = page.split(f'<svg class="chart" id="{chart}"')[1].split("</svg>")[0]
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg and 'role="img"' in svg
        assert f'<title id="{chart}-title">' in svg and f'<desc id="{chart}-desc">' in svg and "<rect" in svg
        assert f'id="{chart}-table"' in page
    assert "<script" not in page and "Inner Mongolia" in page and "Jiangxi" not in page
    assert "JX-GANZHOU-02" not in page and 'class="inline drill-down"' in page
    assert world.session("sofia").get("/personnel/national").status_code == 403


def test_drill_down_needs_a_reason_and_is_audited(world: World) -> None:
    client = world.session("reg.officer")
    before = world.size()
    refused = client.post("/personnel/national/drill-down", data={"enterprise_id": "NM-BAOTOU-01", "reason": " "})
    assert refused.status_code == 400 and "reason" in refused.text
    assert world.size() == before and world.extra["person_a"] not in refused.text
    shown = client.post("/personnel/national/drill-down",
                        data={"enterprise_id": "NM-BAOTOU-01", "reason": "quarterly review of core staff"})
    assert shown.status_code == 200 and 'id="drill-down-notice"' in shown.text
    assert world.extra["person_a"] in shown.text and world.extra["person_b"] not in shown.text
    [event] = world.audit_events(since=before)
    assert (event["action"], event["username"], event["permission"]) == ("personal_data.read", "reg.officer",
                                                                         "personnel:person:read")
    assert event["reason"] == "national registry drill-down: quarterly review of core staff"
    assert event["target"] == "/personnel?enterprise_id=NM-BAOTOU-01"
    before = world.size()
    hidden = client.post("/personnel/national/drill-down",
                         data={"enterprise_id": "JX-GANZHOU-02", "reason": "curiosity about group-b"})
    assert hidden.status_code == 404 and world.extra["person_b"] not in hidden.text
    assert [e["reason"] for e in world.audit_events(since=before)] == ["not found in scope"]


def test_watch_list_forms(world: World) -> None:
    client = world.session("gwen")
    page = client.get("/personnel/watchlist").text
    assert world.extra["entry_a"] in page and world.extra["entry_b"] not in page
    assert 'id="watch-person-form"' in page and 'id="watch-post-form"' in page
    added = client.post("/personnel/watchlist/persons", data={"person_id": world.extra["person_a2"],
                                                              "reason": "mine survey data"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/personnel/watchlist?notice=person-watched"
    listed = client.get(added.headers["location"]).text
    assert 'id="notice"' in listed and "mine survey data" in listed
    entry = re.search(r'id="entry-(W-[0-9A-F]{16})"', listed.split("mine survey data")[0].rsplit("<tr", 1)[1])
    assert entry is not None
    removed = client.post(f"/personnel/watchlist/{entry.group(1)}/remove", data={"reason": "survey finished"},
                          follow_redirects=False)
    assert removed.headers["location"] == "/personnel/watchlist?notice=entry-removed"
    post = client.post("/personnel/watchlist/posts", data={"enterprise_id": "NM-BAOTOU-01", "post": "Kiln master",
                                                           "reason": "furnace recipes"}, follow_redirects=False)
    assert post.headers["location"] == "/personnel/watchlist?notice=post-watched"
    assert client.post("/personnel/watchlist/persons", data={"person_id": "P-0000", "reason": "x"}).status_code == 404
    viewer = world.session("sofia").get("/personnel/watchlist").text
    assert 'id="watch-person-form"' not in viewer and "/remove" not in viewer


def test_check_page_shows_how_names_matched(world: World) -> None:
    client = world.session("gwen")
    assert 'id="staff-check-form"' in client.get("/personnel/watchlist/check").text
    staff = client.post("/personnel/watchlist/check/staff", data={"organisation": "Nordic Magnet AB", "country": "SE"},
                        files={"file": ("staff.csv", "name_zh,name_latin\n张伟,\n", "text/csv")})
    assert staff.status_code == 200 and 'id="staff-matches"' in staff.text
    row = next(r for r in staff.text.split("<tr>") if world.extra["person_a"] in r).split("</tr>")[0]
    assert "exact (Chinese characters)" in row and 'href="/alerts/A-' in row
    name = client.post("/personnel/watchlist/check/name", data={"query": "Zhang Wei"})
    assert 'id="name-matches"' in name.text and "Latin-script variant" in name.text
    nobody = client.post("/personnel/watchlist/check/name", data={"query": "Nobody Known"})
    assert 'id="name-matches-none"' in nobody.text
    bad = client.post("/personnel/watchlist/check/staff", data={"organisation": "X", "country": "ZZ"},
                      files={"file": ("staff.csv", "name_zh\n张伟\n", "text/csv")})
    assert bad.status_code == 400 and "unknown country" in bad.text


def test_pages_in_simplified_chinese(world: World) -> None:
    client = world.session("zhou")  # the regulator's officer, whose console speaks Simplified Chinese
    for url, heading in (("/personnel", "人员登记"), ("/personnel/national", "全国技术专家登记"),
                         ("/personnel/watchlist", "重点关注名单"), ("/alerts", "告警")):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-language"] == "zh-Hans"
        assert heading in response.text, url
    national = client.get("/personnel/national").text
    assert "按专业领域统计人数" in national and "萃取分离" in national and "核心" in national
    assert "Persons by field of expertise" not in national


def test_an_authority_reads_a_persons_page_only_with_a_stated_reason(world: World) -> None:
    client = world.session("reg.officer")
    person = world.extra["person_a"]
    before = world.size()
    asked = client.get(f"/personnel/persons/{person}")
    assert asked.status_code == 403 and 'name="reason"' in asked.text and "Zhang" not in asked.text
    assert world.size() == before  # asking for the reason reads nothing and records nothing
    shown = client.get(f"/personnel/persons/{person}", params={"reason": "licence review LA-17"})
    assert shown.status_code == 200 and person in shown.text
    assert 'name="reason" value="licence review LA-17"' in shown.text  # the reveal form carries the reason on
    [event] = world.audit_events(since=before)
    assert (event["action"], event["reason"]) == ("personal_data.read", "person detail: licence review LA-17")
    drilled = client.post("/personnel/national/drill-down",
                          data={"enterprise_id": "NM-BAOTOU-01", "reason": "quarterly review of core staff"})
    assert f"/personnel/persons/{person}?reason=quarterly%20review%20of%20core%20staff" in drilled.text
