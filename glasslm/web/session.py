"""Per-browser sessions and request-size limits, as one small ASGI middleware.

A session is a random id in a cookie: enough to keep each learner's runs
apart and to count them against the limits. Nothing personal is stored.
"""

from __future__ import annotations

import json
import secrets
from http.cookies import SimpleCookie

from fastapi import Request

COOKIE = "glasslm_session"
MAX_BODY_BYTES = 2_000_000  # any request body; each demo sets tighter text limits of its own


class SessionMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return await _too_large(send)
        cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
        sid = cookie[COOKIE].value if COOKIE in cookie else None
        is_new = not sid or len(sid) != 32
        if is_new:
            sid = secrets.token_hex(16)
        scope.setdefault("state", {})["session"] = sid

        async def send_with_cookie(message):
            if is_new and message["type"] == "http.response.start":
                value = f"{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"
                message.setdefault("headers", []).append((b"set-cookie", value.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _too_large(send):
    body = json.dumps({"error": f"That request is too large (the limit is {MAX_BODY_BYTES:,} bytes). "
                                "Please send less text.", "field": None}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def session_id(request: Request) -> str:
    """FastAPI dependency: the current browser session's id."""
    return request.state.session
