"""`python -m server …` is the same as `kefudesk-server …`."""

from server.cli import main

raise SystemExit(main())
