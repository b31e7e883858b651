"""Client tests run Qt without a display unless the environment chooses a platform; the UI
tests of a module share one real server process."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync

from tests.support.qt_async import App, aloop, close_app
from tests.support.server_proc import ServerProcess
from tests.support.world import World

__all__ = ["aloop"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="module")
def ui_server() -> Iterator[ServerProcess]:
    directory = Path(tempfile.mkdtemp(prefix="kefu-ui-"))
    proc = ServerProcess(f"sqlite:///{directory / 'server.db'}").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def ui_world(ui_server: ServerProcess) -> Iterator[World]:
    w = World(ui_server.database_url)
    yield w
    w.close()


@pytest.fixture()
def app(ui_server: ServerProcess, tmp_path: Path, aloop: qasync.QEventLoop) -> Iterator[App]:
    """One desk signed in to the module's server; closed before its event loop goes."""
    a = App(ui_server.url, tmp_path)
    yield a
    close_app(a, aloop)
