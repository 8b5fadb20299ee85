"""Decisions: credit limit, payment terms, credit insurance, contract clauses and review date,
each with its calculation shown.

Credit limit (:func:`credit_limit`)
    capacity = the larger of net_worth_share × equity and working_capital_share × working capital
    (both floored at 0); need = expected monthly purchases × (longest credit period of the grade /
    30 + extra months); the limit is the smallest of capacity, need, the grade's cap (converted
    from the base currency) and bank_lines_share × the customer's bank credit (lines and loans
    granted, when it has any), rounded down. Every step is written to a calculation log.

Payment terms (:func:`evaluate_options`), per option of the policy and per scenario:
    days outstanding = credit period + days the customer pays beyond terms (≥ 0) — instalments
    average (n + 1) / (2n) of the period; exposure per unit of sales e = (1 − prepayment) × days
    outstanding / days in year; the limit caps our own risk, so sales = min(planned sales ×
    (1 − lost sales), EAD cap / e) with EAD cap = limit / (1 − cover) — or limit + cover × the
    insurer's own limit on the buyer when that is lower; EAD = sales × e; covered = cover ×
    min(EAD, insurer's limit) (insurance, letter of credit, guarantee); retained loss = LGD × EAD −
    max(0, LGD × covered − deductible); EL = PD × retained loss, per scenario, and the
    scenario-weighted EL (without a deductible: EL = PD × LGD × (EAD − covered));
    costs = EAD × funding rate + premium rate × insured sales + letter-of-credit fees;
    margin = gross margin × sales; value = margin − weighted EL − costs.
    An option is admissible when the grade allows its credit period and prepayment, an insurer
    would cover the buyer (PD ≤ insurer_max_pd, scope fits domestic or foreign), the customer's
    banks would issue a letter of credit or guarantee of that size (it is not overdue with them and
    has the unused credit lines), and
    the weighted EL stays within max_el_rate of sales. The recommendation is the admissible option with the
    highest value; full prepayment is the fallback when none is admissible.
"""
from __future__ import annotations

import math

import pandas as pd

from .exceptions import RiskbookError

__all__ = ["credit_limit", "evaluate_options", "recommend", "clause_checklist", "review_date", "decision_section",
           "current_credit"]


def credit_limit(portfolio, customer_id: str, grade: str) -> dict:
    """The credit limit of a customer with its calculation log (see the module docstring).

    Returns
    -------
    dict
        ``limit`` (customer currency), ``requested``, ``recommended`` (the smaller of limit and
        request when the customer asked for less), ``binding`` (which rule set the limit) and
        ``log`` (list of {step, formula, value}).
    """
    policy = portfolio.policy
    rules, terms = policy.decisions.limit, policy.decisions.grades[grade]
    c = portfolio.customer(customer_id)
    cur = c.currency
    fs = c.statements.sort_values("fiscal_year").iloc[-1]
    log = []

    def step(name, formula, value):
        log.append({"step": name, "formula": formula, "value": float(value), "currency": cur})
        return float(value)

    equity, wc = float(fs["equity"]), float(fs["current_assets"] - fs["current_liabilities"])
    nw = step("Net-worth basis", f"{rules.net_worth_share:.0%} × equity {equity:,.0f}",
              max(0.0, equity) * rules.net_worth_share)
    wcb = step("Working-capital basis", f"{rules.working_capital_share:.0%} × working capital {wc:,.0f}",
               max(0.0, wc) * rules.working_capital_share)
    capacity = step("Capacity", "larger of the two bases", max(nw, wcb))
    monthly = c.record.get("expected_monthly_purchases")
    if monthly is None or (isinstance(monthly, float) and math.isnan(monthly)):
        need = step("Need", "expected monthly purchases not on file: need not limiting", math.inf)
    else:
        need = step("Need", f"monthly purchases {monthly:,.0f} × ({terms.max_days:.0f} days / 30 + "
                            f"{rules.extra_months:g} month)", monthly * (terms.max_days / 30.0 + rules.extra_months))
    rate = portfolio.fx_rates[cur]
    cap = step("Grade cap", f"grade {grade} cap {terms.limit_cap:,.0f} {policy.base_currency} ÷ {rate:g}",
               terms.limit_cap / rate)
    bank = c.bank_credit
    active = bank[bank["status"] != "closed"]
    granted = float(active["limit"].sum()) if len(active) else 0.0
    if granted > 0:
        bank_cap = step("Bank-credit cap", f"{rules.bank_lines_share:.0%} × bank credit granted {granted:,.0f}",
                        granted * rules.bank_lines_share)
    else:
        bank_cap = step("Bank-credit cap", "no bank credit on file: not limiting", math.inf)
    candidates = {"capacity": capacity, "need": need, "grade cap": cap, "bank-credit cap": bank_cap}
    binding = min(candidates, key=candidates.get)
    raw = candidates[binding]
    limit = math.floor(raw / rules.rounding) * rules.rounding if math.isfinite(raw) else 0.0
    step("Limit", f"smallest of the above ({binding}), rounded down to {rules.rounding:,.0f}", limit)
    requested = c.record.get("requested_limit")
    requested = None if requested is None or (isinstance(requested, float) and math.isnan(requested)) else float(requested)
    recommended = min(limit, requested) if requested is not None else limit
    if requested is not None:
        step("Recommended", f"smaller of limit and requested {requested:,.0f}", recommended)
    return {"limit": limit, "requested": requested, "recommended": recommended, "binding": binding,
            "currency": cur, "log": log}


def _ead_cap(limit: float, cover: float, insured_cap: float) -> float:
    """Largest exposure whose own (uncovered) part stays within the limit.

    Own risk = EAD − cover · min(EAD, insured cap); with an insurer's limit IL the cap is
    limit / (1 − cover) while that stays below IL, else limit + cover · IL.
    """
    if cover >= 1.0 and math.isinf(insured_cap):
        return math.inf
    first = limit / (1.0 - cover) if cover < 1.0 else math.inf
    return first if first <= insured_cap else limit + cover * insured_cap


def _retained_loss(loss: float, covered_loss: float, deductible: float) -> float:
    """Loss we keep when the customer defaults: the uncovered loss, plus the insured loss up to the
    deductible (the insurer pays the covered loss above it). Without a deductible: loss − covered loss."""
    return loss - max(0.0, covered_loss - deductible)


def evaluate_options(portfolio, customer_id: str, grade: str, scenario_pd: dict[str, float], limit: float,
                     days_beyond_terms: float | None) -> pd.DataFrame:
    """Every payment-terms option of the policy, with its exposure, losses, costs and value.

    Parameters
    ----------
    grade : str
        The customer's (final) grade; the policy's rules for it decide admissibility.
    scenario_pd : dict
        Scenario name → PD under that scenario (the base PD is the model's).
    limit : float
        The credit limit (customer currency).
    days_beyond_terms : float or None
        How late the customer pays us on average (negative means early; floored at 0 here).

    Returns
    -------
    DataFrame
        One row per option (see the module docstring for every column's formula) with
        ``admissible`` and ``why_not``.
    """
    policy = portfolio.policy
    dec = policy.decisions
    c = portfolio.customer(customer_id)
    terms = dec.grades[grade]
    weights = {s.name: s.weight for s in dec.scenarios}
    base_pd = scenario_pd.get("base", next(iter(scenario_pd.values())))
    monthly = c.record.get("expected_monthly_purchases") or 0.0
    planned = float(monthly) * 12.0
    late = max(0.0, float(days_beyond_terms or 0.0))
    days_year = float(policy.days_in_year)
    bank = c.bank_credit
    lines = bank[(bank["status"] == "active") & bank["facility_type"].isin(["credit_line", "overdraft", "trade_finance"])]
    headroom = float((lines["limit"] - lines["outstanding"]).clip(lower=0).sum())
    rate = portfolio.fx_rates[c.currency]
    insurer_limit = c.record.get("insurer_limit")
    insurer_limit = None if insurer_limit is None or pd.isna(insurer_limit) else float(insurer_limit)
    overdue = float(bank.loc[bank["status"] != "closed", "overdue_days"].max()) if len(bank) else 0.0
    rows = []
    for o in dec.options:
        period = o.days * (o.installments + 1) / (2 * o.installments) if o.kind == "installments" else o.days
        outstanding = period + late if o.days > 0 else 0.0
        e = (1.0 - o.prepayment_share) * outstanding / days_year
        lost = o.lost(c.domestic)
        wanted = planned * (1.0 - lost)
        insured_cap = insurer_limit if o.kind == "credit_insurance" and insurer_limit is not None else math.inf
        ead_cap = _ead_cap(limit, o.cover, insured_cap)  # the limit caps our own risk, not what others carry
        sales = min(wanted, ead_cap / e) if e > 0 else wanted
        ead = sales * e
        covered = o.cover * min(ead, insured_cap)
        net = ead - covered
        deductible = o.deductible / rate if o.kind == "credit_insurance" else 0.0
        retained = _retained_loss(dec.lgd * ead, dec.lgd * covered, deductible)
        el = {name: p * retained for name, p in scenario_pd.items()}
        weighted = sum(weights.get(name, 0.0) * v for name, v in el.items())
        financing = ead * dec.funding_rate
        premium = o.premium_rate * sales * (1.0 - o.prepayment_share) if o.kind == "credit_insurance" else 0.0
        fees = max(o.fee_rate * sales, o.min_fee * o.shipments_per_year) if o.kind == "letter_of_credit" else 0.0
        margin = dec.gross_margin * sales
        value = margin - weighted - financing - premium - fees
        why = []
        if o.days > terms.max_days and o.kind in ("open_account", "installments", "prepayment"):
            why.append(f"grade {grade} allows at most {terms.max_days:.0f} days")
        if o.prepayment_share < terms.min_prepayment and o.cover < 1.0:
            why.append(f"grade {grade} needs {terms.min_prepayment:.0%} prepayment or full security")
        if o.kind == "credit_insurance":
            if insurer_limit is not None and insurer_limit <= 0:
                why.append("the insurer grants no limit on this buyer")
            if base_pd > dec.insurer_max_pd:
                why.append(f"insurers decline a PD above {dec.insurer_max_pd:.0%}")
            if o.scope != "any" and (o.scope == "export") == c.domestic:
                why.append("export cover is for foreign buyers" if o.scope == "export"
                           else "domestic cover is for domestic buyers")
        if o.kind in ("letter_of_credit", "guarantee"):
            if overdue > 0:
                why.append(f"its banks will not issue one while it is {overdue:.0f} days overdue with them")
            elif ead > headroom:
                why.append(f"its banks have {headroom:,.0f} {c.currency} of unused credit lines for an instrument "
                           f"of {ead:,.0f}")
        if sales > 0 and weighted / sales > dec.max_el_rate:
            why.append(f"expected loss {weighted / sales:.2%} of sales exceeds {dec.max_el_rate:.1%}")
        if sales <= 0:
            why.append("no sales possible within the limit")
        rows.append({"option": o.name, "label": o.label, "kind": o.kind, "days": o.days,
                     "prepayment_share": o.prepayment_share, "cover": o.cover, "lost_sales": lost,
                     "days_outstanding": outstanding, "planned_sales": planned, "sales": sales, "ead": ead,
                     "covered": covered, "net_ead": net, **{f"el_{k}": v for k, v in el.items()},
                     "el_weighted": weighted, "financing": financing, "premium": premium, "fees": fees,
                     "margin": margin, "value": value, "deductible": deductible, "retained_loss": retained,
                     "insurer_limit": insurer_limit if o.kind == "credit_insurance" else None,
                     "admissible": not why, "why_not": "; ".join(why)})
    return pd.DataFrame(rows)


def recommend(options: pd.DataFrame) -> pd.Series:
    """The admissible option with the highest value; full prepayment when none is admissible."""
    ok = options[options["admissible"]]
    if ok.empty:
        return options[(options["kind"] == "prepayment") & (options["prepayment_share"] == 1.0)].iloc[0]
    return ok.loc[ok["value"].idxmax()]


def clause_checklist(policy, *, grade: str, domestic: bool, option: pd.Series, grades: list[str]) -> list[dict]:
    """The policy's contract clauses with whether each applies to this customer and terms."""
    notch = grades.index(grade) + 1
    facts = {"always": True, "domestic": domestic, "foreign": not domestic,
             "insured": option["kind"] == "credit_insurance", "prepayment": option["prepayment_share"] > 0,
             "secured": option["cover"] >= 1.0}
    out = []
    for cl in policy.decisions.clauses:
        ok = True
        for token in cl.when:
            if token.startswith("grade>="):
                ok &= notch >= grades.index(token.split(">=")[1]) + 1
            elif token in facts:
                ok &= facts[token]
            else:
                raise RiskbookError(f"clause {cl.name}: unknown condition {token!r}")
        out.append({"name": cl.name, "title": cl.title, "text": cl.text, "required": bool(ok),
                    "when": ", ".join(cl.when)})
    return out


def review_date(as_of: pd.Timestamp, months: int) -> pd.Timestamp:
    """as_of plus the grade's review period in months."""
    return (pd.Timestamp(as_of) + pd.DateOffset(months=months)).normalize()


def decision_section(portfolio, customer_id: str, scorecard, credit: dict, scenario_table: pd.DataFrame) -> dict:
    """Everything the scenario and decision part of the report shows, as JSON-able data.

    Parameters
    ----------
    credit : dict
        The customer's credit section (its final grade, override included, drives the rules).
    scenario_table : DataFrame
        From :func:`helpers.scenarios.run_scenarios`.
    """
    from .credit import portfolio_characteristics

    policy = portfolio.policy
    dec = policy.decisions
    grade = credit["grade"]
    grades = scorecard.master_scale.grades
    c = portfolio.customer(customer_id)
    lim = credit_limit(portfolio, customer_id, grade)
    scen_pd = dict(zip(scenario_table["scenario"], scenario_table["pd"]))
    if "base" in scen_pd:
        scen_pd["base"] = credit["statistical"]["pd"]
    dbt = portfolio_characteristics(portfolio).at[customer_id, "days_beyond_terms"]
    options = evaluate_options(portfolio, customer_id, grade, scen_pd, lim["recommended"],
                               None if pd.isna(dbt) else float(dbt))
    best = recommend(options)
    acceptable = scenario_table[scenario_table["grade"].map(grades.index) <= grades.index(dec.acceptable_grade)]
    worst_ok = acceptable.iloc[-1]["scenario"] if len(acceptable) else None
    months = dec.grades[grade].review_months
    review = review_date(portfolio.as_of, months)
    insured = best["kind"] == "credit_insurance"
    terms = {"option": best["option"], "label": best["label"], "kind": best["kind"], "days": float(best["days"]),
             "prepayment_share": float(best["prepayment_share"]),
             "instrument": best["kind"] if best["kind"] in ("letter_of_credit", "credit_insurance", "guarantee") else None}
    base_pd = scen_pd.get("base", next(iter(scen_pd.values())))
    insurance = {"recommended": bool(insured), "kind": ("export" if not c.domestic else "domestic") if insured else None,
                 "cover_share": float(best["cover"]) if insured else None,
                 "premium": float(best["premium"]) if insured else None,
                 "insurer_limit": (None if best.get("insurer_limit") is None or pd.isna(best.get("insurer_limit"))
                                   else float(best["insurer_limit"])) if insured else None,
                 "deductible": float(best["deductible"]) if insured else None,
                 "el_transferred": float(base_pd * (dec.lgd * best["ead"] - best["retained_loss"])) if insured else None}
    ranked = options.sort_values(["admissible", "value"], ascending=[False, False])
    reasons = []
    for _, o in ranked.iterrows():
        if o["option"] == best["option"]:
            continue
        if not o["admissible"]:
            reasons.append({"option": o["label"], "why": o["why_not"]})
        else:
            reasons.append({"option": o["label"], "why": f"lower value: {o['value']:,.0f} vs {best['value']:,.0f} "
                                                         f"{c.currency} a year"})
    return {
        "currency": c.currency,
        "grade": grade,
        "limit": lim,
        "scenarios": scenario_table.to_dict(orient="records"),
        "worst_acceptable_scenario": worst_ok,
        "acceptable_grade": dec.acceptable_grade,
        "acceptable_pd": scorecard.master_scale.band(dec.acceptable_grade)[1],
        "options": options.to_dict(orient="records"),
        "recommended": best.to_dict(),
        "why_not": reasons,
        "terms": terms,
        "insurance": insurance,
        "clauses": clause_checklist(policy, grade=grade, domestic=c.domestic, option=best, grades=grades),
        "review_months": months,
        "review_date": review,
        "parameters": {"lgd": dec.lgd, "gross_margin": dec.gross_margin, "funding_rate": dec.funding_rate,
                       "max_el_rate": dec.max_el_rate, "insurer_max_pd": dec.insurer_max_pd,
                       "weights": {s.name: s.weight for s in dec.scenarios}},
        "summary": {"limit": lim["recommended"], "limit_currency": c.currency, "terms": terms,
                    "insurance": {k: insurance[k] for k in ("recommended", "kind", "cover_share", "premium")},
                    "review_date": review,
                    "scenarios": {r["scenario"]: {"pd": r["pd"], "grade": r["grade"]}
                                  for r in scenario_table.to_dict(orient="records")}},
    }


def current_credit(output_dir, portfolio, customer_id: str, scorecard) -> dict:
    """The customer's credit section as the scoring notebook saved it (override included), or
    computed afresh without an override when the scoring notebook has not run in ``output_dir``."""
    from .credit import credit_section
    from .results import load_results

    saved = load_results(output_dir).get("credit_scoring")
    if saved is not None and saved.get("model_version") == scorecard.model_version_:
        return saved
    return credit_section(portfolio, customer_id, scorecard)
