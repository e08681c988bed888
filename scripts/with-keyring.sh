#!/usr/bin/env bash
# Runs a command in its own D-Bus session with an unlocked, throw-away gnome-keyring, so the
# desk keeps its database key in a real OS keystore (Secret Service) as it does on a laptop.
# The keyring lives in a temporary XDG_DATA_HOME, removed afterwards.
set -euo pipefail
if [ "${1:-}" = "--inside" ]; then
    shift
    eval "$(printf 'placecode-test' | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    # No accessibility bus in a test session (WebKit asks for one and logs when it is missing).
    export NO_AT_BRIDGE=1
    exec "$@"
fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
XDG_DATA_HOME="$data" XDG_RUNTIME_DIR="$data" dbus-run-session -- "$0" --inside "$@"
