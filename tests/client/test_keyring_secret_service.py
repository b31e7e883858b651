"""The refresh token lives in a real Secret Service (gnome-keyring), in no file (H1.2, H1.9)."""

from __future__ import annotations

from pathlib import Path

from tests.support.secret_service import require_secret_service, run_in_keyring_session
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


def test_token_in_gnome_keyring_and_in_no_file(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    require_secret_service()
    company = world.company()
    agent = world.agent(company)
    result = run_in_keyring_session(
        "tests.support.keyring_check",
        [server.url, agent.account, PASSWORD, str(tmp_path / "data")], tmp_path / "home",
        timeout=120)
    assert "KEYRING-CHECK-OK" in result.stdout, result.stdout + result.stderr
    assert "SecretService" in result.stdout
