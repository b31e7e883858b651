"""Entry point of the frozen KefuDesk bundle (PyInstaller)."""

from app.main import main

raise SystemExit(main())
