"""The installed version of KefuDesk (from the package metadata, stamped from pyproject)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version


def app_version() -> str:
    try:
        return package_version("kefudesk")
    except PackageNotFoundError:
        return "0.0.0"
