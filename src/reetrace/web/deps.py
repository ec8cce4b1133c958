"""Request dependencies: the container behind the app and a read-only view of the log per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from reetrace.container import Container
from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def log_reader(request: Request) -> Iterator[LogReader]:
    """One read transaction per request: every value a page or a response shows comes from one snapshot."""
    with read_transaction(container_of(request).engine) as conn:
        yield LogReader(conn)


Reader = Annotated[LogReader, Depends(log_reader)]
AppContainer = Annotated[Container, Depends(container_of)]
