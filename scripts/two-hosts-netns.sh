#!/usr/bin/env bash
# Runs `asyncbench run` against `asyncbench serve` on a second "host" made of two network
# namespaces joined by a veth pair (10.203.18.1 server, 10.203.18.2 client; no other route, so
# the traffic stays between them). Needs root and iproute2 (scripts/ci-deps.sh installs it).
# Everything after the script's name goes to `asyncbench run`, e.g.
#   scripts/two-hosts-netns.sh --scenario fetch_parallel --batches 5
# Server flags: SERVE_FLAGS (default: --threads 1 --allow-remote-faults).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
bin="$PWD/target/release/asyncbench"
tag=$$
srv="ab2h-srv-$tag"
cli="ab2h-cli-$tag"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    ip netns del "$srv" 2>/dev/null || true
    ip netns del "$cli" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$srv"
ip netns add "$cli"
ip link add "ab2s$tag" netns "$srv" type veth peer name "ab2c$tag" netns "$cli"
ip -n "$srv" addr add 10.203.18.1/30 dev "ab2s$tag"
ip -n "$cli" addr add 10.203.18.2/30 dev "ab2c$tag"
for ns in "$srv" "$cli"; do ip -n "$ns" link set lo up; done
ip -n "$srv" link set "ab2s$tag" up
ip -n "$cli" link set "ab2c$tag" up

fifo=$(mktemp -u)
mkfifo "$fifo"
# shellcheck disable=SC2086
ip netns exec "$srv" "$bin" serve --addr 10.203.18.1:0 --allow-non-loopback ${SERVE_FLAGS:---threads 1 --allow-remote-faults} >"$fifo" &
server_pid=$!
read -r line <"$fifo"
rm -f "$fifo"
addr=${line#listening on http://}
echo "two-hosts: server in namespace $srv at $addr; client in $cli" >&2
ip netns exec "$cli" "$bin" run --server "$addr" --allow-remote "$@"
