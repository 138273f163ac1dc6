"""The app as uvicorn's worker processes build it (``khumkrong serve --workers N``): each
process puts itself together from the environment, as every Khumkrong process does."""
from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from engine.settings import get_settings


def app_from_environment() -> FastAPI:
    return create_app(get_settings())
