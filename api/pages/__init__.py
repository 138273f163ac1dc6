"""The server-rendered pages (Thai first): case workers, supervisors, the committee, policy staff,
administrators, and the shared layout.

``install(app)`` adds them to the API's app: static files, the page routers, and not-found pages
for addresses a browser asks for. Pages call the same engine functions and the same rights as the
REST API, and never show more than the API would show the same person.
"""
from __future__ import annotations

from fastapi import FastAPI

from api.pages import admin, auth, cases, docs, forms, protocols, supervision, work
from api.pages.errors import install_error_pages
from api.pages.static import mount_static


def install(app: FastAPI) -> None:
    mount_static(app)
    for module in (auth, work, cases, supervision, protocols, forms, admin, docs):
        app.include_router(module.router)
    install_error_pages(app)
