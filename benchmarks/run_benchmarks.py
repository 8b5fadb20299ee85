"""Speed of the batch, measured against baselines taken in the same run.

Machines are noisy, so every figure is printed beside a baseline measured moments before on the
same machine:

- ``kernel``: Papermill executing an empty notebook in a fresh kernel (the fixed cost per notebook);
- ``weasyprint``: WeasyPrint rendering a one-page HTML document (the fixed cost per PDF);
- ``batch``: the real pipeline (notebooks + PDF) for N sample customers on W workers;
- ``ratios``: the ratio catalogue over 100,000 customer-years in one vectorized call.

Run: ``make bench`` or ``python benchmarks/run_benchmarks.py [--customers 8] [--workers 2]``.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_kernel(tmp: Path, repeat: int) -> float:
    import papermill as pm

    from helpers.runner import _kernel_name

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "riskbook", "display_name": "riskbook", "language": "python"}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    src = tmp / "empty.ipynb"
    nbformat.write(nb, src)
    return statistics.median(_time(lambda: pm.execute_notebook(
        str(src), str(tmp / "empty.out.ipynb"), parameters={"x": 2}, kernel_name=_kernel_name(),
        progress_bar=False, extra_arguments=["--IPKernelApp.log_level=CRITICAL"]), repeat))


def bench_weasyprint(tmp: Path, repeat: int) -> float:
    from helpers.reporting import render_pdf

    html = "<html><body><h1>Baseline</h1><p>东莞市恒达电子有限公司 · one page</p></body></html>"
    return statistics.median(_time(lambda: render_pdf(html, tmp / "baseline.pdf"), repeat))


def bench_batch(tmp: Path, customers: int, workers: int) -> tuple[float, dict]:
    from helpers import load_portfolio
    from helpers.runner import run_batch

    portfolio = load_portfolio(as_of="2026-09-30")
    ids = portfolio.customer_ids[:customers]
    t = time.perf_counter()
    result = run_batch(portfolio, tmp / "out", customers=ids, workers=workers, force=True, progress=False)
    seconds = time.perf_counter() - t
    assert not result.failed, [r.error for r in result.failed]
    parts = {}
    for key in ("financial_analysis", "render"):
        parts[key] = statistics.mean(r.timings[key] for r in result.runs)
    return seconds, parts


def bench_ratios(rows: int) -> tuple[float, float]:
    from helpers import load_portfolio
    from helpers.statements import compute_ratios

    fs = load_portfolio(as_of="2026-09-30").statements
    big = pd.concat([fs] * (rows // len(fs) + 1), ignore_index=True).iloc[:rows]
    small = fs
    t_small = statistics.median(_time(lambda: compute_ratios(small), 5))
    t_big = statistics.median(_time(lambda: compute_ratios(big), 3))
    return t_small, t_big


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        kernel = bench_kernel(tmp, 3)
        weasy = bench_weasyprint(tmp, 3)
        seconds, parts = bench_batch(tmp, args.customers, args.workers)
    t_small, t_big = bench_ratios(args.rows)
    per_customer = seconds / args.customers
    print(f"{'measure':44} {'value':>12}")
    print(f"{'baseline: empty notebook, fresh kernel (s)':44} {kernel:12.2f}")
    print(f"{'baseline: one-page WeasyPrint PDF (s)':44} {weasy:12.2f}")
    print(f"{'batch: customers / workers':44} {f'{args.customers} / {args.workers}':>12}")
    print(f"{'batch: wall time (s)':44} {seconds:12.2f}")
    print(f"{'batch: reports per minute':44} {60 / per_customer:12.1f}")
    print(f"{'batch: notebook per customer (s)':44} {parts['financial_analysis']:12.2f}"
          f"   = {parts['financial_analysis'] / kernel:.2f} × empty-notebook baseline")
    print(f"{'batch: PDF per customer (s)':44} {parts['render']:12.2f}"
          f"   = {parts['render'] / weasy:.2f} × one-page baseline")
    print(f"{'ratios: sample portfolio (s)':44} {t_small:12.4f}")
    print(f"{f'ratios: {args.rows:,} customer-years (s)':44} {t_big:12.4f}")


if __name__ == "__main__":
    main()
