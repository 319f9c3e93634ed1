"""scripts/wire-latency.py (the packet-capture side of scripts/oha-check.sh) against captures
whose answers are planted: requests at known times, replies a known time later."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dpkt

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("wire_latency", ROOT / "scripts" / "wire-latency.py")
wire = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wire)

SERVER = 8080


def segment(src_port: int, dst_port: int, payload: bytes) -> bytes:
    tcp = dpkt.tcp.TCP(sport=src_port, dport=dst_port, flags=dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH, data=payload)
    ip = dpkt.ip.IP(src=b"\x7f\x00\x00\x01", dst=b"\x7f\x00\x00\x01", p=dpkt.ip.IP_PROTO_TCP, data=tcp)
    ip.len = len(ip)
    return bytes(dpkt.ethernet.Ethernet(src=b"\x00" * 6, dst=b"\x00" * 6, type=dpkt.ethernet.ETH_TYPE_IP, data=ip))


def write_capture(path: Path, events: list[tuple[float, int, bool, bytes]]) -> None:
    """events: (stamp s, client port, is_request, payload), written in stamp order."""
    with open(path, "wb") as f:
        w = dpkt.pcap.Writer(f, nano=True)
        for ts, client, is_request, payload in sorted(events, key=lambda e: e[0]):
            src, dst = (client, SERVER) if is_request else (SERVER, client)
            w.writepkt(segment(src, dst, payload), ts=ts)


def test_wire_latency_is_request_to_first_reply_segment(tmp_path):
    # Two connections, requests 1 ms apart each, replies exactly 40 µs (conn 1) and 100 µs
    # (conn 2) later; a second reply segment and a bare ACK must not count.
    events = []
    for i in range(100):
        t = 1.0 + i * 1e-3
        events += [(t, 1, True, b"GET /"), (t + 40e-6, 1, False, b"HTTP/1.1 200"), (t + 45e-6, 1, False, b"rest")]
        events += [(t + 5e-4, 2, True, b"GET /"), (t + 5e-4 + 100e-6, 2, False, b"HTTP/1.1 200")]
    events.append((0.5, 3, False, b""))  # no payload: not a segment that counts
    pcap = tmp_path / "c.pcap"
    write_capture(pcap, events)
    out = wire.analyse(str(pcap), SERVER)
    assert out["requests"] == 200
    assert out["wire_p50_us"] == 40.0
    assert out["wire_p99_us"] == 100.0
    # Requests every 500 µs, evenly: no burst.
    assert out["gap_p10_us"] == out["gap_p90_us"] == 500.0
    assert out["burst_share"] == 0.0


def test_corrected_counts_from_the_schedule_and_skip_drops_the_warm_up(tmp_path):
    # asyncbench's schedule at 1000/s over 2 connections: request i of connection k intended at
    # (k + 2i) ms. Connection 1 is always on time; connection 2 sends its requests 3..9 late
    # by 300 µs (each reply 50 µs after the send): the wire says 50 µs, corrected says 350.
    rate, conns = 1000, 2
    events = []
    for i in range(10):
        for k, port in ((0, 1), (1, 2)):
            intended = 1.0 + (k + conns * i) / rate
            sent = intended + (300e-6 if port == 2 and i >= 3 else 0.0)
            events += [(sent, port, True, b"GET /"), (sent + 50e-6, port, False, b"HTTP/1.1 200")]
    pcap = tmp_path / "s.pcap"
    write_capture(pcap, events)
    out = wire.analyse(str(pcap), SERVER, rate=rate, connections=conns)
    assert out["requests"] == 20
    assert out["wire_p99_us"] == 50.0
    assert out["corrected_p50_us"] == 50.0  # 13 of 20 on time
    assert out["corrected_p99_us"] == 350.0
    # Leaving out the first 6 ms (intended) drops requests 0..2 of each connection.
    later = wire.analyse(str(pcap), SERVER, skip=0.006, rate=rate, connections=conns)
    assert later["requests"] == 14
    assert later["corrected_p50_us"] == 50.0  # 7 on time, 7 late: the lower median
    # Keeping the last 4 ms up to the last request (sent at 1.0193 s, 300 µs late): intended
    # in [1.0153, 1.0193]: 1.016 and 1.018 s (connection 1), 1.017 and 1.019 s (connection 2).
    tail = wire.analyse(str(pcap), SERVER, last=0.004, rate=rate, connections=conns)
    assert tail["requests"] == 4
    assert tail["corrected_p99_us"] == 350.0


def test_bursts_are_named(tmp_path):
    # oha's shape: 8 requests 10 µs apart every millisecond.
    events = []
    for tick in range(50):
        for j in range(8):
            t = 1.0 + tick * 1e-3 + j * 10e-6
            port = 10 + j
            events += [(t, port, True, b"GET /"), (t + 30e-6, port, False, b"HTTP/1.1 200")]
    pcap = tmp_path / "b.pcap"
    write_capture(pcap, events)
    out = wire.analyse(str(pcap), SERVER)
    assert out["gap_p50_us"] == 10.0
    assert out["burst_share"] > 0.8


def test_quantile_is_nearest_rank():
    v = [1, 2, 3, 4]
    assert (wire.quantile(v, 0.5), wire.quantile(v, 0.99), wire.quantile([], 0.5)) == (2, 4, None)
