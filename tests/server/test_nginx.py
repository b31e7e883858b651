"""TLS behind a reverse proxy, for real: the example nginx site (installer/server/) in front of
two server processes on one PostgreSQL, with a company CA. The desktop self-test trusts it
through the machine policy, and long-polls through nginx are woken at once (issue 4)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import IN_CI
from tests.support.api import AgentClient, InBackground, VisitorClient
from tests.support.pg import PgCluster, free_port
from tests.support.server_proc import ServerProcess
from tests.support.tls import make_ca_and_server_cert
from tests.support.world import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "installer" / "server" / "nginx-kefudesk.conf"


def site_for_test(upstreams: list[int], http_port: int, https_port: int, cert: Path,
                  key: Path) -> str:
    """The example site with only what a real deployment edits: ports, addresses, certificate
    paths. Every replacement must hit, so a change to the example cannot slip past this test."""
    text = SITE.read_text(encoding="utf-8")
    replacements = [
        (r"server 127\.0\.0\.1:8641 ", f"server 127.0.0.1:{upstreams[0]} "),
        (r"server 127\.0\.0\.1:8642 ", f"server 127.0.0.1:{upstreams[1]} "),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen \[::\]:80;\n", ""),  # no IPv6 assumed on test machines
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"listen \[::\]:443 ssl http2;\n", ""),
        (r"/etc/letsencrypt/live/kefu\.example\.com/fullchain\.pem", str(cert)),
        (r"/etc/letsencrypt/live/kefu\.example\.com/privkey\.pem", str(key)),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"{SITE.name}: expected one match of {pattern!r}"
    return text


@dataclass
class Proxy:
    https_url: str
    http_url: str
    ca: Path
    world: World


def _start_nginx(directory: Path) -> subprocess.Popen[bytes]:
    config = directory / "nginx.conf"
    for sub in ("body", "proxy"):
        (directory / sub).mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers may read the test's key
    config.write_text(
        f"{user}worker_processes 1;\npid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log warn;\nevents {{ worker_connections 512; }}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {directory}/body;\n"
        f"  proxy_temp_path {directory}/proxy;\n  include {directory}/kefudesk.conf;\n}}\n",
        encoding="utf-8")
    base = ["nginx", "-p", str(directory), "-e", f"{directory}/error.log", "-c", str(config)]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    return subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def proxy(pg_cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    if shutil.which("nginx") is None:
        if IN_CI:
            pytest.fail("nginx missing: scripts/bootstrap.sh test installs nginx-light")
        pytest.skip("no nginx here; ./test.sh installs nginx-light")
    directory = tmp_path_factory.mktemp("nginx")
    ca, cert, key = make_ca_and_server_cert(directory / "pki")
    url = pg_cluster.new_database()
    # A long fallback re-check: only a real NOTIFY wake-up answers a long-poll quickly.
    slow_recheck = {"KEFU_POLL_RECHECK_S": "30"}
    servers = [ServerProcess(url, env=slow_recheck).start()]
    servers.append(ServerProcess(url, demo=False, env=slow_recheck).start())
    http_port, https_port = free_port(), free_port()
    (directory / "kefudesk.conf").write_text(
        site_for_test([s.port for s in servers], http_port, https_port, cert, key),
        encoding="utf-8")
    nginx = _start_nginx(directory)
    proxy = Proxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", ca,
                  World(url))
    try:
        for _ in range(100):
            try:
                requests.get(f"{proxy.https_url}/api/v1/health", verify=str(ca), timeout=2)
                break
            except requests.ConnectionError:
                if nginx.poll() is not None:
                    raise RuntimeError((directory / "error.log").read_text()) from None
                time.sleep(0.1)
        yield proxy
    finally:
        proxy.world.close()
        nginx.terminate()
        nginx.wait(10)
        for server in servers:
            server.stop()


def test_plain_http_is_redirected_and_https_needs_the_company_ca(proxy: Proxy) -> None:
    redirect = requests.get(f"{proxy.http_url}/chat", allow_redirects=False, timeout=5)
    assert redirect.status_code == 301
    assert redirect.headers["Location"].startswith("https://")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{proxy.https_url}/api/v1/health", timeout=5)  # system CAs only
    health = requests.get(f"{proxy.https_url}/api/v1/health", verify=str(proxy.ca), timeout=5)
    assert health.status_code == 200 and health.json()["database"] == "postgresql"
    assert health.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_desktop_self_test_trusts_the_proxy_through_the_machine_policy(
        proxy: Proxy, tmp_path: Path) -> None:
    policy = tmp_path / "deploy.toml"
    policy.write_text(f'server_url = "{proxy.https_url}"\nca_bundle = "{proxy.ca}"\n',
                      encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "KEFU_"))}
    env.update(KEFU_POLICY_FILE=str(policy), KEFU_DATA_DIR=str(tmp_path / "data"),
               KEFU_CONFIG_DIR=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "app.main", "--self-test", "--json",
                             "--lang", "en"], capture_output=True, text=True, timeout=120,
                            env=env, cwd=ROOT)
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert [checks[k]["status"] for k in ("configuration", "server", "tls", "protocol")] == \
        ["ok"] * 4, result.stdout
    assert str(proxy.ca) in checks["tls"]["detail"]
    assert "postgresql" in checks["protocol"]["detail"]


def test_long_polls_through_nginx_are_woken_at_once(
        proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca))
    company = proxy.world.company()
    agent = AgentClient(proxy.https_url, proxy.world.agent(company).account, PASSWORD)
    agent.online()
    agent.pull_all()
    visitor = VisitorClient(proxy.https_url, "代理后的顾客", company=company.domain)
    assert visitor.start_response.status_code == 200
    agent.pull_all()
    visitor.receive()
    for attempt in range(4):  # nginx alternates the two processes: both paths get used
        poll = InBackground(lambda: agent.pull(wait=20), settle=0.5)
        text = f"第 {attempt + 1} 条 {uuid.uuid4().hex[:6]}"
        assert visitor.send(text).status_code == 200
        body, seconds = poll.finish()
        assert [c["data"]["text"] for c in body["changes"] if c["entity"] == "message"] == [text]
        assert seconds < 10, "not woken at once: the fallback re-check answered"
        visitor.receive()  # the customer's own message, already on their page
        answer = InBackground(lambda: visitor.receive(wait=20), settle=0.5)
        reply = f"收到 {attempt + 1}"
        assert agent.do("message.send", id=str(uuid.uuid4()),
                        conversation_id=visitor.conversation_id, text=reply)["status"] == "applied"
        received, seconds = answer.finish()
        assert [m["text"] for m in received["messages"]] == [reply]
        assert seconds < 10, "the customer's long-poll was not woken at once"
        agent.pull_all()  # the reply's own echo in the agent's feed
