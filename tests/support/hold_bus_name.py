"""`hold_bus_name.py NAME CMD...`: owns NAME on the session bus while CMD runs (a stand-in for
a desktop's notification daemon); exits with CMD's code."""

from __future__ import annotations

import subprocess
import sys

from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection


def main(argv: list[str]) -> int:
    name, command = argv[0], argv[1:]
    with open_dbus_connection(bus="SESSION") as connection:
        reply = connection.send_and_get_reply(message_bus.RequestName(name))
        if reply.body[0] != 1:  # DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
            print(f"could not own {name}: {reply.body}", file=sys.stderr)
            return 3
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
