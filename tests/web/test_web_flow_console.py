"""The flow pages of the console: a lot's trace as an inline SVG graph (sources on the left, each node with its lot
id, enterprise, country and share) and as a table, the mass balance with the out-of-tolerance rows highlighted, the
quotas with a usage bar, another tenant's lot as a 404 page, the nav link, and the pages in Chinese."""

from __future__ import annotations

import re

import pytest
from authz_world import ENTERPRISE, World

from reetrace.authz.service import set_locale


@pytest.fixture(scope="module")
def world(authz_world: World) -> World:
    with authz_world.container.unit_of_work() as (uow, _):
        set_locale(uow, "test", authz_world.user_ids["flow.officer.b"], "zh-Hans")
    return authz_world


def node_x(page: str, lot: str) -> float:
    group = page.split(f'id="node-{lot}"')[1].split("</g>")[0]
    match = re.search(r'<rect x="([\d.]+)"', group)
    assert match is not None
    return float(match.group(1))


def test_the_trace_page_draws_the_graph_with_the_mines_enterprise_and_share(world: World) -> None:
    response = world.session("flow.officer.a").get("/flow/lots/FA-ND-1")
    assert response.status_code == 200
    page = response.text
    svg = page.split('id="trace-graph"')[1].split("</svg>")[0]
    assert "<script" not in page.lower()
    mine = svg.split('id="node-FA-CONC-A"')[1].split("</g>")[0]
    assert "FA-CONC-A" in mine and f"{ENTERPRISE['group-a']} (CN)" in mine and "share 60.0 %" in mine
    assert svg.count('class="edge"') == 3 and svg.count('class="node"') == 4
    assert node_x(page, "FA-CONC-A") < node_x(page, "FA-MIX-1") < node_x(page, "FA-ND-1")  # layered left to right
    row = page.split('id="row-FA-CONC-B"')[1].split("</tr>")[0]
    assert ENTERPRISE["group-a"] in row and "40.0 %" in row and "concentrate" in row
    forward = world.session("flow.officer.a").get("/flow/lots/FA-CONC-A?direction=forward").text
    assert 'id="node-FA-ND-1"' in forward and "share 60.0 %" in forward


def test_the_balance_page_highlights_rows_outside_the_tolerance(world: World) -> None:
    page = world.session("flow.officer.a").get("/flow/balance?month=2026-03").text
    table = page.split('id="balances"')[1].split("</table>")[0]
    rows = table.split("<tr")[2:]
    assert len(rows) == 2 and all('class="overdue outside"' in r and 'class="badge bad"' in r for r in rows)
    assert 'href="/flow/balance"' in page  # the nav link
    assert 'href="/flow/balance"' not in world.session("anna").get("/").text
    bad = world.session("flow.officer.a").get("/flow/balance?month=2026-13")
    assert bad.status_code == 400 and "YYYY-MM" in bad.text


def test_the_quota_page_shows_a_usage_bar(world: World) -> None:
    page = world.session("flow.officer.a").get("/flow/quotas?year=2026").text
    row = page.split(f'id="quota-{ENTERPRISE["group-a"]}-mining"')[1].split("</tr>")[0]
    assert "<svg" in row and "125.0 %" in row and 'fill="#b33"' in row


def test_another_tenants_lot_is_a_404_page(world: World) -> None:
    response = world.session("flow.officer.b").get("/flow/lots/FA-MIX-1")
    assert response.status_code == 404 and ENTERPRISE["group-a"] not in response.text


def test_the_pages_in_chinese(world: World) -> None:
    client = world.session("flow.officer.b")
    trace = client.get("/flow/lots/FB-CONC-1").text
    assert "批次 FB-CONC-1 的追溯" in trace and "份额 100.0 %" in trace and "企业" in trace
    assert "物料平衡" in client.get("/flow/balance").text
    assert "配额" in client.get("/flow/quotas?year=2026").text
