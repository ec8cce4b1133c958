"""create_app(container): the console and the JSON API."""

from __future__ import annotations

from fastapi import FastAPI

from reetrace.container import Container, build_container
from reetrace.settings import load_settings


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="reetrace")
    app.state.container = container
    return app


def app_from_environment() -> FastAPI:
    return create_app(build_container(load_settings()))
