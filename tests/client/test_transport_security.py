"""Transport (issue 9): TLS verified by default, the company CA honoured, plain http only to
this machine — checked with the desk's own HTTP client against a real server behind TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.auth import AuthService, LoginFailure
from app.services.credentials import CredentialVault
from app.sync.client import ApiClient, InsecureServer, TlsError
from tests.support.client_side import MemoryKeyring
from tests.support.server_proc import ServerProcess
from tests.support.tls import TlsForwarder, make_ca_and_server_cert
from tests.support.world import PASSWORD, World


@pytest.fixture(scope="module")
def behind_tls(server: ServerProcess,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(https url, company CA) for the module's real server behind a TLS terminator."""
    ca, cert, key = make_ca_and_server_cert(tmp_path_factory.mktemp("tls"))
    forwarder = TlsForwarder(server.port, cert, key)
    yield forwarder.url, ca
    forwarder.stop()


def _auth(url: str, ca: Path | None = None) -> AuthService:
    return AuthService(url, ca_bundle=str(ca) if ca else None,
                       vault=CredentialVault(MemoryKeyring()), device_id="transport-test")


@pytest.mark.parametrize("url", [
    "http://kefu.example.com", "http://10.1.2.3:8000", "http://127.0.0.1.nip.io",
    "http://localhost.evil.example", "http://[2001:db8::1]", "ftp://127.0.0.1",
])
def test_plain_http_to_another_machine_is_refused_before_anything_is_sent(url: str) -> None:
    with pytest.raises(InsecureServer):
        ApiClient(url)
    with pytest.raises(LoginFailure) as failure:
        _auth(url).login("1001@shop.example", "never-sent", remember=False)
    assert failure.value.kind == "insecure"  # 出于安全考虑只能使用 https 地址（本机地址除外）。


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.8.9.10"])
def test_plain_http_to_this_machine_is_allowed(host: str) -> None:
    assert ApiClient(f"http://{host}:8000").base_url == f"http://{host}:8000"


def test_tls_is_verified_by_default_and_the_company_ca_is_trusted_when_configured(
    server: ServerProcess, world: World, behind_tls: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = behind_tls
    agent = world.agent(world.company())
    assert ApiClient(url).verify is True, "verification must be on without any setting"
    with pytest.raises(TlsError):
        ApiClient(url, read_timeout=5).health()
    with pytest.raises(LoginFailure) as failure:
        _auth(url).login(agent.account, PASSWORD, remember=False)
    assert failure.value.kind == "tls"  # 服务器证书不受信任。请联系 IT 配置证书。
    signed_in = _auth(url, ca).login(agent.account, PASSWORD, remember=False)
    assert signed_in.agent.id == agent.id
    # A machine-wide REQUESTS_CA_BUNDLE must not silently replace the company CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(Path(__file__)))  # not even a CA file
    assert ApiClient(url, ca_bundle=str(ca), read_timeout=5).health()["status"] == "ok"
