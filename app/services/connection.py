"""Probing a server address: reachable, certificate trusted, protocol compatible, which version."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from app.sync.client import (
    ApiClient,
    ApiError,
    InsecureServer,
    NetworkError,
    ProtocolError,
    ServerError,
    SyncError,
    TlsError,
)
from kefu_protocol.wire import PROTOCOL_VERSION

Outcome = Literal["ok", "insecure", "network", "tls", "server", "protocol", "incompatible"]


@dataclass(frozen=True)
class ServerProbe:
    """What one GET /health told us; `outcome` is the first thing that went wrong."""

    url: str
    outcome: Outcome
    detail: str = ""
    version: str = ""
    database: str = ""
    protocol: int | None = None
    tls: bool = False
    """True when the answer came over https with a verified certificate."""
    ca_bundle: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def reached(self) -> bool:
        """A server answered at this address (even if we could not trust or use it)."""
        return self.outcome not in ("insecure", "network")


def probe_server(url: str, ca_bundle: str | None = None, timeout: float = 8.0) -> ServerProbe:
    """Runs on a network worker; never raises for a bad address or a bad server."""
    try:
        client = ApiClient(url, ca_bundle=ca_bundle, connect_timeout=timeout,
                           read_timeout=timeout)
    except InsecureServer:
        return ServerProbe(url, "insecure", ca_bundle=ca_bundle)
    try:
        health = client.health()
    except TlsError as exc:
        return ServerProbe(client.base_url, "tls", str(exc), ca_bundle=ca_bundle)
    except NetworkError as exc:
        return ServerProbe(client.base_url, "network", str(exc), ca_bundle=ca_bundle)
    except ServerError as exc:
        return ServerProbe(client.base_url, "server", str(exc), ca_bundle=ca_bundle)
    except (ProtocolError, ApiError, SyncError) as exc:
        return ServerProbe(client.base_url, "protocol", str(exc), ca_bundle=ca_bundle)
    finally:
        client.close()
    protocol = health.get("protocol_version")
    probe = ServerProbe(client.base_url, "ok", version=str(health.get("version", "")),
                        database=str(health.get("database", "")),
                        protocol=protocol if isinstance(protocol, int) else None,
                        tls=client.base_url.startswith("https://"), ca_bundle=ca_bundle)
    if protocol != PROTOCOL_VERSION:
        return replace(probe, outcome="incompatible", detail=f"server protocol {protocol}, "
                       f"client protocol {PROTOCOL_VERSION}")
    return probe
