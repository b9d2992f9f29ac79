"""The web app: chat, the memory dashboard, the turn graph and usage, served by the API itself.

A package of its own because its assets (HTML, CSS, vanilla JavaScript under `static/`) ship with the
Python package and nothing else serves them: no Node at install or run time, nothing fetched from the
internet. The pages talk to the public REST API with the key the user signs in with (kept in the
browser's session storage) or, in local mode, with none.

Every page is answered with a Content-Security-Policy that allows scripts, styles and requests to this
origin only (no inline script or style), so a stored string that reached the page as markup could
still not run; the scripts render every stored string as text anyway (static/common.js `h`).
"""

from __future__ import annotations

import html
from functools import cache
from importlib import metadata
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from memory.extract_rules import CATEGORIES
from nodes.agents import AGENTS

STATIC = Path(__file__).parent / "static"  # served as they are
TEMPLATE = Path(__file__).parent / "pages" / "page.html"  # every page: its title, script and choices filled in
try:  # in asset URLs: a new release is a new URL, so assets can be cached for good
    VERSION = metadata.version("mnemo")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    VERSION = "dev"
ASSETS = f"/assets/{VERSION}"
PAGES = {"/": ("Chat", "chat.js"), "/memories": ("Memories", "memories.js"), "/graph": ("Graph", "graph.js"),
         "/usage": ("Usage", "usage.js")}  # path: (title, the script that draws it)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


class VersionedStatic(StaticFiles):
    """The assets, cacheable for a year (their URL changes with the version) and never sniffed."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@cache
def page_html(path: str) -> str:
    """The page at `path`, read once: its title, script, asset prefix and the choices it offers (agents,
    memory categories) filled in, escaped."""
    title, script = PAGES[path]
    choices = {name: "".join(f'<option value="{html.escape(v)}"></option>' for v in values)
               for name, values in (("agents", AGENTS), ("categories", CATEGORIES))}
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in {"title": html.escape(title), "script": script, "assets": ASSETS, **choices}.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _page_route(path: str):
    async def page() -> HTMLResponse:
        return HTMLResponse(page_html(path), headers=SECURITY_HEADERS)

    page.__name__ = f"page_{PAGES[path][0].lower()}"
    return page


def install_web(app: FastAPI) -> None:
    """The pages at /, /memories, /graph and /usage and their assets under /assets/<version>/."""
    router = APIRouter(include_in_schema=False)
    for path in PAGES:
        router.add_api_route(path, _page_route(path), methods=["GET"], response_class=HTMLResponse)
    app.include_router(router)
    app.mount(ASSETS, VersionedStatic(directory=STATIC), name="assets")
