"""What a request must look like before any demo sees it, as one ASGI middleware.

The guide runs on the learner's own machine, so the danger is not a stranger
on the network but another web page in the same browser:

- DNS rebinding: evil.example re-points its name at 127.0.0.1 and talks to
  this server as if it were its own. Only the Host names this server was
  started with are answered (loopback names by default).
- Cross-site POSTs: a page may send a form or a bodiless `fetch` here without
  asking first (a "simple request"). A state-changing request whose `Origin`
  or `Sec-Fetch-Site` shows another site is refused, and a body must be
  declared as JSON (or as the upload type its endpoint declares), which a
  page elsewhere cannot do without a preflight the server never grants.
- Pages get security headers: a Content-Security-Policy that allows only the
  guide's own (vendored) scripts, no MIME sniffing, no framing.

Bodies are read here, counted as they arrive (with or without Content-Length)
and refused with 413 past `MAX_BODY_BYTES` (or the limit of its own an upload
path is given, `body_limits`), so nobody can make the server hold more than
that in memory.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Iterable

MAX_BODY_BYTES = 2_000_000  # any request body; each demo sets tighter text limits of its own
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = {"0.0.0.0", "[::]"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
JSON = "application/json"
# KaTeX lays out formulas with inline style attributes, so styles may be inline;
# scripts may only come from the guide itself.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's API explorer loads its scripts from a CDN with an inline starter script.
NO_CSP_PATHS = ("/docs", "/redoc")


def host_name(host: str) -> str:
    """The name in a Host header or --host value, without its port: "[::1]:8765" -> "[::1]"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    if host.count(":") > 1:  # a bare IPv6 address, as given to --host
        return f"[{host}]"
    return host.partition(":")[0]


class GuardMiddleware:
    def __init__(self, app, hosts: Iterable[str] = (), body_limits: dict[str, int] | None = None):
        self.app = app
        self.body_limits = dict(body_limits or {})  # path -> its own limit (an upload's), instead of MAX_BODY_BYTES
        self.hosts = {*LOOPBACK_HOSTS, *(host_name(h) for h in hosts if h)}
        # Listening on every address (a class on a network): any IP address may be the
        # one learners type, and DNS rebinding needs a name, so addresses are answered.
        self.any_address = bool(self.hosts & WILDCARD_HOSTS)
        self._uploads: list | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        method = scope["method"]
        host = host_name(headers.get("host", ""))
        if host not in self.hosts and not (self.any_address and _is_address(host)):
            return await _refuse(
                send,
                421,
                "This server answers only to the address it was started on "
                "(such as http://127.0.0.1); open the guide there.",
            )
        if method not in SAFE_METHODS and _cross_site(headers):
            return await _refuse(
                send,
                403,
                "Another web site tried to use this guide's server; only the "
                "guide's own pages may change anything here.",
            )
        body = b""
        if method not in SAFE_METHODS:
            limit = self.body_limits.get(scope["path"], MAX_BODY_BYTES)
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                return await _too_large(send, limit)
            body, more = await _read_body(receive, limit)
            if more:
                return await _too_large(send, limit)
            if body and not self._accepts(scope, headers.get("content-type", "")):
                wanted = " or ".join(sorted(self._declared_types(scope))) or JSON
                return await _refuse(
                    send, 415, f"Send this request's body as {wanted} (its Content-Type), as the guide's pages do."
                )
        await self.app(scope, _replay(body, receive), _with_headers(scope["path"], send))

    def _accepts(self, scope, content_type: str) -> bool:
        media = content_type.partition(";")[0].strip().lower()
        if media == JSON:
            return True
        return media in self._declared_types(scope)

    def _declared_types(self, scope) -> set[str]:
        """The body types the matching endpoint declares besides JSON (an upload's
        octet-stream, say), as the app's OpenAPI schema lists them."""
        if self._uploads is None:
            self._uploads = _upload_types(scope["app"].openapi())
        for method, pattern, types in self._uploads:
            if method == scope["method"] and pattern.fullmatch(scope["path"]):
                return types
        return set()


def _upload_types(schema: dict) -> list[tuple[str, re.Pattern, set[str]]]:
    out = []
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            types = set(op.get("requestBody", {}).get("content", {})) - {JSON}
            if types:
                pattern = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)))
                out.append((method.upper(), pattern, types))
    return out


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _cross_site(headers: dict[str, str]) -> bool:
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    scheme, _, rest = origin.partition("://")
    return scheme not in ("http", "https") or rest.lower() != headers.get("host", "").lower()


async def _read_body(receive, limit: int) -> tuple[bytes, bool]:
    """The whole body, or (what came, True) as soon as it passes the limit."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # afterwards only http.disconnect can come

    return replay


def _with_headers(path: str, send):
    async def send_with_headers(message):
        if message["type"] == "http.response.start":
            extra = [
                (b"x-content-type-options", b"nosniff"),
                (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"same-origin"),
            ]
            if not path.startswith(NO_CSP_PATHS):
                extra.append((b"content-security-policy", CSP.encode()))
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return send_with_headers


async def _refuse(send, status: int, sentence: str):
    body = json.dumps({"error": sentence, "field": None}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_large(send, limit: int):
    what = "less text" if limit == MAX_BODY_BYTES else "a smaller file"
    await _refuse(send, 413, f"That request is too large (the limit is {limit:,} bytes). Please send {what}.")
