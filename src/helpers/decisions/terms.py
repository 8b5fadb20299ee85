"""Payment terms: every option of the policy with its exposure, expected loss, costs and value,
whether it is admissible, and the recommendation.

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

from ..data.facilities import open_facilities, unused_headroom
from ..data.portfolio import Portfolio

__all__ = ["evaluate_options", "recommend", "retained_loss"]


def _ead_cap(limit: float, cover: float, insured_cap: float) -> float:
    """Largest exposure whose own (uncovered) part stays within the limit.

    Own risk = EAD − cover · min(EAD, insured cap); with an insurer's limit IL the cap is
    limit / (1 − cover) while that stays below IL, else limit + cover · IL.
    """
    if cover >= 1.0 and math.isinf(insured_cap):
        return math.inf
    first = limit / (1.0 - cover) if cover < 1.0 else math.inf
    return first if first <= insured_cap else limit + cover * insured_cap


def retained_loss(loss: float, covered_loss: float, deductible: float) -> float:
    """Loss we keep when the customer defaults: the uncovered loss, plus the insured loss up to the
    deductible (the insurer pays the covered loss above it). Without a deductible: loss − covered loss."""
    return loss - max(0.0, covered_loss - deductible)


def evaluate_options(portfolio: Portfolio, customer_id: str, grade: str, scenario_pd: dict[str, float], limit: float,
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
        ``admissible`` and ``why_not`` (the reasons it is not admissible: a list of {code, args}).
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
    headroom = unused_headroom(bank)
    rate = portfolio.fx_rates[c.currency]
    insurer_limit = c.record.get("insurer_limit")
    insurer_limit = None if insurer_limit is None or pd.isna(insurer_limit) else float(insurer_limit)
    overdue = float(open_facilities(bank)["overdue_days"].max()) if len(bank) else 0.0
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
        retained = retained_loss(dec.lgd * ead, dec.lgd * covered, deductible)
        el = {name: p * retained for name, p in scenario_pd.items()}
        weighted = sum(weights.get(name, 0.0) * v for name, v in el.items())
        financing = ead * dec.funding_rate
        premium = o.premium_rate * sales * (1.0 - o.prepayment_share) if o.kind == "credit_insurance" else 0.0
        fees = max(o.fee_rate * sales, o.min_fee * o.shipments_per_year) if o.kind == "letter_of_credit" else 0.0
        margin = dec.gross_margin * sales
        value = margin - weighted - financing - premium - fees
        why = []  # reasons the option is inadmissible: {code, args}

        def refuse(code, **args):
            why.append({"code": code, "args": args})

        if o.days > terms.max_days and o.kind in ("open_account", "installments", "prepayment"):
            refuse("max_days", grade=grade, days=terms.max_days)
        if o.prepayment_share < terms.min_prepayment and o.cover < 1.0:
            refuse("min_prepayment", grade=grade, share=terms.min_prepayment)
        if o.kind == "credit_insurance":
            if insurer_limit is not None and insurer_limit <= 0:
                refuse("insurer_no_limit")
            if base_pd > dec.insurer_max_pd:
                refuse("insurer_max_pd", pd=dec.insurer_max_pd)
            if o.scope != "any" and (o.scope == "export") == c.domestic:
                refuse("export_cover_foreign" if o.scope == "export" else "domestic_cover_domestic")
        if o.kind in ("letter_of_credit", "guarantee"):
            if overdue > 0:
                refuse("bank_overdue", days=overdue)
            elif ead > headroom:
                refuse("bank_headroom", headroom=headroom, currency=c.currency, ead=ead)
        if sales > 0 and weighted / sales > dec.max_el_rate:
            refuse("max_el_rate", rate=weighted / sales, limit=dec.max_el_rate)
        if sales <= 0:
            refuse("no_sales")
        rows.append({"option": o.name, "label": o.label, "kind": o.kind, "days": o.days,
                     "prepayment_share": o.prepayment_share, "cover": o.cover, "lost_sales": lost,
                     "days_outstanding": outstanding, "planned_sales": planned, "sales": sales, "ead": ead,
                     "covered": covered, "net_ead": net, **{f"el_{k}": v for k, v in el.items()},
                     "el_weighted": weighted, "financing": financing, "premium": premium, "fees": fees,
                     "margin": margin, "value": value, "deductible": deductible, "retained_loss": retained,
                     "insurer_limit": insurer_limit if o.kind == "credit_insurance" else None,
                     "admissible": not why, "why_not": why})
    return pd.DataFrame(rows)


def recommend(options: pd.DataFrame) -> pd.Series:
    """The admissible option with the highest value; full prepayment when none is admissible."""
    ok = options[options["admissible"]]
    if ok.empty:
        return options[(options["kind"] == "prepayment") & (options["prepayment_share"] == 1.0)].iloc[0]
    return ok.loc[ok["value"].idxmax()]
