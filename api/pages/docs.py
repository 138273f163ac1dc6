"""``/docs``: the API's interactive documentation, served from the npm install (works offline)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.pages.errors import PageRoute
from api.pages.rendering import render
from api.pages.security import OptionalPageUser

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/docs")
def api_documentation(request: Request, user: OptionalPageUser) -> Response:
    return render(request, "docs.html", user)
