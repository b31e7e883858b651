"""The deployment examples in installer/server/ are real: the systemd units' commands run, with the
example environment file, and every variable in that file changes what the server does.
(No systemd here: the units are parsed and their commands run as systemd would run them.)"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from server import models as m
from server.changes import ChangeWriter, company_scope
from tests.support.api import AgentClient, InBackground, VisitorClient, http
from tests.support.pg import PgCluster, free_port
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

HERE = Path(__file__).resolve().parents[2] / "installer" / "server"
UNIT = HERE / "kefudesk-server.service"
TEMPLATE = HERE / "kefudesk-server@.service"
ENV_EXAMPLE = HERE / "server.env.example"
NGINX = HERE / "nginx-kefudesk.conf"
SERVER_BIN = Path(sys.executable).with_name("kefudesk-server")  # the console script pip made


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd's unit syntax: [Section], Key=Value (keys may repeat), # comments, \\ continues."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    pending = ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def example_env(*, commented_too: bool) -> dict[str, str]:
    """KEY=VALUE lines of server.env.example; with commented_too also the `#KEY=…` examples."""
    pattern = re.compile(r"^(#)?([A-Z][A-Z0-9_]*)=(.*)$")
    found: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = pattern.match(line.strip())
        if match and (commented_too or not match.group(1)):
            found.setdefault(match.group(2), match.group(3))
    return found


def unit_command(line: str, *, instance: str | None = None) -> list[str]:
    """An Exec*= line as systemd runs it, with our kefudesk-server in place of /opt/…'s."""
    line = line.lstrip("-@:+!")
    if instance is not None:
        line = line.replace("%i", instance)
    assert "%" not in line.replace("%%", ""), f"unexpanded specifier in {line!r}"
    assert "$" not in line, "the commands take their settings from EnvironmentFile, not $VARs"
    argv = shlex.split(line.replace("%%", "%"))
    assert argv[0].startswith("/") and Path(argv[0]).name == "kefudesk-server", argv
    return [str(SERVER_BIN), *argv[1:]]


def server_env(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without any KEFU_* of its own, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    return {**env, "PYTHONUNBUFFERED": "1", **settings}


class Running:
    """A `kefudesk-server serve` started from a command line and an environment."""

    def __init__(self, argv: list[str], env: dict[str, str], host: str, port: int) -> None:
        self.url = f"http://{host}:{port}"
        self.log = Path(tempfile.mkstemp(prefix="kefu-unit-", suffix=".log")[1])
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"server exited:\n{self.output()}"
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"no answer on {self.url}:\n{self.output()}"
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as `systemctl stop` sends it; the exit status it ends with."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def refused(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) != 0


@pytest.mark.parametrize("path", [UNIT, TEMPLATE], ids=lambda p: p.name)
def test_units_migrate_then_serve_as_a_locked_down_service_user(path: Path) -> None:
    service = parse_unit(path)["Service"]
    assert service["User"] == ["kefudesk"] and service["Group"] == ["kefudesk"]
    assert service["EnvironmentFile"] == ["/etc/kefudesk/server.env"]
    assert [unit_command(c)[1] for c in service["ExecStartPre"]] == ["migrate"]
    assert unit_command(service["ExecStart"][0].replace("%i", "8641"))[1] == "serve"
    assert service["Restart"] == ["on-failure"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "ProtectHome": "yes", "PrivateTmp": "yes"}.items():
        assert service.get(key) == [value], key
    assert parse_unit(path)["Install"]["WantedBy"] == ["multi-user.target"]


def test_sqlite_example_lives_in_the_units_writable_state_directory() -> None:
    """ProtectSystem=strict makes everything read-only but the StateDirectory."""
    service = parse_unit(UNIT)["Service"]
    sqlite_examples = [line.split("=", 1)[1] for line in ENV_EXAMPLE.read_text().splitlines()
                       if line.lstrip("#").startswith("KEFU_DATABASE_URL=sqlite")]
    assert sqlite_examples
    state_dir = "/var/lib/" + service["StateDirectory"][0]
    assert all(url == f"sqlite:///{state_dir}/server.db" for url in sqlite_examples)


def test_single_unit_migrates_and_serves_on_sqlite_with_the_example_environment(
    tmp_path: Path,
) -> None:
    service = parse_unit(UNIT)["Service"]
    settings = example_env(commented_too=False)
    assert settings["KEFU_HOST"] == "127.0.0.1", "behind the reverse proxy: loopback only"
    database = tmp_path / "state" / "server.db"
    database.parent.mkdir()
    settings.update(KEFU_DATABASE_URL=f"sqlite:///{database}", KEFU_PORT=str(free_port()))
    env = server_env(settings)
    for line in service["ExecStartPre"]:
        done = subprocess.run(unit_command(line), env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as conn:  # migrate made the schema where the URL says
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert conn.execute("SELECT value FROM server_meta WHERE key = 'epoch'").fetchone()
    conn.close()
    server = Running(unit_command(service["ExecStart"][0]), env, settings["KEFU_HOST"],
                     int(settings["KEFU_PORT"]))
    try:
        assert requests.get(f"{server.url}/api/v1/health", timeout=5).json()["database"] == \
            "sqlite"
    finally:
        # uvicorn re-raises SIGTERM after its graceful shutdown; systemd counts exit 0 and death
        # by SIGTERM as clean, so `systemctl stop` is no failure and Restart= stays quiet.
        assert server.stop() in (0, -signal.SIGTERM), server.output()
    assert "GET /api/v1/health" in server.output(), "KEFU_LOG_LEVEL=info logs requests"


def test_template_unit_serves_on_the_instance_port_with_postgresql(
    pg_cluster: PgCluster,
) -> None:
    service = parse_unit(TEMPLATE)["Service"]
    settings = example_env(commented_too=False)
    settings["KEFU_DATABASE_URL"] = pg_cluster.new_database()
    assert settings["KEFU_DATABASE_URL"].startswith("postgresql+psycopg://")
    env = server_env(settings)
    ports = [free_port(), free_port()]  # both differ from KEFU_PORT: --port %i must win
    for port in ports:  # what `systemctl start kefudesk-server@PORT` runs, per instance
        for line in service["ExecStartPre"]:
            done = subprocess.run(unit_command(line, instance=str(port)), env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
    servers = [Running(unit_command(service["ExecStart"][0], instance=str(port)), env,
                       "127.0.0.1", port) for port in ports]
    try:
        epochs = {requests.get(f"{s.url}/api/v1/health", timeout=5).json()["epoch"]
                  for s in servers}
        assert len(epochs) == 1, "both instances serve the same database"
    finally:
        for s in servers:
            s.stop()


@pytest.fixture()
def probe_world(tmp_path: Path) -> Iterator[tuple[str, World]]:
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    done = subprocess.run([str(SERVER_BIN), "migrate"], capture_output=True, text=True,
                          env=server_env({"KEFU_DATABASE_URL": url}), timeout=120)
    assert done.returncode == 0, done.stderr
    world = World(url)
    yield url, world
    world.close()


def test_every_variable_in_the_example_changes_what_the_server_does(
    probe_world: tuple[str, World],
) -> None:
    """Each variable is set to something other than its default, then seen to take effect."""
    url, world = probe_world
    observed = {"KEFU_DATABASE_URL", "KEFU_HOST", "KEFU_PORT", "KEFU_LOG_LEVEL",
                "KEFU_POLL_RECHECK_S"}
    unknown = set(example_env(commented_too=True)) - observed
    assert not unknown, f"server.env.example names {unknown}: add a probe here (and cli.py?)"
    company = world.company()
    account = world.agent(company).account
    port = free_port()
    server = Running(
        [str(SERVER_BIN), "serve"],
        server_env({"KEFU_DATABASE_URL": url, "KEFU_HOST": "127.0.0.2", "KEFU_PORT": str(port),
                    "KEFU_LOG_LEVEL": "warning", "KEFU_POLL_RECHECK_S": "0.2"}),
        "127.0.0.2", port)
    try:
        assert refused("127.0.0.1", port), "KEFU_HOST ignored"
        agent = AgentClient(server.url, account, PASSWORD)  # KEFU_DATABASE_URL: our agents
        agent.pull_all()
        # A write by another process: on SQLite nothing wakes the long-poll but the re-check
        # (default every 5 s), so only KEFU_POLL_RECHECK_S=0.2 answers this quickly.
        poll = InBackground(lambda: agent.pull(wait=20), settle=0.5)
        with world.db.write() as session:
            ChangeWriter(session, "sqlite").emit(company_scope(company.id), "tag", "probe",
                                                 "upsert", {"id": "probe"})
        body, seconds = poll.finish()
        assert [c["id"] for c in body["changes"]] == ["probe"]
        assert seconds < 3, f"long-poll answered after {seconds:.1f} s"
    finally:
        server.stop()
    assert "GET /api/v1/" not in server.output(), "KEFU_LOG_LEVEL=warning still logs requests"


@pytest.fixture()
def blocked_address(tmp_path: Path) -> Iterator[tuple[str, World, str]]:
    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    done = subprocess.run([str(SERVER_BIN), "migrate"], capture_output=True, text=True,
                          env=server_env({"KEFU_DATABASE_URL": url}), timeout=120)
    assert done.returncode == 0, done.stderr
    world = World(url)
    company = world.company()
    with world.db.write() as session:
        session.add(m.VisitorBlock(id=str(uuid.uuid4()), company_id=company.id, kind="address",
                                   value="203.0.113.9", reason="刷单"))
    yield url, world, company.domain
    world.close()


def _start_chat(base: str, domain: str, forwarded_for: str) -> int:
    response = http().post(f"{base}/api/v1/visitor/sessions",
                           json={"nickname": "代理后的顾客", "company": domain},
                           headers={"X-Forwarded-For": forwarded_for}, timeout=10)
    return response.status_code


def test_behind_nginx_the_customers_address_comes_from_x_forwarded_for(
    blocked_address: tuple[str, World, str],
) -> None:
    """What nginx-kefudesk.conf says: from 127.0.0.1 the server believes X-Forwarded-For, the
    right-most address (the one nginx appends) counts, and FORWARDED_ALLOW_IPS moves the trust."""
    url, _world, domain = blocked_address
    assert "$proxy_add_x_forwarded_for" in NGINX.read_text()
    server = ServerProcess(url, demo=False).start()
    try:
        assert _start_chat(server.url, domain, "203.0.113.9") == 403
        assert _start_chat(server.url, domain, "198.51.100.7, 203.0.113.9") == 403
        assert _start_chat(server.url, domain, "203.0.113.9, 198.51.100.7") == 200, \
            "a client-supplied address in front of nginx's must not count"
        assert VisitorClient(server.url, "直连", company=domain).start_response.status_code == 200
    finally:
        server.stop()
    elsewhere = ServerProcess(url, demo=False, env={"FORWARDED_ALLOW_IPS": "192.0.2.1"}).start()
    try:
        assert _start_chat(elsewhere.url, domain, "203.0.113.9") == 200, \
            "the header counted although the proxy is not trusted"
    finally:
        elsewhere.stop()
