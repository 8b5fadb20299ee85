"""How fast the order check answers: in process, and over HTTP under load, with the decision log on
SQLite and on PostgreSQL.

1. **In process** (``OrderDesk.check`` after a warm-up): p50/p99/max per check, against the baseline of
   the same run: the rules alone (``evaluate_order``, no database).
2. **Over HTTP** (``riskbook serve`` in its own process on loopback, this process as the load
   generator with keep-alive connections, for a fixed time; it stops by itself): the most checks per
   second the server answers (closed loop) with their p50/p99, against the baseline of the same run, the
   read-only ``GET /customers/{id}``; then checks paced at ``--rate`` per second (open loop, latency from
   each request's planned send time, so queueing behind a slow answer counts).

The customers are the sample portfolio's, from a batch the benchmark runs first (about 45 s) unless
``--reports`` names one. PostgreSQL is a private server started for the benchmark (Debian's
``postgresql`` package, as the tests start it); without it the PostgreSQL rows are skipped, and said so.

Run: ``python benchmarks/order_check.py [--seconds 10] [--connections 16] [--reports DIR]``.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from helpers.data import load_portfolio
from helpers.decisions.order_check import evaluate_order
from helpers.pipeline import run_batch
from helpers.pipeline.order_desk import OrderDesk
from helpers.service import new_key

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' PostgreSQL server helper
CUSTOMERS = ["CASE1", "CASE2", "C001", "C002", "C003", "C004", "C005", "C006", "C007", "C008"]
ON = dt.date(2026, 10, 15)


def _percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"n": len(ms), "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max())}


def _orders(n: int, seed: int = 7):
    rng = random.Random(seed)
    for i in range(n):
        amount = rng.choice([500, 2000, 5000, 20000, 250000])
        yield CUSTOMERS[i % len(CUSTOMERS)], float(amount), f"B-{seed}-{i}"


def in_process(reports: Path, url: str, n: int = 3000) -> dict:
    desk = OrderDesk(reports, log=url)
    st = desk.state
    for cid, amount, oid in _orders(300, seed=1):  # warm-up
        desk.check(cid, amount, order_id=oid, on=ON)
    times = []
    for cid, amount, oid in _orders(n, seed=2):
        t = time.perf_counter()
        desk.check(cid, amount, order_id=oid, on=ON)
        times.append(time.perf_counter() - t)
    rules = []
    for cid, amount, _ in _orders(n, seed=3):
        state = st.states[cid]
        t = time.perf_counter()
        evaluate_order(state, amount_limit_ccy=amount, amount_base_ccy=amount, due_days=30, on=ON,
                       items=st.items.get(cid), open_orders=0.0, settings=st.policy.order_check,
                       large=st.policy.monitoring.large_transactions)
        rules.append(time.perf_counter() - t)
    desk.log.dispose()
    return {"check": _percentiles(times), "rules_only": _percentiles(rules)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(port: int, key: str, seconds: float, connections: int, kind: str,
                rate: float | None = None) -> tuple[list[float], int]:
    """Closed loop (``rate`` None: every connection sends its next request when the answer arrives, the
    server's most) or open loop at ``rate`` requests per second (each request has its planned send time;
    its latency counts from then, so a late start — all connections busy — counts as waiting too)."""
    start = time.perf_counter()
    stop = start + seconds
    latencies: list[float] = []
    errors = 0
    slot = 0
    length_re = re.compile(rb"content-length:\s*(\d+)", re.I)

    async def client(c: int):
        nonlocal errors, slot
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        rng, i = random.Random(c), 0
        while time.perf_counter() < stop:
            planned = None
            if rate is not None:
                planned = start + slot / rate
                slot += 1
                if planned >= stop:
                    break
                await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            cid = CUSTOMERS[rng.randrange(len(CUSTOMERS))]
            if kind == "check":
                body = json.dumps({"customer_id": cid, "amount": rng.choice([500, 2000, 5000, 20000, 250000]),
                                   "order_id": f"L-{c}-{i}"}).encode()
                req = (b"POST /orders/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"X-API-Key: " + key.encode() + b"\r\nContent-Length: " + str(len(body)).encode()
                       + b"\r\n\r\n" + body)
            else:
                req = (b"GET /customers/" + cid.encode() + b" HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key.encode()
                       + b"\r\n\r\n")
            t = planned if planned is not None else time.perf_counter()
            writer.write(req)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(int(length_re.search(head).group(1)))
            latencies.append(time.perf_counter() - t)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
            i += 1
        writer.close()

    await asyncio.gather(*(client(c) for c in range(connections)))
    return latencies, errors


def over_http(reports: Path, url: str, keys: Path, key: str, seconds: float, connections: int,
              rate: float, workers: int) -> dict:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "helpers.cli", "serve", "--reports", str(reports),
                               "--log", url, "--keys", str(keys), "--port", str(port), "--date", ON.isoformat(),
                               "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"riskbook serve did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        asyncio.run(_load(port, key, 1.5, connections, "check"))  # warm-up
        out = {}
        for kind in ("read", "check"):
            lat, errors = asyncio.run(_load(port, key, seconds, connections, kind))
            out[kind] = {**_percentiles(lat), "per_second": len(lat) / seconds, "errors": errors}
        lat, errors = asyncio.run(_load(port, key, seconds, 4 * connections, "check", rate=rate))
        out["paced"] = {**_percentiles(lat), "per_second": len(lat) / seconds, "errors": errors}
        return out
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", default=None, help="a batch output to use (default: run one on the sample)")
    ap.add_argument("--seconds", type=float, default=10.0, help="load per measurement (default 10)")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rate", type=float, default=500.0, help="checks per second of the paced run (default 500)")
    ap.add_argument("--workers", default="1,2", help="server worker processes to measure, comma-separated")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reports = Path(args.reports) if args.reports else tmp / "reports"
        if not args.reports:
            t = time.perf_counter()
            run_batch(load_portfolio(as_of="2026-09-30"), reports, customers=CUSTOMERS, progress=False)
            print(f"batch of {len(CUSTOMERS)} sample customers: {time.perf_counter() - t:.0f} s")
        keys = tmp / "keys.yaml"
        key = new_key(keys, "load", "erp")
        logs = {"sqlite": lambda name: f"sqlite:///{tmp / name}.sqlite"}
        server = None
        try:
            from servers import PostgresServer, postgres_bindir  # noqa: PLC0415 - only when benchmarking
            bindir = postgres_bindir()
            if bindir is None:
                raise RuntimeError("PostgreSQL server programs not found (Debian's postgresql package)")
            server = PostgresServer(bindir)
            server.initdb()
            server.start()
            conn = server.connect()
            for name in ("inproc", "http1", "http2", "http3", "http4"):
                conn.execute(f'CREATE DATABASE "{name}"')
            conn.close()
            logs["postgresql"] = lambda name: server.url(name)
        except Exception as exc:  # noqa: BLE001 - report and go on with SQLite
            print(f"PostgreSQL rows skipped: {exc}")
        try:
            print(f"\nIn process, {ON}: OrderDesk.check (lock, read open orders, rules, append to the log, commit)")
            print(f"{'log':12s}{'what':22s}{'n':>6s}{'p50 ms':>9s}{'p99 ms':>9s}{'max ms':>9s}")
            for db, url in logs.items():
                r = in_process(reports, url("inproc"))
                for what in ("rules_only", "check"):
                    x = r[what]
                    label = "rules alone (base)" if what == "rules_only" else "check + log"
                    print(f"{db:12s}{label:22s}{x['n']:6d}{x['p50_ms']:9.3f}{x['p99_ms']:9.3f}{x['max_ms']:9.3f}")
            print(f"\nOver HTTP, {args.seconds:g} s each, server and load generator on one machine "
                  f"({len(CUSTOMERS)} customers): as fast as the server answers on {args.connections} keep-alive "
                  f"connections, then paced at {args.rate:g} checks/s on up to {4 * args.connections} "
                  "(latency from the planned send time)")
            print(f"{'log':12s}{'workers':>8s}  {'request':26s}{'per s':>8s}{'p50 ms':>9s}{'p99 ms':>9s}"
                  f"{'max ms':>9s}{'errors':>8s}")
            for db, url in logs.items():
                for workers in (int(w) for w in args.workers.split(",")):
                    r = over_http(reports, url(f"http{workers}"), keys, key, args.seconds, args.connections,
                                  args.rate, workers)
                    for what, label in (("read", "GET /customers (base)"), ("check", "POST /orders/check"),
                                        ("paced", f"POST, paced {args.rate:g}/s")):
                        x = r[what]
                        print(f"{db:12s}{workers:8d}  {label:26s}{x['per_second']:8.0f}{x['p50_ms']:9.2f}"
                              f"{x['p99_ms']:9.2f}{x['max_ms']:9.2f}{x['errors']:8d}")
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
