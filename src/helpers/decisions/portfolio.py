"""The portfolio pack of a batch: every customer's headline figures side by side, and what a credit
committee or an auditor reads across the portfolio: grades and exposure, concentration, expected credit
loss by scenario, early-warning signals, reviews due, customers needing a visit, failed customers and the
changes since the previous run.

Built only from the customers' ``summary.json`` (so it is right after a partial re-run, when some
summaries are older than others). Numbers and codes only; :mod:`helpers.report.pack` puts them in words
and files.

Conventions
-----------
- Amounts of one customer are in its own currency (``currency``); the pack's totals are in the policy's
  base currency: amount_base = amount × ``ecl.base_rate`` (units of the base currency per unit of the
  customer's currency; 1 for a customer in the base currency). A customer without a rate has no base
  amounts (``None``) and is listed in ``missing_rate``.
- Only customers with ``status`` ``ok`` are summed; failed customers are counted and listed, never summed.
- Every total is the sum of the customers' values (missing values count as nothing), so the rows always
  add up to the totals.
"""
from __future__ import annotations

import datetime as dt
import math

from ..config import safe_name
from ..config.policy import RISKS

__all__ = ["ledger_reconciliation", "SEVERITIES", "PROFILE_LEVELS", "customer_row", "portfolio_pack", "concentration",
           "pack_changes", "risk_profile_table", "finite_number"]

#: Warning severities, most severe first.
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
#: Levels of the risk profile in the pack, most severe first; ``none``: the risk could not be assessed.
PROFILE_LEVELS: tuple[str, ...] = ("high", "medium", "low", "none")
#: How many of the largest exposures the concentration measure adds up.
TOP_N = 10


def finite_number(value) -> float | None:
    """A finite float, or None (missing, NaN, ±inf, text, booleans)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _times(amount: float | None, rate: float | None) -> float | None:
    return None if amount is None or rate is None else amount * rate


def _sum(values) -> float:
    """Σ of the values that are there (None counts as nothing)."""
    return float(sum(v for v in values if v is not None))


def _date(value) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _natural(grade) -> tuple:
    g = "" if grade is None else str(grade)
    return (0, int(g), "") if g.isdigit() else (1, 0, g)


def customer_row(summary: dict, *, base_currency: str, as_of: dt.date | None = None,
                 review_within_days: int = 30) -> dict:
    """One customer's headline figures from its ``summary.json``.

    Parameters
    ----------
    summary : dict
        The customer's ``summary.json`` (see :func:`helpers.report.context.merge_summaries`).
    base_currency : str
        The policy's base currency.
    as_of : date, optional
        The pack's date (for reviews due); default the summary's own ``as_of``.
    review_within_days : int
        A review is due when its date is at most this many days after ``as_of``, or overdue.

    Returns
    -------
    dict
        ``customer_id``, ``name``, ``status``, ``industry``, ``country``, ``currency``, ``as_of``, ``grade``,
        ``model_grade``, ``override``, ``pd``, ``score``; ``limit`` and ``exposure`` (customer's currency) with
        ``limit_base``, ``exposure_base``, ``headroom_base`` (× ``base_rate``); ``utilization`` = exposure /
        limit; ``terms_option``, ``terms_kind``, ``terms_days``, ``prepayment_share``, ``terms_label`` (the
        policy's text); ``insurance``, ``insurance_kind``, ``insurance_cover``; ``payment_index``, ``dbt_12m``;
        ``ecl_open_base``, ``ecl_weighted_base``, ``ecl_scenarios_base`` ({scenario: ECL × base_rate});
        ``scenario_pd``; ``warnings`` ({severity: count}), ``high_rules``; ``next_review``,
        ``days_to_review`` (next review − as_of), ``overdue_days``, ``review_overdue`` (a previous review date
        passed, or the next one lies before ``as_of``), ``review_due`` (overdue or days_to_review ≤
        ``review_within_days``), ``review_brought_forward``; ``needs_visit``, ``visit_due_reason``,
        ``last_visit``, ``visits_12m``, ``account_manager``; ``risk_profile`` ({risk: level or None}),
        ``risk_drivers`` ({risk: the drivers shown on page one, ``code`` and ``level``}), ``assessment_status``;
        ``report`` (``<folder>/report.pdf``, None when the
        customer failed); ``inputs_sha256``; ``error``, ``notebook``, ``cell`` of a failure. A failed
        customer keeps its identity, status and error only: its figures are None, its counts 0.
    """
    s = summary
    cid = str(s.get("customer_id", ""))
    ok = s.get("status") == "ok"
    exp = s.get("exposure") or {}
    ecl = s.get("ecl") or {}
    terms = s.get("terms") or {}
    ins = s.get("insurance") or {}
    contacts = s.get("contacts") or {}
    review = s.get("next_review") or {}
    currency = s.get("currency") or s.get("limit_currency")
    rate = finite_number(ecl.get("base_rate"))
    if rate is None and currency and currency == base_currency:
        rate = 1.0
    limit = finite_number(s.get("limit"))
    if limit is None:
        limit = finite_number(exp.get("limit"))
    exposure = finite_number(exp.get("exposure"))
    utilization = finite_number(exp.get("utilization"))
    if utilization is None and exposure is not None and limit:
        utilization = exposure / limit
    headroom = finite_number(exp.get("headroom"))
    if headroom is None and exposure is not None and limit is not None:
        headroom = limit - exposure
    warnings = [w for w in (s.get("warnings") or []) if isinstance(w, dict)]
    counts = {sev: sum(w.get("severity") == sev for w in warnings) for sev in SEVERITIES}
    as_of = as_of or _date(s.get("as_of"))
    nxt = _date(review.get("date"))
    days_to = (nxt - as_of).days if nxt and as_of else None
    overdue_days = finite_number(review.get("overdue_days"))
    overdue = bool((overdue_days is not None and overdue_days > 0) or (days_to is not None and days_to < 0))
    due = bool(ok and (overdue or (days_to is not None and days_to <= review_within_days)))
    dbt = s.get("dbt") or {}
    profile = s.get("risk_profile") or {}
    row = {
        "customer_id": cid,
        "name": s.get("name") or "",
        "status": "ok" if ok else "failed",
        "industry": s.get("industry"),
        "country": s.get("country"),
        "currency": currency,
        "as_of": s.get("as_of"),
        "account_manager": s.get("account_manager"),
        "grade": None if s.get("grade") is None else str(s.get("grade")),
        "model_grade": None if s.get("model_grade") is None else str(s.get("model_grade")),
        "override": bool(s.get("override")),
        "pd": finite_number(s.get("pd")),
        "score": finite_number(s.get("score")),
        "base_rate": rate,
        "limit": limit,
        "limit_base": _times(limit, rate),
        "exposure": exposure,
        "exposure_base": _times(exposure, rate),
        "headroom_base": _times(headroom, rate),
        "utilization": utilization,
        "terms_option": terms.get("option"),
        "terms_kind": terms.get("kind"),
        "terms_label": terms.get("label"),
        "terms_days": finite_number(terms.get("days")),
        "prepayment_share": finite_number(terms.get("prepayment_share")),
        "insurance": bool(ins.get("recommended")) if ok else None,
        "insurance_kind": ins.get("kind"),
        "insurance_cover": finite_number(ins.get("cover_share")),
        "payment_index": finite_number(s.get("payment_index")),
        "dbt_12m": finite_number(dbt.get("12m")),
        "ecl_open_base": _times(finite_number(ecl.get("open")), rate),
        "ecl_weighted_base": _times(finite_number(ecl.get("weighted")), rate),
        "ecl_scenarios_base": {str(k): _times(finite_number(v), rate) for k, v in (ecl.get("scenarios") or {}).items()},
        "scenario_pd": {str(k): finite_number((v or {}).get("pd")) for k, v in (s.get("scenarios") or {}).items()
                        if isinstance(v, dict)},
        "warnings": counts,
        "warnings_total": len(warnings),
        "high_rules": [w.get("rule") for w in warnings if w.get("severity") == "high"],
        "next_review": nxt.isoformat() if nxt else None,
        "days_to_review": days_to,
        "overdue_days": None if overdue_days is None else int(overdue_days),
        "review_overdue": overdue if ok else None,
        "review_due": due,
        "review_brought_forward": bool(review.get("brought_forward")),
        "needs_visit": bool(contacts.get("needs_visit")) if ok else None,
        "visit_due_reason": contacts.get("visit_due_reason"),
        "last_visit": contacts.get("last_visit"),
        "visits_12m": finite_number(contacts.get("visits_12m")),
        "risk_profile": {risk: (profile.get(risk) or {}).get("level") for risk in RISKS},
        "risk_drivers": {risk: [{"code": d.get("code"), "level": d.get("level")}
                                for d in (profile.get(risk) or {}).get("drivers") or []] for risk in RISKS},
        "assessment_status": (s.get("assessment") or {}).get("status"),
        "report": f"{safe_name(cid)}/report.pdf" if ok else None,
        "inputs_sha256": s.get("inputs_sha256"),
        "error": None if ok else s.get("error"),
        "notebook": None if ok else s.get("notebook"),
        "cell": None if ok else s.get("cell"),
    }
    if not ok:  # a failed customer has no figures, whatever its summary still carries
        row.update({k: None for k in _FIGURES})
        row.update(risk_profile={risk: None for risk in RISKS}, risk_drivers={risk: [] for risk in RISKS},
                   assessment_status=None)
        row.update(ecl_scenarios_base={}, scenario_pd={}, warnings={sev: 0 for sev in SEVERITIES}, warnings_total=0,
                   high_rules=[], override=False, review_brought_forward=False, review_due=False)
    return row


#: The fields of :func:`customer_row` that a failed customer leaves empty.
_FIGURES = ("industry", "country", "currency", "account_manager", "grade", "model_grade", "pd", "score", "base_rate",
            "limit", "limit_base", "exposure", "exposure_base", "headroom_base", "utilization", "terms_option",
            "terms_kind", "terms_label", "terms_days", "prepayment_share", "insurance", "insurance_kind",
            "insurance_cover", "payment_index", "dbt_12m", "ecl_open_base", "ecl_weighted_base", "next_review",
            "days_to_review", "overdue_days", "review_overdue", "needs_visit", "visit_due_reason", "last_visit",
            "visits_12m")


def concentration(rows: list[dict], top_n: int = TOP_N) -> dict:
    """Concentration of the exposure (base currency) over the customers.

    With xᵢ = max(exposureᵢ, 0) in the base currency, X = Σ xᵢ and sᵢ = xᵢ / X:

    - top-n share = Σ of the n largest xᵢ / X;
    - HHI (Herfindahl–Hirschman index) = Σ sᵢ², from 1/N (all equal) to 1 (one customer);
    - effective number of customers = 1 / HHI.

    Returns
    -------
    dict
        ``customers`` (with an exposure), ``total_base`` (X), ``top_n``, ``top_share``, ``hhi``,
        ``effective_number`` (None when X = 0), ``top`` (rank, customer_id, name, grade, exposure_base,
        share, cumulative_share of the n largest).
    """
    held = [r for r in rows if r.get("exposure_base") is not None]
    x = [max(r["exposure_base"], 0.0) for r in held]
    total = float(sum(x))
    ranked = sorted(zip(x, held), key=lambda p: (-p[0], p[1]["customer_id"]))
    top, cum = [], 0.0
    for i, (xi, r) in enumerate(ranked[:top_n], start=1):
        share = xi / total if total > 0 else None
        cum += share or 0.0
        top.append({"rank": i, "customer_id": r["customer_id"], "name": r["name"], "grade": r.get("grade"),
                    "exposure_base": xi, "share": share, "cumulative_share": cum if total > 0 else None})
    hhi = float(sum((xi / total) ** 2 for xi in x)) if total > 0 else None
    return {"customers": len(held), "total_base": total, "top_n": top_n,
            "top_share": float(sum(xi for xi, _ in ranked[:top_n]) / total) if total > 0 else None,
            "hhi": hhi, "effective_number": 1.0 / hhi if hhi else None, "top": top}


def _group(rows: list[dict], key: str, total_exposure: float, order: list | None = None) -> list[dict]:
    """Customers, exposure (and its share), limits, ECL and PDs by the value of ``key``."""
    keys = list(order or [])
    seen = {r.get(key) for r in rows}
    keys += sorted((k for k in seen if k not in keys), key=_natural)
    out = []
    for k in keys:
        mine = [r for r in rows if r.get(key) == k]
        exp = _sum(r["exposure_base"] for r in mine)
        weighted = [(r["pd"], r["exposure_base"]) for r in mine if r["pd"] is not None and r["exposure_base"]]
        w = sum(e for _, e in weighted)
        pds = [r["pd"] for r in mine if r["pd"] is not None]
        out.append({key: k, "customers": len(mine), "exposure_base": exp,
                    "exposure_share": exp / total_exposure if total_exposure else None,
                    "limit_base": _sum(r["limit_base"] for r in mine),
                    "ecl_weighted_base": _sum(r["ecl_weighted_base"] for r in mine),
                    "pd_average": sum(pds) / len(pds) if pds else None,
                    "pd_exposure_weighted": sum(p * e for p, e in weighted) / w if w else None})
    if order is None:
        out.sort(key=lambda g: (-g["exposure_base"], _natural(g[key])))
    return out


def risk_profile_table(rows: list[dict], total_exposure: float) -> list[dict]:
    """Customers and exposure (base currency) per risk and level of the four-risk profile.

    Returns
    -------
    list of dict
        One per risk (credit, liquidity, market, operational): ``risk`` and, per level ``low``, ``medium``,
        ``high`` and ``none`` (no level), ``customers``, ``exposure_base`` and ``exposure_share`` (of
        ``total_exposure``); ``high_customers`` (ids with a high level, by exposure) and ``drivers``
        ({driver code: customers whose page one shows the driver at level high}).
    """
    out = []
    for risk in RISKS:
        levels = {}
        for level in PROFILE_LEVELS:
            mine = [r for r in rows if r["risk_profile"].get(risk) == (None if level == "none" else level)]
            e = _sum(r["exposure_base"] for r in mine)
            levels[level] = {"customers": len(mine), "exposure_base": e,
                                       "exposure_share": e / total_exposure if total_exposure else None}
        high = sorted((r for r in rows if r["risk_profile"].get(risk) == "high"),
                      key=lambda r: (-(r["exposure_base"] or 0.0), r["customer_id"]))
        drivers: dict[str, int] = {}
        for r in high:
            for d in r["risk_drivers"].get(risk) or []:
                if d["level"] == "high":
                    drivers[d["code"]] = drivers.get(d["code"], 0) + 1
        out.append({"risk": risk, **levels, "high_customers": [r["customer_id"] for r in high],
                    "drivers": dict(sorted(drivers.items(), key=lambda kv: (-kv[1], kv[0])))})
    return out


def pack_changes(rows: list[dict], previous: dict | None, grades: list[str] | None = None) -> dict:
    """What changed since the previous run's pack: grade, limit or terms option of each customer that was
    ``ok`` in both runs.

    Parameters
    ----------
    rows : list of dict
        This run's :func:`customer_row`\\ s.
    previous : dict or None
        The previous run's ``portfolio.json`` (None on a first run).
    grades : list of str, optional
        The master scale, best grade first: a grade change then carries ``notches`` = index(new) −
        index(old) (positive: a downgrade).

    Returns
    -------
    dict
        ``first_run``, ``previous_as_of``, ``customers`` (one entry per changed customer: ``customer_id``,
        ``name`` and, for what changed, ``grade`` {old, new, notches}, ``limit`` {old, new, old_currency,
        currency, change}, ``terms_option`` {old, new, old_label, new_label}), ``new`` (ids ok now, not ok before), ``gone`` (ids ok
        before, not in this run).
    """
    if previous is None:
        return {"first_run": True, "previous_as_of": None, "customers": [], "new": [], "gone": []}
    before = {r.get("customer_id"): r for r in previous.get("customers") or [] if isinstance(r, dict)}
    out, new = [], []
    for r in rows:
        if r["status"] != "ok":
            continue
        p = before.get(r["customer_id"])
        if not p or p.get("status") != "ok":
            new.append(r["customer_id"])
            continue
        change = {}
        if p.get("grade") != r["grade"]:
            notches = None
            if grades and p.get("grade") in grades and r["grade"] in grades:
                notches = grades.index(r["grade"]) - grades.index(p.get("grade"))
            change["grade"] = {"old": p.get("grade"), "new": r["grade"], "notches": notches}
        old_limit, new_limit = finite_number(p.get("limit")), r["limit"]
        same_currency = p.get("currency") == r["currency"]
        limits_differ = (old_limit is None) != (new_limit is None) or (
            old_limit is not None and not math.isclose(old_limit, new_limit, rel_tol=1e-9, abs_tol=0.005))
        if limits_differ or not same_currency:
            change["limit"] = {"old": old_limit, "new": new_limit, "old_currency": p.get("currency"),
                               "currency": r["currency"],
                               "change": new_limit - old_limit if same_currency and None not in (old_limit, new_limit)
                               else None}
        if p.get("terms_option") != r["terms_option"]:
            change["terms_option"] = {"old": p.get("terms_option"), "new": r["terms_option"],
                                      "old_label": p.get("terms_label"), "new_label": r["terms_label"]}
        if change:
            out.append({"customer_id": r["customer_id"], "name": r["name"], **change})
    now = {r["customer_id"] for r in rows}
    gone = sorted(k for k, p in before.items() if k not in now and p.get("status") == "ok")
    return {"first_run": False, "previous_as_of": previous.get("as_of"), "customers": out, "new": new, "gone": gone}


def portfolio_pack(summaries: list[dict], *, base_currency: str, previous: dict | None = None,
                   as_of=None, review_within_days: int = 30, grades: list[str] | None = None,
                   lgd: float | None = None, weights: dict[str, float] | None = None, top_n: int = TOP_N) -> dict:
    """The portfolio pack of a batch, from its customers' summaries.

    Parameters
    ----------
    summaries : list of dict
        Every customer's ``summary.json`` found in the batch's output folder (ok and failed).
    base_currency : str
        The policy's base currency; every total is in it.
    previous : dict, optional
        The previous run's pack (``portfolio.json``), for :func:`pack_changes`; None on a first run.
    as_of : date or str, optional
        The pack's date; default the latest ``as_of`` of the summaries.
    review_within_days : int
        Reviews due = overdue, or next review ≤ as_of + this many days.
    grades : list of str, optional
        The master scale, best first (order of the grade distribution; notches of grade changes).
        Default: the grades found, in natural order.
    lgd : float, optional
        The policy's loss given default. When given, the one-year expected loss on the exposure is added
        per scenario s: ELₛ = Σᵢ PDᵢ,ₛ × LGD × exposureᵢ (base currency, PDᵢ,ₛ the customer's PD under s).
    weights : dict, optional
        The policy's scenario weights wₛ: the probability-weighted EL = Σₛ wₛ × ELₛ (None without them).
    top_n : int
        How many of the largest exposures the concentration adds up.

    Returns
    -------
    dict
        ``as_of``, ``as_of_dates`` (every summary date; more than one after a partial re-run),
        ``base_currency``, ``review_within_days``, ``lgd``, ``customers`` (one :func:`customer_row` each,
        sorted by id), ``totals`` (over ok customers: ``customers``, ``ok``, ``failed``, ``limit_base``,
        ``exposure_base``, ``headroom_base``, ``utilization`` = Σ exposure / Σ limit, ``ecl_open_base``,
        ``ecl_weighted_base``, ``ecl_scenarios_base``, ``ecl_coverage`` = Σ ECL weighted / Σ open,
        ``pd_exposure_weighted`` = Σ PDᵢ xᵢ / Σ xᵢ, ``warnings`` by severity, ``customers_with_high``,
        ``reviews_due``, ``reviews_overdue``, ``needs_visit``), ``grades`` (distribution: customers, exposure
        and its share, limits, ECL, average and exposure-weighted PD by grade), ``by_industry``,
        ``by_country``, ``concentration`` (:func:`concentration`), ``risk_profile`` (:func:`risk_profile_table`),
        ``assessments`` (customers whose assessment is current, stale, missing), ``ecl`` (``scenarios``: scenario,
        ecl_base, coverage, customers, el_base when ``lgd``; ``weighted``, ``open``, ``coverage``,
        ``el_base`` weighted when ``lgd`` and ``weights``), ``warnings`` (every signal with its customer, most severe first), ``warnings_by_rule``
        ({rule: {high, medium, low, total}}), ``reviews_due``, ``visits_due``, ``failed``, ``missing_rate``
        and ``changes`` (:func:`pack_changes`).
    """
    dates = sorted({str(s.get("as_of"))[:10] for s in summaries if s.get("as_of")})
    as_of = _date(as_of) or (_date(dates[-1]) if dates else None)
    rows = sorted((customer_row(s, base_currency=base_currency, as_of=as_of, review_within_days=review_within_days)
                   for s in summaries), key=lambda r: r["customer_id"])
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] != "ok"]
    exposure = _sum(r["exposure_base"] for r in ok)
    limit = _sum(r["limit_base"] for r in ok)
    scenarios: list[str] = []
    for r in ok:
        scenarios += [s for s in r["ecl_scenarios_base"] if s not in scenarios]
    ecl_scen = {s: _sum(r["ecl_scenarios_base"].get(s) for r in ok) for s in scenarios}
    # a customer whose ECL is unknown (no loss rate for some of its open items) is listed, not counted as 0:
    # its open balance stays out of the coverage ratio's denominator
    unknown_ecl = [r for r in ok if r["ecl_weighted_base"] is None and (r["ecl_open_base"] or 0.0) > 0]
    ecl_open = _sum(r["ecl_open_base"] for r in ok)
    ecl_open_known = ecl_open - _sum(r["ecl_open_base"] for r in unknown_ecl)
    ecl_weighted = _sum(r["ecl_weighted_base"] for r in ok)
    weighted_pd = [(r["pd"], r["exposure_base"]) for r in ok if r["pd"] is not None and r["exposure_base"]]
    w = sum(e for _, e in weighted_pd)

    def el(pd_of) -> float | None:
        if lgd is None:
            return None
        return _sum(pd_of(r) * lgd * r["exposure_base"] for r in ok
                    if pd_of(r) is not None and r["exposure_base"] is not None)

    by_id = {str(x.get("customer_id", "")): x for x in summaries}
    warn = []
    for r in ok:
        for wr in by_id[r["customer_id"]].get("warnings") or []:
            if isinstance(wr, dict):
                warn.append({"customer_id": r["customer_id"], "name": r["name"], "grade": r["grade"],
                             "rule": wr.get("rule"), "severity": wr.get("severity"), "args": wr.get("args") or {},
                             "exposure_base": r["exposure_base"]})
    rank = {sev: i for i, sev in enumerate(SEVERITIES)}
    warn.sort(key=lambda x: (rank.get(x["severity"], len(rank)), -(x["exposure_base"] or 0.0), x["customer_id"]))
    by_rule: dict[str, dict] = {}
    for x in warn:
        c = by_rule.setdefault(x["rule"], {**{sev: 0 for sev in SEVERITIES}, "total": 0})
        if x["severity"] in c:
            c[x["severity"]] += 1
        c["total"] += 1
    by_rule = dict(sorted(by_rule.items(), key=lambda kv: (-kv[1]["high"], -kv[1]["total"], str(kv[0]))))

    grade_order = list(grades) if grades else None
    totals = {
        "customers": len(rows), "ok": len(ok), "failed": len(failed),
        "limit_base": limit, "exposure_base": exposure, "headroom_base": _sum(r["headroom_base"] for r in ok),
        "utilization": exposure / limit if limit else None,
        "ecl_open_base": ecl_open, "ecl_weighted_base": ecl_weighted, "ecl_scenarios_base": ecl_scen,
        "ecl_coverage": ecl_weighted / ecl_open_known if ecl_open_known else None,
        "ecl_unknown": [{"customer_id": r["customer_id"], "name": r["name"], "open_base": r["ecl_open_base"]}
                        for r in unknown_ecl],
        "pd_exposure_weighted": sum(p * e for p, e in weighted_pd) / w if w else None,
        "warnings": {sev: sum(r["warnings"][sev] for r in ok) for sev in SEVERITIES},
        "customers_with_high": sum(r["warnings"]["high"] > 0 for r in ok),
        "reviews_due": sum(bool(r["review_due"]) for r in ok),
        "reviews_overdue": sum(bool(r["review_overdue"]) for r in ok),
        "needs_visit": sum(bool(r["needs_visit"]) for r in ok),
    }
    reviews = sorted((r for r in ok if r["review_due"]),
                     key=lambda r: (r["next_review"] or "9999", r["customer_id"]))
    return {
        "schema": 1,
        "as_of": as_of.isoformat() if as_of else None,
        "as_of_dates": dates,
        "base_currency": base_currency,
        "review_within_days": review_within_days,
        "lgd": lgd,
        "customers": rows,
        "totals": totals,
        "grades": _group(ok, "grade", exposure, grade_order),
        "by_industry": _group(ok, "industry", exposure),
        "by_country": _group(ok, "country", exposure),
        "concentration": concentration(ok, top_n),
        "risk_profile": risk_profile_table(ok, exposure),
        "assessments": {status: sum(r["assessment_status"] == status for r in ok)
                        for status in ("current", "stale", "missing")},
        "ecl": {"scenarios": [{"scenario": s, "ecl_base": ecl_scen[s],
                               "coverage": ecl_scen[s] / ecl_open_known if ecl_open_known else None,
                               "customers": sum(r["ecl_scenarios_base"].get(s) is not None for r in ok),
                               "el_base": el(lambda r, s=s: r["scenario_pd"].get(s))} for s in scenarios],
                "weighted": ecl_weighted, "open": ecl_open, "coverage": totals["ecl_coverage"],
                "customers": sum(r["ecl_weighted_base"] is not None for r in ok),
                "el_base": None if lgd is None or not weights else float(sum(
                    w_s * el(lambda r, s=s: r["scenario_pd"].get(s)) for s, w_s in weights.items()))},
        "warnings": [{k: v for k, v in x.items() if k != "exposure_base"} for x in warn],
        "warnings_by_rule": by_rule,
        "reviews_due": [{k: r[k] for k in ("customer_id", "name", "grade", "next_review", "days_to_review",
                                           "overdue_days", "review_overdue", "review_brought_forward", "high_rules",
                                           "account_manager")} for r in reviews],
        "visits_due": [{k: r[k] for k in ("customer_id", "name", "grade", "account_manager", "last_visit",
                                          "visits_12m", "visit_due_reason", "exposure_base")}
                       for r in ok if r["needs_visit"]],
        "failed": [{k: r[k] for k in ("customer_id", "name", "as_of", "error", "notebook", "cell")} for r in failed],
        "missing_rate": [r["customer_id"] for r in ok if r["base_rate"] is None],
        "changes": pack_changes(rows, previous, grades),
        "orders": order_log_totals(summaries),
    }


def order_log_totals(summaries: list[dict]) -> dict | None:
    """The order check's holds, releases and overrides over the portfolio, from the summaries' ``orders``
    (written when the batch had a decision log; None when no summary has one).

    Returns
    -------
    dict or None
        ``counts`` (Σ of every customer's counts), ``since``/``until`` (the window), ``customers``: one row
        per customer with any hold, release, rejection or pending order (``customer_id``, ``name``, its
        ``counts``, ``notable``: its overrides and orders still waiting), most pending first.
    """
    blocks = [(s, s["orders"]) for s in summaries if s.get("status") == "ok" and s.get("orders")]
    if not blocks:
        return None
    keys = ("checks", "approvals", "holds", "releases", "overrides", "rejections", "pending")
    counts = {k: sum(int(b["counts"].get(k, 0)) for _, b in blocks) for k in keys}
    rows = [{"customer_id": s["customer_id"], "name": s.get("name", ""), "grade": s.get("grade"),
             "counts": b["counts"], "notable": b.get("notable") or []}
            for s, b in blocks if any(b["counts"].get(k) for k in ("holds", "releases", "rejections", "pending"))]
    rows.sort(key=lambda r: (-r["counts"].get("pending", 0), -r["counts"].get("overrides", 0), r["customer_id"]))
    return {"counts": counts, "since": min(b["since"] for _, b in blocks), "until": max(b["until"] for _, b in blocks),
            "days": max(int(b.get("days") or 0) for _, b in blocks) if all("days" in b for _, b in blocks) else None,
            "customers": rows}


def ledger_reconciliation(open_in_pack: float | None, ledger: dict | None, *, ledger_as_of: str | None = None,
                          pack_dates: list[str] | None = None) -> dict | None:
    """How the pack's open receivables tie to the ledger's: ``ledger`` (Σ open at ``as_of``, base currency,
    from the batch's ``provision_matrix.json``), ``pack`` (Σ of the customers with a finished report),
    ``difference`` = ledger − pack (the open balance of customers the pack does not cover: failed or not
    run), ``reconciled`` when the difference is within 0.5 base-currency units; ``mixed_dates`` when the
    customers' summaries are not all as of the ledger's date (a partial re-run at a new date), so the difference
    also holds the ledger's change between the dates. None without a ledger figure."""
    if not ledger or ledger.get("total") is None:
        return None
    pack = float(open_in_pack or 0.0)
    diff = float(ledger["total"]) - pack
    mixed = bool(ledger_as_of and pack_dates and set(pack_dates) != {str(ledger_as_of)[:10]})
    return {"ledger": float(ledger["total"]), "pack": pack, "difference": diff, "reconciled": abs(diff) <= 0.5,
            "mixed_dates": mixed, "ledger_as_of": ledger_as_of,
            "ledger_customers": ledger.get("customers"), "by_group": ledger.get("by_group", {})}
