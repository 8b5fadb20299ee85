"""What the audit-grade PDF costs: one customer report rendered as plain PDF (the baseline, measured in
the same run), as PDF/A-3b, as tagged PDF/A-3b, and as riskbook writes it (tagged PDF/A-3b with the
evidence attached and the manifest built after layout), plus the evidence's size and ``verify``'s time.

Run: ``python benchmarks/pdfa_cost.py [--customer CASE1] [--repeat 3]`` (it first runs a one-customer
batch into a temporary folder, about 25 s).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from weasyprint import HTML

from helpers.config import TEMPLATES_DIR
from helpers.data import load_portfolio
from helpers.pipeline import run_batch, verify_pdf
from helpers.report.context import build_context
from helpers.report.render import render_html


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customer", default="CASE1")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        portfolio = load_portfolio(as_of="2026-09-30")
        run_batch(portfolio, out, customers=[args.customer], progress=False)
        folder = out / args.customer
        html = render_html(build_context(folder, lang="en"))

        def plain(**options):
            return lambda: HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(**options)

        base = _median(plain(), args.repeat)
        pdfa = _median(plain(pdf_variant="pdf/a-3b"), args.repeat)
        tagged = _median(plain(pdf_variant="pdf/a-3b", pdf_tags=True), args.repeat)
        pdf = folder / "report.pdf"
        plain_size = len(plain()())
        t = time.perf_counter()
        result = verify_pdf(pdf)
        verify_seconds = time.perf_counter() - t
        print(f"customer {args.customer}, median of {args.repeat} renders (seconds; baseline plain PDF in this run):")
        print(f"  plain PDF              {base:6.2f}  1.00x  {plain_size / 1e3:8.0f} kB")
        print(f"  PDF/A-3b               {pdfa:6.2f}  {pdfa / base:4.2f}x")
        print(f"  PDF/A-3b tagged        {tagged:6.2f}  {tagged / base:4.2f}x")
        print(f"  as written (evidence)  {'':6}         {pdf.stat().st_size / 1e3:8.0f} kB "
              f"({pdf.stat().st_size / plain_size:.2f}x the plain PDF's size)")
        print(f"  verify                 {verify_seconds:6.2f}  ({'VERIFIED' if result.ok else 'NOT VERIFIED'}, "
              f"{result.compared} figures compared)")


if __name__ == "__main__":
    main()
