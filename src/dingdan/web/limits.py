"""Request body cap, enforced while the body arrives and before any handler parses it.

Bodies are at most `max_bytes` (1 MiB by default); paths listed in `larger` (file uploads)
get their own cap. A body over its cap is answered 413 without being read further.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dingdan.web.problems import localise, problem_locale
from dingdan.web.routing import replaying


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    def _cap_for(self, path: str) -> int:
        for prefix, cap in self.larger.items():
            if path.startswith(prefix):
                return cap
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS", "DELETE"}:
            await self.app(scope, receive, send)
            return
        cap = self._cap_for(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            await _refuse(scope, send, cap)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _refuse(scope, send, cap)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)


async def _refuse(scope: Scope, send: Send, cap: int) -> None:
    locale = problem_locale(Request(scope))
    body = orjson.dumps(
        {
            "type": "/problems/body-too-large",
            "title": localise(locale, "Request body too large"),
            "status": 413,
            "detail": localise(locale, "the body may be at most {cap} bytes", {"cap": cap}),
            "errors": [],
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
