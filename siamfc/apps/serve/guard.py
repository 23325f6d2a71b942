"""Which requests ``siamfc serve`` answers at all: an ASGI middleware in front of every route.

* **Host**: only the names the server is bound to (``localhost``, ``127.0.0.1``, ``[::1]``, what
  ``--host`` names, and ``--allow-host``). A page on another site can make a browser reach a
  server on loopback by DNS rebinding (its own name, re-pointed at 127.0.0.1), but the browser
  then sends that name as Host, and it is refused. Bound to every interface (``0.0.0.0``, ``::``),
  the server also answers to IP addresses (no rebinding attack can produce a Host that is an IP
  address other than the server's own) and to this machine's host name.
* **Origin**: a request that changes something (any method but GET, HEAD, OPTIONS) that comes
  from a page must come from the server's own page: a browser says which page in ``Origin`` (and
  ``Sec-Fetch-Site``), so a form or script on another site cannot upload or start a job.
  Clients that are not browsers send no ``Origin`` and are let through.

Refusals are JSON ``{"error": "..."}`` like every other error of the server: 400 for the Host,
403 for the Origin.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

#: The loopback names every server answers to.
LOOPBACK = ("localhost", "127.0.0.1", "::1")
#: Methods that change nothing (Origin is not checked).
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Addresses meaning "every interface".
WILDCARDS = ("", "0.0.0.0", "::")


def _bare(host: str) -> str:
    return host.strip().strip("[]").lower()


def _host_and_port(netloc: str | None, default_port: int | None = None) -> tuple[str, int | None] | None:
    """``("name", port)`` of a Host header or an origin's netloc (IPv6 in brackets); None if malformed."""
    if not netloc or any(c.isspace() or c in "/?#@\\" for c in netloc):
        return None
    try:
        parts = urlsplit("//" + netloc)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname.lower(), port if port is not None else default_port


class HostPolicy:
    """The Host names a server bound to ``bind`` answers to, plus ``extra`` ones."""

    def __init__(self, bind: str = "127.0.0.1", extra: Iterable[str] = ()) -> None:
        bind = _bare(bind)
        self.any_ip = bind in WILDCARDS
        names = {*LOOPBACK, *(_bare(h) for h in extra)}
        if self.any_ip:
            names |= {_bare(socket.gethostname()), _bare(socket.getfqdn())}
        else:
            names.add(bind)
        self.names = frozenset(n for n in names if n)

    def allows(self, hostname: str) -> bool:
        if hostname in self.names:
            return True
        if not self.any_ip:
            return False
        try:
            ipaddress.ip_address(hostname)
        except ValueError:
            return False
        return True

    def describe(self) -> str:
        shown = sorted(f"[{n}]" if ":" in n else n for n in self.names)
        return ", ".join(shown) + (" or an IP address" if self.any_ip else "")


def _refuse(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _quoted(value: str) -> str:
    return repr(value[:80] + ("..." if len(value) > 80 else ""))


class RequestGuard:
    """ASGI middleware: refuse requests for another Host, and state changes from another Origin."""

    def __init__(self, app, policy: HostPolicy) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            refusal = self.check(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def check(self, scope) -> JSONResponse | None:
        """The refusal of this request, or None to serve it."""
        headers = Headers(scope=scope)
        raw_host = headers.get("host", "")
        host = _host_and_port(raw_host, 80)
        if host is None or not self.policy.allows(host[0]):
            return _refuse(
                f"this server answers only to {self.policy.describe()}; Host {_quoted(raw_host)} refused "
                "(siamfc serve --allow-host NAME adds a name)",
                400,
            )
        if scope.get("method", "GET") in SAFE_METHODS:
            return None
        site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        if site is not None and site not in ("same-origin", "none"):
            return _refuse(f"refused: a {site} page may not change anything on this server", 403)
        if origin is not None:
            parts = urlsplit(origin) if origin != "null" else None
            default = {"http": 80, "https": 443}.get(parts.scheme) if parts is not None else None
            if default is None or _host_and_port(parts.netloc, default) != host:
                return _refuse(
                    f"refused: only this server's own page may change anything on it (Origin {_quoted(origin)})", 403
                )
        return None
