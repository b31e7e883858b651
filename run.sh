#!/usr/bin/env bash
# Runs KefuDesk in demo mode: the sync server with Chinese demo data and the customer chat page
# on http://127.0.0.1:8640/chat (set-up happens on the first run). Extra arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh run
data_dir="${KEFU_DEMO_DIR:-$HOME/.local/share/kefudesk-demo}"
mkdir -p "$data_dir"
exec .venv/bin/kefudesk-server serve --demo --database-url "sqlite:///$data_dir/server.db" "$@"
