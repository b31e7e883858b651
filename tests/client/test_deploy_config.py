"""IT's machine policy (issue 4): precedence policy > user > defaults, locks, strict checking,
and `kefudesk --write-deploy-config` as the Windows installer's silent switches call it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.config import Config, SettingLocked
from app.policy import load_policy, write_policy

ROOT = Path(__file__).parents[2]
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _config(tmp_path: Path, policy: str | None, user: str | None = None) -> Config:
    policy_path = tmp_path / "etc" / "deploy.toml"
    if policy is not None:
        policy_path.parent.mkdir(parents=True, exist_ok=True)
        policy_path.write_text(policy, encoding="utf-8")
    user_path = tmp_path / "user" / "settings.json"
    if user is not None:
        user_path.parent.mkdir(parents=True, exist_ok=True)
        user_path.write_text(user, encoding="utf-8")
    return Config(user_path, load_policy(policy_path))


def test_policy_wins_over_the_user_who_wins_over_defaults(tmp_path: Path) -> None:
    config = _config(tmp_path, 'server_url = "https://kefu.example.com"\n',
                     '{"server_url": "https://old.example.com", "language": "en"}')
    assert config.get("server_url") == "https://kefu.example.com"
    assert config.source("server_url") == "policy"
    assert config.get("language") == "en" and config.source("language") == "user"
    assert config.get("log_level") == "INFO" and config.source("log_level") == "default"
    assert config.problems == []


def test_locked_settings_refuse_changes_and_keep_the_users_file_untouched(
        tmp_path: Path) -> None:
    config = _config(tmp_path, 'server_url = "https://kefu.example.com"\n'
                               'locked = ["language", "auto_login"]\n')
    for key, value in (("server_url", "https://evil.example"), ("language", "en"),
                       ("auto_login", True)):
        assert config.locked(key)
        with pytest.raises(SettingLocked):
            config.set(key, value)
    assert not config.path.exists()
    assert config.get("language") == "zh", "locked without a value: the default stays"
    config.set("log_level", "DEBUG")
    assert Config(config.path, config.policy).get("log_level") == "DEBUG"


def test_each_bad_entry_is_reported_and_ignored_the_rest_applies(tmp_path: Path) -> None:
    ca = tmp_path / "not-a-cert.txt"
    ca.write_text("hello", encoding="utf-8")
    config = _config(tmp_path, 'server_url = "http://kefu.example.com"\n'
                               f'ca_bundle = "{ca}"\nidle_timeout_min = 0\n'
                               'log_level = "LOUD"\nshared_computer = "yes"\n'
                               'locked = ["langauge"]\nauto_login_allowed = false\n')
    kinds = {(p.key, p.kind) for p in config.problems}
    assert kinds == {("server_url", "insecure_url"), ("ca_bundle", "ca_not_pem"),
                     ("idle_timeout_min", "out_of_range"), ("log_level", "bad_choice"),
                     ("shared_computer", "wrong_type"), ("locked", "locked_unknown")}
    assert all(p.source == str(tmp_path / "etc" / "deploy.toml") for p in config.problems)
    assert config.get("server_url") == "" and config.get("idle_timeout_min") == 30
    assert config.get("auto_login_allowed") is False, "the valid entry still applies"
    assert not config.auto_login_permitted()


def test_shared_computer_forgets_the_account_and_forbids_auto_login(tmp_path: Path) -> None:
    config = _config(tmp_path, "shared_computer = true\n")
    config.remember_account("10086@shop.example")
    assert config.get("last_account") == ""
    assert not config.auto_login_permitted()


def test_write_policy_merges_checks_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "ProgramData" / "KefuDesk" / "deploy.toml"
    ca = tmp_path / "C:\\certs\\company ca.pem"  # a Windows-looking name with backslashes
    ca.write_text(PEM, encoding="utf-8")
    assert write_policy(path, ["server_url=https://kefu.example.com", "shared_computer=1"]) == []
    assert write_policy(path, [f"ca_bundle={ca}", "idle_timeout_min=15",
                               "locked=server_url,ca_bundle"]) == []
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw == {"server_url": "https://kefu.example.com", "shared_computer": True,
                   "ca_bundle": str(ca), "idle_timeout_min": 15,
                   "locked": ["server_url", "ca_bundle"]}
    policy = load_policy(path)
    assert policy.problems == () and policy.locks("ca_bundle")
    before = path.read_bytes()
    problems = write_policy(path, ["server_url=ftp://kefu", "idle=5", "shared_computer=maybe"])
    assert {(p.key, p.kind) for p in problems} == {
        ("server_url", "bad_url"), ("idle", "unknown_key"), ("shared_computer", "wrong_type")}
    assert path.read_bytes() == before, "a refused write changes nothing"


def _cli(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "app.main", *args], capture_output=True,
                          text=True, timeout=60, env=env, cwd=ROOT)


def test_the_installer_command_writes_the_policy_or_exits_2_naming_the_problem(
        tmp_path: Path) -> None:
    path = tmp_path / "deploy.toml"
    ok = _cli(["--write-deploy-config", "server_url=https://kefu.example.com",
               "shared_computer=true", "--policy-file", str(path)], {})
    assert ok.returncode == 0, ok.stderr
    assert load_policy(path).values == {"server_url": "https://kefu.example.com",
                                        "shared_computer": True}
    bad = _cli(["--lang", "en", "--write-deploy-config", "idle_timeout_min=soon",
                "--policy-file", str(path)], {})
    assert bad.returncode == 2
    assert f"idle_timeout_min in {path}: should be a whole number, is 'soon'" in bad.stderr
    # The installed app then reads it from the default place (KEFU_POLICY_FILE in tests).
    shown = _cli(["--self-test", "--json"], {"KEFU_POLICY_FILE": str(path),
                                             "KEFU_DATA_DIR": str(tmp_path / "data"),
                                             "KEFU_CONFIG_DIR": str(tmp_path / "cfg"),
                                             "QT_QPA_PLATFORM": "offscreen"})
    assert "https://kefu.example.com" in shown.stdout and "来自机器策略" in shown.stdout
