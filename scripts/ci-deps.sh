#!/usr/bin/env bash
# Installs what the tests beyond the Rust toolchain use, when missing (Debian/Ubuntu, as root or
# with sudo): iproute2 (`ip`, for the two-namespace test), Chromium (the browser test of
# index.html) and tcpdump (the generator's latencies against a capture, tests/it/truth_wire.rs). Each is optional: a test whose tool is still missing says so and is skipped.
# Usage: scripts/ci-deps.sh   (idempotent; prints what it did)
set -uo pipefail

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
if [ ${#need[@]} -eq 0 ]; then
    echo "ci-deps: iproute2, chromium and tcpdump already installed"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
        echo "ci-deps: not root and no sudo: cannot install ${need[*]} (their tests will be skipped)"
        exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ci-deps: no apt-get: cannot install ${need[*]} (their tests will be skipped)"
    exit 0
fi
echo "ci-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || echo "ci-deps: apt-get update failed; trying the install anyway"
if ! $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; then
    echo "ci-deps: apt-get install ${need[*]} failed (their tests will be skipped)"
fi
exit 0
