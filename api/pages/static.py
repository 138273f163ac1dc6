"""Static files: the pages' own scripts and styles, and the front-end packages from npm.

The npm packages are installed by ``npm ci`` (``make run`` and ``make test`` do it) into
``node_modules/`` at the project root, which is not committed. Only the folders the pages use
are served, each under ``/static/vendor/<name>/``.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from engine.settings import PROJECT_ROOT

log = logging.getLogger("khumkrong.pages")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
NODE_MODULES = Path(os.environ.get("KHUMKRONG_NODE_MODULES", PROJECT_ROOT / "node_modules"))
VENDOR = {
    "bpmn-js": "bpmn-js/dist",
    "bpmn-js-properties-panel": "bpmn-js-properties-panel/dist",
    "properties-panel": "@bpmn-io/properties-panel/dist/assets",
    "htmx": "htmx.org/dist",
    "swagger-ui": "swagger-ui-dist",
}
INSTALL_HINT = "run `npm ci --ignore-scripts` in the project folder (make run and make test do it; npm comes with Node.js)"


class RevalidatedStatic(StaticFiles):
    """Static files a browser may keep but must revalidate (ETag): an upgrade shows at once.

    Without this the app's guard would mark them ``no-store`` like every answer that may hold
    case data, and the 2.5 MB properties panel would be fetched anew on every page.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["cache-control"] = "no-cache"
        return response


def vendor_missing() -> list[str]:
    return [name for name, folder in VENDOR.items() if not (NODE_MODULES / folder).is_dir()]


def mount_static(app: FastAPI) -> None:
    missing = vendor_missing()
    if missing:
        log.warning("front-end packages missing (%s): %s", ", ".join(missing), INSTALL_HINT)
    # The vendor mounts come first: "/static" would otherwise take their paths.
    for name, folder in VENDOR.items():
        app.mount(f"/static/vendor/{name}", RevalidatedStatic(directory=NODE_MODULES / folder, check_dir=False),
                  name=f"vendor-{name}")
    app.mount("/static", RevalidatedStatic(directory=STATIC_DIR), name="static")
