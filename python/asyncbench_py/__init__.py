"""The guide's own Python patterns, measured beside the Rust runtimes.

Contract with the Rust side (``src/python/``), version 1
=========================================================

The Rust harness starts the in-process test server and, per scenario, runs::

    python -m asyncbench_py --scenario scenarios/<name>.toml --server 127.0.0.1:PORT \
        --out DIR --rounds R --mode full|quick|test --runtimes asyncio,uvloop

* ``--scenario``: the same ``scenarios/*.toml`` the Rust cases read (``tomllib``);
  only ``[params]`` is used, with the same meaning and units.
* ``--server``: the loopback address of the Rust test server (same routes).
* ``--mode``: how many batches a round has (``BATCHES`` below): fewer than the Rust
  side in ``full`` mode so the Python rows stay within their time budget.
* ``--rounds``: rounds per case; each round is a fresh event loop, and the cases of
  a round run in a shuffled order (seeded by ``--seed``).

It writes ``DIR/<scenario>.json`` (and nothing else the Rust side needs)::

    {"contract": 1, "scenario": ..., "python": "3.11.7", "packages": {...},
     "cases": [{"variant": "sequential-fresh", "runtime": "asyncio", "note": "...",
                "unit": "requests", "ops_per_batch": 8,
                "rounds": [{"position": 0, "batches": [
                    {"wall_ns": 123, "latency": "<hist>", "errors": {"timeout": 1},
                     "extra": {"loop_lag": "<hist>"}, "values": {"k": 1.0}}]}]}],
     "skipped": [{"variant": ..., "reason": ...}]}

``<hist>`` is one batch's HdrHistogram (the ``hdrhistogram`` package, lowest 1 ns,
highest 1 hour, 3 significant digits, values in nanoseconds), in the V2 compressed
base64 encoding that ``.hlog`` lines use, so the Rust ``hdrhistogram`` crate decodes it.
Variant labels are the Rust cases' labels wherever the Python case is the same unit of
work, so the rows line up in one table and take the Rust case's ideal; a
Python-only variant (e.g. ``process_pool``) has its own label. ``wall_ns`` is
measured around the same part of the batch the Rust scenario times.
Exit status 0 even when a case failed (it is then listed in ``skipped``);
non-zero only for bad arguments, with a message naming the value.
"""

CONTRACT = 1
