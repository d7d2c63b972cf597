"""Whether a connection with ``use_tls=None`` tries TLS first (spec 08 §2.3).

``use_tls=None`` means "TLS if the server offers it". Trying costs a failed handshake and a
second connection when the server has no TLS, so it is skipped where it cannot help: on a
loopback address or a Unix socket (the traffic never leaves the machine), and for a server
that already refused TLS in this process (its fallback warning is logged once, not on every
connection). ``use_tls=True``, ``False`` or a dict of options are always followed as given.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

logger = logging.getLogger("datajoint")

# (backend, host, port) of servers that refused TLS and accepted a plain connection
_REFUSED: set[tuple[str, str, Any]] = set()

FALLBACK_WARNING = (
    "SSL connection failed (%s). Falling back to non-SSL connection. "
    "To require SSL, set use_tls=True explicitly."
)


def is_local(host: str | None) -> bool:
    """True for a loopback address (``localhost``, 127.0.0.0/8, ``::1``) or a socket path."""
    if not host or host == "localhost" or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: not resolved here (that would cost a lookup)
        return False


def worth_trying(backend: str, host: str | None, port: Any) -> bool:
    """Whether ``use_tls=None`` should try TLS on this server first."""
    return not is_local(host) and (backend, host or "", port) not in _REFUSED


def falling_back(error: BaseException) -> None:
    """Log that the TLS attempt failed and a plain connection follows."""
    logger.warning(FALLBACK_WARNING, str(error).strip())


def refused(backend: str, host: str | None, port: Any) -> None:
    """Remember that the server refused TLS but took a plain connection."""
    _REFUSED.add((backend, host or "", port))
