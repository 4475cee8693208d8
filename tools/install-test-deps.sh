#!/usr/bin/env bash
# What the replay and WACZ tests need beyond the project's venv: headless Chromium (Debian package) and the
# pywb and py-wacz tool venvs (tests/tool_envs.py; cached under ~/.cache/newsarchive-tests). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-test-deps: chromium is missing and installing it needs root (apt-get install chromium)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
python3 -m tests.tool_envs pywb wacz
