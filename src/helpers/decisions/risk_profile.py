"""The four-risk profile of page one: credit, liquidity, market and operational risk, each low, medium or
high with the drivers that set it, each driver pointing to the report section that shows its evidence.

How a level is set
------------------
Every driver gets a level from the policy's ``risk_profile`` thresholds (:class:`helpers.config.policy.LevelThreshold`:
medium beyond ``medium``, high beyond ``high``, beyond meaning above when high > medium and below when
high < medium), or None when its figure is not available. A risk's level is the **worst level among its
available drivers** (None when none is available: the profile says so rather than guess). The drivers are
listed worst first (among equals, the assessment's answers first, then in the order below); page one prints the
first ``max_drivers``.

Drivers
-------
credit
    ``grade``: the final grade (override included) with its PD; medium for grades weaker than
    ``credit.grade.medium``, high for grades weaker than ``credit.grade.high`` (master-scale notches).
    ``days_beyond_terms``: the 12-month amount-weighted DBT with us. ``payment_index``: 0–100.
liquidity
    ``cash_runway``: cash ÷ monthly cash operating costs (the ratio ``cash_runway_months``). ``quick_ratio``.
    ``operating_cash_flow``: high when the latest year's operating cash flow is negative, medium when it
    fell by more than ``liquidity.ocf_decline`` of the prior year's (annualized, both), low otherwise.
    ``bank_lines``: Σ drawn ÷ Σ granted of active credit lines and overdrafts.
market
    ``industry_outlook``: the policy's ``industries.<key>.outlook`` mapped by ``market.industry_outlook``.
    ``revenue_growth``: latest year on the prior. ``largest_buyer``: ``customers.largest_buyer_share``.
    ``export_share``: ``customers.export_share``. ``currency``: ``market.foreign_currency`` when we invoice
    the customer in another currency than the base currency, else low.
operational
    ``complaints``: quality complaints raised in the last ``operational.complaint_months``.
    ``open_disputes``: complaints and disputes open at ``as_of`` (:func:`helpers.analysis.monitoring.open_issues`).
    ``unaudited``: ``operational.unaudited`` when the latest statements are unaudited, else low.
    ``no_assessment``: ``operational.no_assessment`` when there is no current qualitative assessment.
any risk
    ``assessment``: the worst scored answer among the assessment questions naming that risk, by its share of
    the question's weight (``answer_share`` thresholds, lower is worse).
"""
from __future__ import annotations

import pandas as pd

from ..analysis.characteristics import portfolio_characteristics
from ..analysis.monitoring import open_issues
from ..analysis.peers import latest_rows
from ..analysis.financial import analyse_portfolio
from ..config.policy import RISKS
from ..exceptions import RiskbookError
from .portfolio import finite_number

__all__ = ["LEVELS", "risk_profile", "worst_level"]

#: Levels, least severe first.
LEVELS: tuple[str, ...] = ("low", "medium", "high")
_RANK = {lv: i for i, lv in enumerate(LEVELS)}


def worst_level(levels) -> str | None:
    """The most severe of ``levels`` (None entries ignored; None when there is none)."""
    known = [lv for lv in levels if lv is not None]
    return max(known, key=_RANK.__getitem__) if known else None


def _driver(code: str, level: str | None, section: str, value=None, **args) -> dict:
    return {"code": code, "level": level, "section": section, "value": value, "args": args}


def _assessment_driver(risk: str, credit: dict, settings) -> dict | None:
    """The worst scored answer of the assessment questions that name ``risk`` (None when no question does)."""
    qa = credit.get("assessment")
    if qa is None or not any(q.get("risk") == risk for q in qa["questions"]):
        return None
    scored = [q for q in qa["questions"] if q.get("risk") == risk and q["scored"]]
    if not scored:
        return _driver(f"{risk}.assessment", None, "sec-assessment", status=qa["status"])
    worst = min(scored, key=lambda q: q["share"])
    weak = [q for q in scored if settings.answer_share.level(q["share"]) != "low"]
    return _driver(f"{risk}.assessment", settings.answer_share.level(worst["share"]), "sec-assessment",
                   worst["share"], question=worst["question"], question_text=worst["text"],
                   answer=worst["answer"], answer_label=worst["answer_label"], weak=len(weak), answered=len(scored))


def _credit(credit: dict, monitoring: dict | None, scale_grades: list[str], settings) -> list[dict]:
    cs = settings.credit
    notch = {g: i for i, g in enumerate(scale_grades)}
    grade = str(credit["grade"])
    level = ("high" if notch[grade] > notch[cs.grade.high] else "medium" if notch[grade] > notch[cs.grade.medium]
             else "low")
    out = [_driver("credit.grade", level, "sec-credit", grade, grade=grade, pd=credit["statistical"]["pd"],
                   overridden=credit.get("override") is not None)]
    dbt = next((d for d in (monitoring or {}).get("dbt", []) if d["months"] == 12), None)
    value = finite_number(dbt["value"]) if dbt else None
    out.append(_driver("credit.days_beyond_terms", cs.days_beyond_terms.level(value), "sec-monitoring", value,
                       days=value, months=12, invoices=dbt["invoices"] if dbt else 0))
    index = (monitoring or {}).get("payment_index") or {}
    value = finite_number(index.get("value"))
    out.append(_driver("credit.payment_index", cs.payment_index.level(value), "sec-monitoring", value,
                       index=value, experiences=index.get("experiences", 0)))
    return out


def _liquidity(ratios: pd.Series, statements: pd.DataFrame, utilization: float | None, currency: str,
               settings) -> list[dict]:
    ls = settings.liquidity
    runway = finite_number(ratios.get("cash_runway_months"))
    quick = finite_number(ratios.get("quick_ratio"))
    out = [_driver("liquidity.cash_runway", ls.cash_runway_months.level(runway), "sec-ratios", runway, months=runway),
           _driver("liquidity.quick_ratio", ls.quick_ratio.level(quick), "sec-ratios", quick, ratio=quick)]
    fs = statements.sort_values("fiscal_year")
    ocf = (fs["operating_cash_flow"].astype(float) * 12 / fs["months"].astype(float)).to_numpy()
    latest = finite_number(ocf[-1]) if len(ocf) else None
    prior = finite_number(ocf[-2]) if len(ocf) > 1 else None
    change = (latest - prior) / abs(prior) if latest is not None and prior not in (None, 0.0) else None
    if latest is None:
        level = None
    elif latest < 0:
        level = "high"
    elif prior is not None and prior > 0 and change is not None and change < -ls.ocf_decline:
        level = "medium"
    else:
        level = "low"
    out.append(_driver("liquidity.operating_cash_flow", level, "sec-statements", latest, latest=latest, prior=prior,
                       change=change, currency=currency, limit=ls.ocf_decline,
                       year=int(fs["fiscal_year"].iloc[-1]) if len(fs) else None))
    out.append(_driver("liquidity.bank_lines", ls.bank_line_utilization.level(utilization), "sec-customer",
                       utilization, utilization=utilization))
    return out


def _market(record: dict, industry, ratios: pd.Series, base_currency: str, settings, labels) -> list[dict]:
    ms = settings.market
    outlook = industry.outlook
    out = [_driver("market.industry_outlook", ms.industry_outlook[outlook] if outlook else None, "sec-customer",
                   outlook, outlook=outlook, industry=labels)]
    growth = finite_number(ratios.get("revenue_growth"))
    out.append(_driver("market.revenue_growth", ms.revenue_growth.level(growth), "sec-ratios", growth, growth=growth))
    buyer = finite_number(record.get("largest_buyer_share"))
    out.append(_driver("market.largest_buyer", ms.largest_buyer_share.level(buyer), "sec-ratios", buyer, share=buyer))
    export = finite_number(record.get("export_share"))
    out.append(_driver("market.export_share", ms.export_share.level(export), "sec-ratios", export, share=export))
    currency = record.get("currency")
    out.append(_driver("market.currency", ms.foreign_currency if currency != base_currency else "low", "sec-ratios",
                       currency, currency=currency, base=base_currency))
    return out


def _operational(contacts: pd.DataFrame, statements: pd.DataFrame, credit: dict, as_of: pd.Timestamp,
                 settings) -> list[dict]:
    ops = settings.operational
    since = as_of - pd.DateOffset(months=ops.complaint_months)
    complaints = contacts[(contacts["kind"] == "complaint") & (contacts["date"] > since) & (contacts["date"] <= as_of)]
    out = [_driver("operational.complaints", ops.complaints.level(len(complaints)), "sec-monitoring",
                   len(complaints), n=len(complaints), months=ops.complaint_months)]
    issues = open_issues(contacts, as_of)
    oldest = int((as_of - issues["date"].min()).days) if len(issues) else None
    out.append(_driver("operational.open_disputes", ops.open_disputes.level(len(issues)), "sec-monitoring",
                       len(issues), n=len(issues), oldest_days=oldest))
    fs = statements.sort_values("fiscal_year")
    if len(fs):
        audited = bool(fs["audited"].iloc[-1])
        out.append(_driver("operational.unaudited", "low" if audited else ops.unaudited, "sec-customer", audited,
                           audited=audited, year=int(fs["fiscal_year"].iloc[-1])))
    qa = credit.get("assessment")
    if qa is not None and qa["status"] != "current" and ops.no_assessment is not None:
        out.append(_driver("operational.no_assessment", ops.no_assessment, "sec-assessment", qa["status"],
                           status=qa["status"], date=qa["date"], months=qa["age_months"], limit=qa["max_age_months"]))
    return out


def risk_profile(portfolio, customer_id: str, credit: dict, monitoring: dict | None = None) -> dict:
    """The customer's four-risk profile.

    Parameters
    ----------
    portfolio : helpers.data.Portfolio
    customer_id : str
    credit : dict
        The credit section the decisions rest on (:func:`helpers.scoring.final_credit`), assessment included.
    monitoring : dict, optional
        The monitoring section (:func:`helpers.decisions.monitoring_section`) for the payment behaviour;
        without it those drivers are unavailable.

    Returns
    -------
    dict
        ``risks``: one entry per risk in the order credit, liquidity, market, operational, each ``risk``,
        ``level`` (``low``/``medium``/``high`` or None), ``drivers`` (every driver, worst first, each
        ``code``, ``level``, ``section``, ``value``, ``args``) and ``shown`` (the first ``max_drivers`` with a
        level); ``max_drivers``; ``summary`` with ``risk_profile`` = {risk: {level, drivers: [{code, level}]}}.
    """
    policy = portfolio.policy
    settings = policy.risk_profile
    if policy.scoring is None:
        raise RiskbookError("the risk profile needs the policy's scoring section (master scale)")
    customer = portfolio.customer(customer_id)
    record = customer.record
    as_of = pd.Timestamp(portfolio.as_of)
    ratios = latest_rows(analyse_portfolio(portfolio).ratios.values).set_index("customer_id")
    ratios = ratios.loc[customer_id] if customer_id in ratios.index else pd.Series(dtype=float)
    chars = portfolio_characteristics(portfolio)
    utilization = finite_number(chars.at[customer_id, "credit_line_utilization"]) if customer_id in chars.index else None
    contacts = portfolio.tables["contacts"]
    contacts = contacts[contacts["customer_id"] == customer_id]
    industry = policy.industries[record["industry"]]
    drivers = {
        "credit": _credit(credit, monitoring, [g.grade for g in policy.scoring.master_scale], settings),
        "liquidity": _liquidity(ratios, customer.statements, utilization, record["currency"], settings),
        "market": _market(record, industry, ratios, policy.base_currency, settings, industry.label),
        "operational": _operational(contacts, customer.statements, credit, as_of, settings),
    }
    risks = []
    for risk in RISKS:
        found = drivers[risk]
        extra = _assessment_driver(risk, credit, settings)
        if extra is not None:
            found.insert(0, extra)
        order = sorted(range(len(found)), key=lambda i: (-(_RANK[found[i]["level"]] if found[i]["level"] else -1), i))
        found = [found[i] for i in order]
        shown = [d for d in found if d["level"] is not None][:settings.max_drivers]
        risks.append({"risk": risk, "level": worst_level(d["level"] for d in found), "drivers": found, "shown": shown})
    return {"risks": risks, "max_drivers": settings.max_drivers,
            "summary": {"risk_profile": {r["risk"]: {"level": r["level"],
                                                     "drivers": [{"code": d["code"], "level": d["level"]}
                                                                 for d in r["shown"]]}
                                         for r in risks}}}
