"""Adding a module's routes to the app.

FastAPI's `include_router` keeps each included router as a branch of its own, and every
request walks the branches in turn (checking each one's routes and caches) until one matches:
with some fifty routers that was about 2 ms of CPU for a request matched late or not at all, more
than the whole answer of a tracking lookup. Our routers configure everything on the routes
themselves (prefix, tags, schema visibility; nothing is given at inclusion), so their routes
are added to the app as they are, where matching one is a regular-expression test.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    for router in routers:
        app.router.routes.extend(router.routes)
