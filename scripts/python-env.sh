#!/usr/bin/env bash
# Creates the guide's-Python virtual environment under target/pyenv and installs
# python/requirements.txt (pinned). Its presence is what makes `cargo bench`
# include the asyncio and uvloop rows. Idempotent: re-running only reinstalls
# when requirements.txt changed. Needs CPython >= 3.11 (tomllib).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV=target/pyenv
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
    echo "python-env: $PY is $("$PY" --version 2>&1); 3.11 or newer is needed (tomllib)" >&2
    exit 1
}
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want="$(sha256sum python/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements.txt
    echo "$want" > "$stamp"
fi
echo "python-env: $VENV ready ($("$VENV/bin/python" --version))"
