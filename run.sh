#!/usr/bin/env bash
# Runs the KefuDesk desktop app in demo mode: an embedded sync server with Chinese demo data,
# simulated customers, and the login window filled in with a demo agent (set-up happens on the
# first run). The customer chat page is on http://127.0.0.1:8640/chat while it runs.
# Extra arguments go to the app (e.g. --lang en).
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh run
export KEFU_DATA_DIR="${KEFU_DATA_DIR:-$HOME/.local/share/kefudesk-demo}"
exec .venv/bin/kefudesk --demo "$@"
