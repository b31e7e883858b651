"""`kefudesk-server`: serve the API, run migrations, load demo data, import shop data."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import platformdirs

from server.db import Database, open_database
from server.migrate import new_epoch, upgrade
from server.shop_rows import KINDS
from server.state import Settings, token_lifetimes

log = logging.getLogger("server")


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("kefudesk-server", appauthor=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'server.db'}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefudesk-server", description="KefuDesk sync server")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = (
        ("serve", "run the HTTP API"),
        ("migrate", "upgrade the schema"),
        ("reset-epoch", "after restoring a backup: make every client rebuild its cache"),
        ("import", "load products, promotions, orders, logistics events, KB entries (CSV/JSON)"),
    )
    for name, help_text in commands:
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--database-url", default=os.environ.get("KEFU_DATABASE_URL"),
                         help="sqlite:///path or postgresql+psycopg://… (env KEFU_DATABASE_URL)")
        cmd.add_argument("--demo", action="store_true", help="load the Chinese demo data")
    serve = sub.choices["serve"]
    serve.add_argument("--host", default=os.environ.get("KEFU_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("KEFU_PORT", "8640")))
    serve.add_argument("--log-level", default=os.environ.get("KEFU_LOG_LEVEL", "info"))
    shop = sub.choices["import"]
    shop.add_argument("--company", help="company domain (default: the only company)")
    shop.add_argument("--team", help="team name for orders and new customers (default: first)")
    shop.add_argument("--kind", choices=KINDS, help="kind of every FILE (default: from the name)")
    shop.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return parser


def run_import(db: Database, args: argparse.Namespace) -> int:
    """Prints created/updated counts; exit 2 with `file:line: reason` and nothing written."""
    from server.shop_import import import_files
    from server.shop_rows import ImportFailed

    try:
        report = import_files(db, args.files, company=args.company, team=args.team,
                              kind=args.kind)
    except ImportFailed as failed:
        for error in failed.errors[:200]:
            print(error, file=sys.stderr)
        if len(failed.errors) > 200:
            print(f"… {len(failed.errors) - 200} more", file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return 2
    for kind, counts in report.counts.items():
        print(f"{kind}: {counts.created} created, {counts.updated} updated, "
              f"{counts.unchanged} unchanged")
    return 0


def prepare(url: str | None, *, demo: bool) -> Database:
    """Opens and migrates the database; loads the demo data when asked (idempotent)."""
    db = open_database(url or default_database_url())
    upgrade(db)
    if demo:
        from server import models as m
        from server.demo import load_demo

        with db.write() as session:
            load_demo(session, now=m.utcnow())
    return db


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    db = prepare(args.database_url, demo=args.demo)
    if args.command == "reset-epoch":
        log.info("new epoch %s: clients push their outbox, then rebuild", new_epoch(db))
        return 0
    if args.command == "import":
        return run_import(db, args)
    if args.command == "migrate":
        log.info("database at %s is up to date", db.engine.url.render_as_string(hide_password=True))
        return 0
    import uvicorn

    from server.app import create_app

    recheck = os.environ.get("KEFU_POLL_RECHECK_S")
    undo = os.environ.get("KEFU_TRANSFER_UNDO_S")
    settings = Settings(database_url=db.url, demo=args.demo,
                        poll_recheck_s=float(recheck) if recheck else None,
                        timezone=os.environ.get("KEFU_TIMEZONE", "Asia/Shanghai"),
                        **({"transfer_undo_s": float(undo)} if undo else {}),
                        **token_lifetimes(os.environ))
    app = create_app(settings, db)
    log.info("serving on http://%s:%s (database: %s)", args.host, args.port, db.kind)
    # Long-polls end within a few seconds of SIGTERM instead of holding shutdown for a minute.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower(),
                timeout_graceful_shutdown=2)
    return 0
