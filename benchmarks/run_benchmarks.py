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

    from helpers.pipeline.engines import _kernel_name

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
    from helpers.report.render import render_pdf

    html = "<html><body><h1>Baseline</h1><p>东莞市恒达电子有限公司 · one page</p></body></html>"
    return statistics.median(_time(lambda: render_pdf(html, tmp / "baseline.pdf"), repeat))


def bench_batch(tmp: Path, customers: int, workers: int) -> tuple[float, dict]:
    from helpers import load_portfolio
    from helpers.pipeline import run_batch

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


def bench_ratios(rows: int) -> tuple[float, float, float]:
    """Ratio catalogue on the sample and on ``rows`` customer-years; the whole analysis on ``rows``.

    The big portfolio repeats the sample's customers under new ids, so every customer keeps its own
    years (prior-year lookups, growth and averages work as on real data).
    """
    import copy

    from helpers import load_portfolio
    from helpers.analysis.financial import analyse_portfolio
    from helpers.analysis.statements import compute_ratios

    p = load_portfolio(as_of="2026-09-30")
    fs, cu = p.statements, p.customers
    copies = rows // len(fs) + 1
    big = pd.concat([fs.assign(customer_id=fs.customer_id + f"-{k}") for k in range(copies)],
                    ignore_index=True).iloc[:rows]
    t_small = statistics.median(_time(lambda: compute_ratios(fs), 5))
    t_big = statistics.median(_time(lambda: compute_ratios(big), 3))
    bigp = copy.copy(p)
    bigp._derived = {}
    bigp.tables = dict(p.tables, financial_statements=big,
                       customers=pd.concat([cu.assign(customer_id=cu.customer_id + f"-{k}") for k in range(copies)],
                                           ignore_index=True))

    def whole():
        q = copy.copy(bigp)
        q._derived = {}  # a copy shares the cache dict: start each run without the derived results
        analyse_portfolio(q)

    t_analysis = statistics.median(_time(whole, 3))
    return t_small, t_big, t_analysis


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
    t_small, t_big, t_analysis = bench_ratios(args.rows)
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
    print(f"{f'ratios: {args.rows:,} customer-years (s)':44} {t_big:12.4f}   = {t_big / t_small:.0f} × sample")
    print(f"{f'ratios+Altman+peers: {args.rows:,} c-years (s)':44} {t_analysis:12.4f}")


if __name__ == "__main__":
    main()
