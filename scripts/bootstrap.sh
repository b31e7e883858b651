#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine: Debian packages, a venv, the project.
# Usage: scripts/bootstrap.sh [run|test]   (test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-run}"

# Qt's xcb platform plugin needs these on a desktop; a CJK font so Chinese is not boxes.
need_debs=(python3-venv fonts-noto-cjk libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
           libxcb-image0 libxcb-render-util0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1
           libdbus-1-3)
if [ "$purpose" = test ]; then
  need_debs+=(postgresql chromium chromium-driver xvfb xauth gnome-keyring dbus dbus-x11
              libsecret-tools desktop-file-utils nsis p7zip-full xdotool nginx-light libfaketime)
fi
missing=()
for pkg in "${need_debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python_bin="${KEFU_PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($python_bin --version)"
  "$python_bin" -m venv .venv
fi
stamp=.venv/.kefu-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
