"""Per-browser sessions, as one small ASGI middleware (request limits: guard.py).

A session is a random id in a cookie: enough to keep each learner's runs
apart and to count them against the limits. Nothing personal is stored.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

from fastapi import Request

COOKIE = "glasslm_session"


class SessionMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
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


def session_id(request: Request) -> str:
    """FastAPI dependency: the current browser session's id."""
    return request.state.session
