"""Saves PNGs of what IT's configuration looks like: login with problems, wizard, settings, About.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshot_deploy.py DIR
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication, QWidget

from app.config import Config
from app.demo import DemoBackend
from app.i18n import Tr
from app.policy import load_policy
from app.services.connection import ServerProbe, probe_server
from app.ui.about import AboutDialog, AboutFacts
from app.ui.app import build_application
from app.ui.server_wizard import ServerWizard
from app.ui.settings_dialog import SettingsDialog
from app.version import app_version


async def _shot(widget: QWidget, path: Path) -> None:
    widget.show()
    await asyncio.sleep(0.6)
    widget.grab().save(str(path))
    widget.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="kefu-shot-"))
    demo = DemoBackend(root / "demo", customers=1, rate=0.05)
    url = demo.start()
    policy_path = root / "deploy.toml"
    policy_path.write_text(f'server_url = "{url}"\nshared_computer = true\nlocked = ["language"]\n'
                           'idle_timeout_min = "30"\n', encoding="utf-8")
    config = Config(root / "settings.json", load_policy(policy_path))
    app = QApplication(sys.argv)
    shell = build_application(app, config=config, server_url=url, data_dir=root,
                              language="zh", demo=False)
    app.setQuitOnLastWindowClosed(False)  # one window after another
    tr = Tr("zh")

    async def probe(address: str, ca: str | None) -> ServerProbe:
        return await asyncio.get_running_loop().run_in_executor(None, probe_server, address, ca)

    async def run() -> None:
        shell.start()
        assert shell.flow is not None
        await _shot(shell.flow.login, out / "login-policy.png")
        wizard = ServerWizard(tr, probe, url=url)
        wizard.show()
        wizard.run_test()
        for _ in range(50):
            await asyncio.sleep(0.1)
            if wizard.save_button.isEnabled():
                break
        await _shot(wizard, out / "server-wizard.png")
        await _shot(SettingsDialog(config, tr), out / "settings-locked.png")
        facts = AboutFacts(app_version(), url, root, policy_path, True)
        about = AboutDialog(tr, facts, lambda: probe(url, None))
        about.ask_server()
        await asyncio.sleep(1.0)
        await _shot(about, out / "about.png")
        app.quit()

    qasync.run(run())
    shell.close()
    demo.stop()
    print(f"saved login-policy, server-wizard, settings-locked, about in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
