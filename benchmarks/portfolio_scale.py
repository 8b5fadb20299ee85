"""Portfolio-wide work of a batch on 1,000,000 customer-years: ratios, peers, characteristics, scoring.

Before it starts a customer's notebooks, :func:`helpers.pipeline.run_batch` does the portfolio-wide
work once: :func:`helpers.analysis.financial.analyse_portfolio` (ratio catalogue, Altman, peers) and
:func:`helpers.analysis.characteristics.portfolio_characteristics` (the scoring characteristics of every
customer); each customer's credit section then scores its row of those characteristics with the
fitted scorecard. The target: all of it over 1,000,000 customer-years in under 10 s.

How the big portfolios are made
-------------------------------
As ``benchmarks/run_benchmarks.py::bench_ratios`` does: the sample's customers are repeated under new
ids (``C001-0``, ``C001-1``, ...), each keeping its own years, so prior-year lookups, growth and averages
work as on real data; the statements are cut at exactly the wanted number of customer-years. Here every
other per-customer table (bank credit, invoices, contacts, assessments) is repeated with its customer,
so the characteristics see the same ledger, contact log and questionnaire per customer as the sample
has. Each size is built once, with the validated portfolio's dtypes, before its stages are timed.

Stages (each timed on its own, on a fresh copy of the portfolio)
----------------------------------------------------------------
``compute_ratios``
    the ratio catalogue alone, on the policy's basis (it is part of the next stage; shown for scale);
``analyse_portfolio``
    ratios + Altman + peers, as the batch calls it;
``portfolio_characteristics``
    the characteristics, the portfolio analysis being done beforehand (untimed, as the batch calls
    ``analyse_portfolio`` first): its own work only;
``scoring``
    :meth:`Scorecard.score`, :meth:`~Scorecard.predict_pd` and :meth:`~Scorecard.grade` over every
    customer's characteristics, one vectorised call each (the scorecard fitted as the model notebook
    fits it, :func:`helpers.scoring.development.develop_scorecard`, untimed). ``credit_section`` itself
    calls the per-customer :meth:`Scorecard.explain`; that is measured on 300 customers and
    extrapolated to all, printed for information, not part of the total.

The total is ``analyse_portfolio + portfolio_characteristics + scoring`` (``compute_ratios`` is inside
``analyse_portfolio``). Three sizes run: a pilot (``--small`` / 10), ``--small`` and ``--rows``. The
machine is shared, so a stage whose projection to ``--rows`` exceeds ``--budget`` seconds is not run
there: its time is projected as t(small) * (rows / small) ** b, b the growth exponent from the pilot to
the small run (at least 1), and marked ``est.``. Scoring at a size whose characteristics were not run
scores the small run's rows repeated to the size (its cost depends on the number of rows only).

Baseline: a plain ``pandas`` ``groupby("customer_id").sum()`` over the same statements frame, timed in
the same run beside each size, so a noisy machine can be judged. Linearity = time at ``--rows`` / time
at ``--small`` (10 at the defaults when linear). Peak memory is this process's ``ru_maxrss``.

Run: ``python benchmarks/portfolio_scale.py [--rows 1000000] [--small 100000] [--budget 300] [--profile]``;
``--profile`` prints cProfile's top functions of each counted stage that takes more than a third of the
target at ``--rows``, profiled at the pilot size (``--profile-rows`` to choose).
"""
from __future__ import annotations

import argparse
import copy
import cProfile
import io
import os
import pstats
import resource
import statistics
import time

import numpy as np
import pandas as pd

TARGET_SECONDS = 10.0
PER_CUSTOMER = ("bank_credit", "invoices", "contacts", "assessments")
STAGES = ("compute_ratios", "analyse_portfolio", "portfolio_characteristics", "scoring")
COUNTED = ("analyse_portfolio", "portfolio_characteristics", "scoring")
EXPLAIN = "info: explain() per customer, extrap."


# --------------------------------------------------------------------------- the big portfolios
def _repeat(frame: pd.DataFrame, id_grid: np.ndarray, keep: np.ndarray, position: dict[str, int]) -> pd.DataFrame:
    """``frame`` repeated once per row of ``id_grid``: copy ``k`` of customer ``c`` is renamed
    ``id_grid[k, position[c]]`` and kept where ``keep[k, position[c]]``.

    The new ids are shared string objects (one per customer, not one per row), so tens of millions of
    invoice rows cost pointers, not strings.
    """
    copies, n = len(id_grid), len(frame)
    pos = np.tile(frame["customer_id"].map(position).to_numpy(dtype=np.int64), copies)
    copy_no = np.repeat(np.arange(copies), n)
    mask = keep[copy_no, pos]
    out = frame.iloc[np.tile(np.arange(n), copies)[mask]].reset_index(drop=True)
    out["customer_id"] = pd.array(id_grid[copy_no[mask], pos[mask]], dtype=frame["customer_id"].dtype)
    return out


def scaled_portfolio(p, rows: int, ledgers: bool = True):
    """The validated sample ``p`` scaled to ``rows`` customer-years (see the module docstring).

    Without ``ledgers`` only customers and statements are scaled (all that the ratios and the analysis
    read); the bank, invoice, contact and assessment tables then stay the sample's.
    """
    fs, cu = p.statements, p.customers
    copies = rows // len(fs) + 1
    base = list(cu["customer_id"])
    position = {c: i for i, c in enumerate(base)}
    id_grid = np.array([[f"{c}-{k}" for c in base] for k in range(copies)], dtype=object)
    big_fs = _repeat(fs, id_grid, np.ones(id_grid.shape, dtype=bool), position).iloc[:rows]
    keep = np.zeros(id_grid.shape, dtype=bool)  # the customers that still have a statement after the cut
    whole, part = divmod(rows, len(fs))
    keep[:whole] = True
    keep[whole, [position[c] for c in fs["customer_id"].iloc[:part].unique()]] = True
    tables = dict(p.tables, financial_statements=big_fs)
    for name in ("customers", *(PER_CUSTOMER if ledgers else ())):
        tables[name] = _repeat(p.tables[name], id_grid, keep, position)
    return fresh(p, tables)


def fresh(p, tables: dict | None = None):
    """A copy of portfolio ``p`` (sharing its tables, or with ``tables``) without any derived result."""
    q = copy.copy(p)
    q.tables = p.tables if tables is None else tables
    q._derived = {}
    return q


# --------------------------------------------------------------------------- timing
def timed(fn, repeat: int = 1, setup=None) -> tuple[float, object]:
    """Median seconds of ``repeat`` calls of ``fn()`` (each after an untimed ``setup()``) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        if setup is not None:
            setup()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def stages(p, sc) -> dict:
    """The stages on portfolio ``p``: name -> (untimed setup or None, timed zero-argument callable)."""
    from helpers.analysis.characteristics import portfolio_characteristics
    from helpers.analysis.financial import analyse_portfolio
    from helpers.analysis.statements import compute_ratios

    pol = p.policy
    analysed = fresh(p)
    state = {}

    def ratios():
        return compute_ratios(p.statements, basis=pol.ratios.balance_basis, days_in_year=pol.days_in_year)

    def analysis():
        return analyse_portfolio(fresh(p))

    def before_characteristics():  # the batch has run analyse_portfolio before: keep it out of this stage
        state["q"] = fresh(p)
        state["q"]._derived["financial_analysis"] = analyse_portfolio(analysed)

    def characteristics():
        state["chars"] = portfolio_characteristics(state["q"])
        return state["chars"]

    def before_scoring():
        if "chars" not in state:
            before_characteristics()
            characteristics()

    def scoring():
        ch = state["chars"]
        return sc.score(ch), sc.predict_pd(ch), sc.grade(ch)

    return {"compute_ratios": (None, ratios), "analyse_portfolio": (None, analysis),
            "portfolio_characteristics": (before_characteristics, characteristics),
            "scoring": (before_scoring, scoring)}


def baseline(p, repeat: int = 3) -> float:
    """A plain pandas groupby-sum of the numeric statement columns per customer."""
    fs = p.statements
    numeric = [c for c in fs.select_dtypes("number").columns if c != "fiscal_year"]
    return timed(lambda: fs.groupby("customer_id")[numeric].sum(), repeat)[0]


def profile(fn, top: int = 25) -> str:
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("cumulative").print_stats(top)
    buf.write("--- by own time ---\n")
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# --------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="customer-years of the big run")
    ap.add_argument("--small", type=int, default=100_000, help="customer-years of the small run (pilot: a tenth)")
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds a stage may be projected to take at --rows and still be run there")
    ap.add_argument("--repeat", type=int, default=1, help="timed calls per stage (median)")
    ap.add_argument("--profile", action="store_true", help="cProfile each counted stage that misses its third")
    ap.add_argument("--profile-rows", type=int, default=None, help="customer-years of the profiled run")
    args = ap.parse_args()

    from helpers import load_portfolio
    from helpers.scoring.development import develop_scorecard

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    p = load_portfolio(as_of="2026-09-30")
    t0 = time.perf_counter()
    sc = develop_scorecard(p)[0]
    print(f"scorecard fitted in {time.perf_counter() - t0:.1f} s (not timed): {', '.join(sc.selected_)}")
    for setup, fn in stages(p, sc).values():  # warm up imports and first-call caches on the sample itself
        timed(fn, 1, setup)

    pilot, small, big = max(args.small // 10, 1000), args.small, args.rows
    sizes = [pilot, small, big]
    res: dict[int, dict[str, tuple[float, bool]]] = {n: {} for n in sizes}  # stage -> (seconds, projected)
    base: dict[int, float] = {}
    chars: dict[int, pd.DataFrame] = {}
    growth: dict[str, float] = {}  # stage -> b of t ~ rows^b, pilot to small, at least 1
    for n in sizes:
        runs = list(STAGES)
        if n == big:  # project what would take too long from the pilot and small runs
            for name in STAGES:
                growth[name] = max(1.0, np.log(res[small][name][0] / res[pilot][name][0]) / np.log(small / pilot))
                projected = res[small][name][0] * (big / small) ** growth[name]
                if projected > args.budget and name != "scoring":
                    res[big][name] = (projected, True)
                    runs.remove(name)
                    print(f"  {big:,} {name}: projected {projected:,.0f} s (t ~ rows^{growth[name]:.2f}) "
                          f"> budget {args.budget:.0f} s: not run")
        t0 = time.perf_counter()
        q = scaled_portfolio(p, n, ledgers="portfolio_characteristics" in runs)
        print(f"{n:>9,} customer-years: {len(q.customers):,} customers"
              + ("".join(f", {len(q.tables[t]):,} {t}" for t in PER_CUSTOMER)
                 if "portfolio_characteristics" in runs else " (ledgers not built)")
              + f"; built in {time.perf_counter() - t0:.1f} s (not timed)")
        base[n] = baseline(q)
        fns = stages(q, sc)
        for name in runs:
            setup, fn = fns[name]
            if name == "scoring" and n not in chars:
                ch_s = chars[small]  # the small run's rows repeated to this size
                ch = pd.concat([ch_s] * -(-len(q.customers) // len(ch_s)), ignore_index=True).iloc[:len(q.customers)]
                setup, fn = None, lambda ch=ch: (sc.score(ch), sc.predict_pd(ch), sc.grade(ch))  # noqa: E731
            secs, out = timed(fn, args.repeat, setup)
            res[n][name] = (secs, False)
            if name == "portfolio_characteristics":
                chars[n] = out
            print(f"  {n:,} {name}: {secs:.2f} s")
        sub = (chars[n] if n in chars else chars[small]).iloc[:300]
        res[n][EXPLAIN] = (timed(lambda: sc.explain(sub))[0] / len(sub) * len(q.customers), True)
        print(f"  peak memory after {n:,}: {peak_mb():,.0f} MB")
        del q, fns

    print()
    print(f"{'stage':38} {f'{pilot:,} (s)':>11} {f'{small:,} (s)':>11} {f'{big:,} (s)':>14}      {'linearity':>9}")
    print(f"{'baseline: groupby-sum of statements':38} {base[pilot]:11.3f} {base[small]:11.3f} {base[big]:14.3f}"
          f"      {base[big] / base[small]:9.1f}")
    for name in (*STAGES, EXPLAIN):
        a, s, b = res[pilot][name], res[small][name], res[big][name]
        print(f"{name:38} {a[0]:11.3f} {s[0]:11.3f} {b[0]:14.3f} {'est.' if b[1] and name != EXPLAIN else '    '}"
              f" {b[0] / s[0]:9.1f}")
    totals = {n: sum(res[n][k][0] for k in COUNTED) for n in sizes}
    estimated = any(res[big][k][1] for k in COUNTED)
    print(f"{'total (analysis + chars + scoring)':38} {totals[pilot]:11.3f} {totals[small]:11.3f} {totals[big]:14.3f}"
          f" {'est.' if estimated else '    '} {totals[big] / totals[small]:9.1f}")
    print(f"{'total / baseline':38} {totals[pilot] / base[pilot]:11.0f} {totals[small] / base[small]:11.0f} "
          f"{totals[big] / base[big]:14.0f}")
    verdict = "PASS" if totals[big] < TARGET_SECONDS else "MISS"
    print(f"\ntarget: {big:,} customer-years in < {TARGET_SECONDS:.0f} s: {verdict} ({totals[big]:,.1f} s"
          + ("; est. = projected, not run: t(small) * (rows/small)^b" if estimated else "") + ")")
    print("growth exponent b, pilot to small (at least 1): " + ", ".join(f"{k} {v:.2f}" for k, v in growth.items()))
    print(f"peak memory (ru_maxrss): {peak_mb():,.0f} MB; load average at end: {os.getloadavg()[0]:.2f}")

    if args.profile:
        share = TARGET_SECONDS / len(COUNTED)
        n_prof = args.profile_rows or pilot
        fns = stages(scaled_portfolio(p, n_prof), sc)
        for name in COUNTED:
            if res[big][name][0] <= share:
                continue
            setup, fn = fns[name]
            if setup is not None:
                setup()
            print(f"\n===== cProfile of {name} at {n_prof:,} customer-years "
                  f"({res[big][name][0]:,.1f} s at {big:,} > {share:.1f} s, a third of the target) =====")
            print(profile(fn))


if __name__ == "__main__":
    main()
