"""Adding a module's routes to the app.

FastAPI's `include_router` keeps each included router as a branch of its own, and every
request walks the branches in turn (checking each one's routes and caches) until one matches:
with some fifty routers that was about 2 ms of CPU for a request matched late or not at all, more
than the whole answer of a tracking lookup. Our routers configure everything on the routes
themselves (prefix, tags, schema visibility; nothing is given at inclusion), so their routes
are added to the app as they are, where matching one is a regular-expression test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import URLPath
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Message, Receive, Scope, Send


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    for router in routers:
        app.router.routes.extend(router.routes)


LeanHandler = Callable[[Scope, bytes], Awaitable[Response | None]]
BODILESS_METHODS = frozenset({"GET", "HEAD"})


class LeanRoute(BaseRoute):
    """Serves the common case of one busy API route without FastAPI's per-request machinery.

    FastAPI spends about 0.3 ms of CPU on an order's request before the endpoint runs (route
    matching, the dependency tree, the body read twice over): a fifth of what the order costs the
    API process. This route sits first in the table and answers the same method and path with a
    lean handler, which returns None for anything but the common case (another kind of caller,
    a body it cannot read, a header it would refuse): the request is then handed, body and all,
    to the FastAPI route itself, which answers it as it always has. The FastAPI route stays the
    documented one (OpenAPI) and the one every unusual request meets, so both answer alike.
    """

    def __init__(self, route: APIRoute, handler: LeanHandler) -> None:
        self.route = route
        self.handler = handler
        self.methods = frozenset(route.methods or ())
        self.child_scope: Scope = {"route": route, "endpoint": route.endpoint, "path_params": {}}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        http = scope["type"] == "http"
        if http and scope["method"] in self.methods and _route_path(scope) == self.route.path:
            return Match.FULL, self.child_scope
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # the FastAPI route answers for its name

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        if scope["method"] not in BODILESS_METHODS:  # a lookup has no body to read and replay
            body, receive = await _read_body(receive)
        response = await self.handler(scope, body)
        if response is None:
            await self.route.handle(scope, receive, send)
        else:
            await response(scope, receive, send)


def add_lean_route(app: FastAPI, endpoint: Callable[..., Any], handler: LeanHandler) -> None:
    """Puts a lean handler in front of the FastAPI route whose endpoint is `endpoint`."""
    route = next(r for r in app.router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint)
    app.router.routes.insert(0, LeanRoute(route, handler))


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a receive that gives it again to whoever reads next."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replaying(body, receive)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that gives `body` (already read) as one message, then defers to `receive`."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
