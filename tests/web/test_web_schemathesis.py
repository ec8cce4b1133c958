"""Property-based tests of the JSON API against its own OpenAPI schema (schemathesis): no 500s, and every answer
conforms to the schema (the documented error shape included).

Requests carry the bearer token of a tenant admin, so they reach the handlers rather than stopping at 401. The
number of examples per operation is bounded to keep the suite fast; ``REETRACE_FUZZ_EXAMPLES`` raises it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from authz_world import World, build_world, world_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from reetrace.web.access import declared_routes
from reetrace.web.app import OPENAPI_URL
from reetrace.web.errors import is_api_path

EXAMPLES = int(os.environ.get("REETRACE_FUZZ_EXAMPLES", "10"))


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str, list[Any]]]:
    world = build_world(world_settings(tmp_path_factory.mktemp("fuzz-home")))
    schema = schemathesis.openapi.from_asgi(OPENAPI_URL, world.app)
    yield world, world.token("alice"), [result.ok() for result in schema.get_all_operations()]
    world.container.close()


def test_schema_lists_every_api_operation(fuzz_world: tuple[World, str, list[Any]]) -> None:
    labels = {op.label for op in fuzz_world[2]}
    assert "POST /api/v1/log/notes" in labels and "DELETE /api/v1/tokens/{token_id}" in labels
    api = {f"{method} {route.path}" for route in declared_routes(fuzz_world[0].app)
           if not route.framework and is_api_path(route.path) and route.path.startswith("/api/")
           for method in route.methods}
    assert api <= labels, f"API routes missing from the OpenAPI schema: {sorted(api - labels)}"


def test_no_server_errors_and_schema_conformance(fuzz_world: tuple[World, str, list[Any]]) -> None:
    _, token, operations = fuzz_world
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert failures == []
