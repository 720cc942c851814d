#!/usr/bin/env bash
# Installs Chromium for the report's browser test (tests/it/report_browser.rs, tests/it/study.rs) when it
# is not already on PATH. Debian/Ubuntu only; needs root (or passwordless sudo).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -E"
    else
        echo "install-chromium.sh: chromium is missing and this is not root (no sudo) - cannot install it." >&2
        echo "Install it by hand (apt-get install -y chromium) or set SEQLAB_SKIP_BROWSER=1 to skip the browser test." >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium.sh: chromium is missing and apt-get is not available - install chromium by hand or set SEQLAB_SKIP_BROWSER=1." >&2
    exit 1
fi

log="$(mktemp)"
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    echo "install-chromium.sh: 'apt-get install chromium' failed:" >&2
    tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"

if ! command -v chromium >/dev/null 2>&1; then
    echo "install-chromium.sh: chromium was installed but is not on PATH." >&2
    exit 1
fi
chromium --version 2>/dev/null || true
