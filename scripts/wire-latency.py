#!/usr/bin/env python3
"""What a packet capture says about one load run against the test server: the server's
latency on the wire, the arrival process the generator offered, and (for asyncbench's
schedule) the coordinated-omission-corrected latency the wire implies.

    wire-latency.py CAPTURE.pcap SERVER_PORT [--skip-secs S] [--last-secs S]
                    [--rate R --connections C]

Prints one JSON object. Used by scripts/oha-check.sh; needs dpkt (python/requirements.txt).

Timestamps are the capture's (tcpdump on `lo`, nanosecond precision): on loopback a packet
is stamped on its sender's transmit path, so a request is stamped inside the client's send
and a reply inside the server's. For every request the wire interval (request stamp to
reply stamp) therefore lies inside the client's own interval (clock read before its send to
clock read after its read), and every quantile of a client's latency is at least the same
quantile of the wire's. The difference is what the client's own receive path adds.

- `wire_*`: request on the wire to the first reply segment on the same connection (HTTP/1.1,
  one request in flight per connection, so replies pair with requests in order).
- `gap_*`: time between consecutive requests to the server, whichever connection: the
  arrival process offered. `burst_share` is the share of gaps under a tenth of the mean gap.
- `corrected_*` (with --rate and --connections): asyncbench's schedule sends request i of
  connection k at start + (k + i*C)/R, so each connection's requests are P = C/R apart. Its
  phase is estimated as the minimum over i of (stamp_i - i*P): a send is never before its
  intended time, so the estimate is at or after the true phase, and the latency computed
  from it (reply stamp - intended) is at most the true corrected latency on the wire.

Requests intended (or, without a schedule, sent) in the first --skip-secs after the first
request are left out, and with --last-secs only those in that span before the last request
are kept: the generator's measured windows end where it stops, and where they begin depends on
when its connections were up, which the wire does not show.
"""

import argparse
import collections
import json
import math
import sys

import dpkt


def quantile(sorted_values, p):
    """The nearest-rank quantile: the smallest value with at least p of the values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


def packets(path, port):
    """(stamp seconds, client port, is_request) for every TCP segment with a payload."""
    with open(path, "rb") as f:
        reader = dpkt.pcap.Reader(f)
        link = reader.datalink()
        for ts, buf in reader:
            try:
                frame = dpkt.ethernet.Ethernet(buf) if link == dpkt.pcap.DLT_EN10MB else dpkt.loopback.Loopback(buf)
                tcp = frame.data.data
            except (dpkt.UnpackError, AttributeError):
                continue
            if not isinstance(tcp, dpkt.tcp.TCP) or not tcp.data:
                continue
            if tcp.dport == port:
                yield float(ts), tcp.sport, True
            elif tcp.sport == port:
                yield float(ts), tcp.dport, False


def analyse(path, port, skip=0.0, last=0.0, rate=None, connections=None):
    outstanding = collections.defaultdict(collections.deque)
    per_conn = collections.defaultdict(list)  # client port -> [(request stamp, reply stamp)]
    requests = []
    for ts, conn, is_request in packets(path, port):
        if is_request:
            outstanding[conn].append(ts)
            requests.append(ts)
        elif outstanding[conn]:
            # Further segments of a reply find no request outstanding and are passed over.
            per_conn[conn].append((outstanding[conn].popleft(), ts))
    if not requests:
        sys.exit(f"wire-latency: no request to port {port} in {path}")
    lo, hi = requests[0] + skip, requests[-1]
    if last:
        lo = max(lo, hi - last)

    wire, corrected = [], []
    period = connections / rate if rate and connections else None
    for pairs in per_conn.values():
        phase = min(sent - i * period for i, (sent, _) in enumerate(pairs)) if period else None
        for i, (sent, reply) in enumerate(pairs):
            intended = phase + i * period if period else sent
            if lo <= intended <= hi:
                wire.append(reply - sent)
                if period:
                    corrected.append(reply - intended)
    wire.sort()
    corrected.sort()
    window = [t for t in requests if lo <= t <= hi]
    gaps = sorted(b - a for a, b in zip(window, window[1:]))
    mean_gap = (window[-1] - window[0]) / len(gaps) if len(gaps) > 0 else None
    us = lambda v: None if v is None else round(v * 1e6, 1)  # noqa: E731
    out = {
        "requests": len(wire),
        "wire_p50_us": us(quantile(wire, 0.50)),
        "wire_p99_us": us(quantile(wire, 0.99)),
        "wire_p999_us": us(quantile(wire, 0.999)),
        "gap_mean_us": us(mean_gap),
        "gap_p10_us": us(quantile(gaps, 0.10)),
        "gap_p50_us": us(quantile(gaps, 0.50)),
        "gap_p90_us": us(quantile(gaps, 0.90)),
        "burst_share": round(sum(g < mean_gap / 10 for g in gaps) / len(gaps), 3) if gaps else None,
    }
    if period:
        out["corrected_p50_us"] = us(quantile(corrected, 0.50))
        out["corrected_p99_us"] = us(quantile(corrected, 0.99))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("capture")
    ap.add_argument("port", type=int)
    ap.add_argument("--skip-secs", type=float, default=0.0, help="warm-up left out (default 0)")
    ap.add_argument("--last-secs", type=float, default=0.0, help="keep only this span before the last request (default all)")
    ap.add_argument("--rate", type=float, help="asyncbench's offered rate (req/s), for corrected_*")
    ap.add_argument("--connections", type=int, help="asyncbench's connections, for corrected_*")
    a = ap.parse_args()
    if (a.rate is None) != (a.connections is None):
        ap.error("--rate and --connections go together")
    print(json.dumps(analyse(a.capture, a.port, a.skip_secs, a.last_secs, a.rate, a.connections)))


if __name__ == "__main__":
    main()
