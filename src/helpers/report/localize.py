"""Text at the edge: the sections the notebooks save (codes and numbers) put into words in one language.

Each ``*_text`` function takes a section as saved in ``results/*.json`` (or as a notebook holds it)
and returns a copy with the fields a reader sees filled in the report's language from the message
catalogue (:mod:`helpers.report.messages`), figures formatted by the language's
:class:`~helpers.report.formatting.Formatter`. Nothing here decides anything; the same section gives
the same facts in every language.
"""
from __future__ import annotations

import copy
import re

import pandas as pd

from ..analysis.monitoring import PAYMENT_INDEX_ANCHORS
from .formatting import Formatter, formatter
from .messages import Messages, local_text, messages

__all__ = ["Text", "text_for", "finding_text", "profile_text", "financial_text", "credit_text", "decision_text",
           "validation_text", "selection_log_text", "ratio_frame", "note_text",
           "monitoring_text", "matrix_text", "bucket_label", "payment_index_band", "warning_signal_text",
           "assessment_text", "risk_profile_text", "driver_text"]


class Text:
    """Messages and formatter of one language, with the helpers every section needs."""

    def __init__(self, lang: str):
        self.lang = lang
        self.t: Messages = messages(lang)
        self.f: Formatter = formatter(lang)

    def local(self, value) -> str:
        """A policy text (``{en, zh}``) in this language."""
        return local_text(value, self.lang)

    def ratio_label(self, name: str) -> str:
        return self.t(f"ratio.{name}")

    def figure(self, column: str) -> str:
        """The name of a statement figure (a contract column)."""
        return self.t.get(f"figure.{column}", column)

    def zone(self, zone: str | None) -> str:
        return self.t(f"zone.{zone}") if zone else self.f.missing

    def scenario_label(self, row: dict) -> str:
        """A scenario's name for people: the policy's label, or "ad hoc: <name>" for an ad-hoc one."""
        return self.local(row["label"]) if row.get("label") else self.t("scenario.adhoc", name=row["scenario"])

    def altman_model(self, model: str) -> str:
        return self.t("altman.z_prime" if model == "Z'" else "altman.z_double_prime")


def text_for(lang: "str | Text") -> Text:
    """The :class:`Text` of a language (a :class:`Text` is returned as it is)."""
    return lang if isinstance(lang, Text) else Text(lang)


_NOTE = re.compile(r"^([a-z_]+) is (zero|negative)$")


def note_text(note: str | None, tx: Text) -> str:
    """Why a ratio is n/a, in words: ``current_liabilities is zero`` → "current liabilities are zero"."""
    if not note:
        return ""
    parts = []
    for piece in str(note).split("; "):
        m = _NOTE.match(piece)
        if m:
            parts.append(tx.t(f"note.{m.group(2)}", figure=tx.figure(m.group(1))))
        else:
            parts.append(tx.t.get("note." + piece.replace(" ", "_"), piece))
    return tx.t("common.list_separator").join(parts)


# --------------------------------------------------------------------------- findings
def _distinct(tx: Text, value: float, limit: float, unit: str) -> tuple[str, str]:
    """A value and its limit formatted so that they never read the same (150 days vs 150 days)."""
    v, lim = tx.f.ratio(value, unit), tx.f.ratio(limit, unit)
    base = {"%": 1, "months": 1, "days": 0, "amount": 0}.get(unit, 2)
    extra = 1
    while v == lim and value != limit and extra <= 4:
        v, lim = tx.f.ratio(value, unit, base + extra), tx.f.ratio(limit, unit, base + extra)
        extra += 1
    return _with_unit(tx, v, unit), _with_unit(tx, lim, unit)


def _with_unit(tx: Text, text: str, unit: str) -> str:
    """'150 days', '1.5 months', 'CNY 12 thousand' in sentences; ratios and % stand alone."""
    if unit == "days":
        return tx.t("unit.n_days", n=text)
    if unit == "months":
        return tx.t("unit.n_months", n=text)
    return text


def _ratio_value(tx: Text, value: float, unit: str) -> str:
    return _with_unit(tx, tx.f.ratio(value, unit), unit)


def _peer_clause(tx: Text, peer: dict | None, industry: str, strength: bool = False) -> str:
    if not peer:
        return ""
    kind = "is_in" if strength else "in"
    key = f"finding.peer.{kind}.{peer['position']}.{peer['group']}"
    return tx.t(key, n=peer.get("n") or 0, industry=industry, source=peer.get("source") or "")


def _trend_clause(tx: Text, trend: list | None, unit: str) -> str:
    if not trend:
        return ""
    path = " → ".join(tx.t("finding.trend.point", value=_ratio_value(tx, v, unit), year=y) for y, v in trend)
    return tx.t("finding.trend.clause", n=len(trend) - 1, path=path)


def finding_text(finding: dict, tx: Text, *, industry: str = "", currency: str = "") -> str:
    """The sentence of one finding (see :mod:`helpers.analysis.findings`)."""
    code, a = finding["code"], dict(finding.get("args") or {})
    if "ratio" in a:
        unit = a["unit"]
        args = {"label": tx.ratio_label(a["ratio"]), "year": a["year"],
                "peer": _peer_clause(tx, a.get("peer"), industry, strength=code == "finding.strength"),
                "trend": _trend_clause(tx, a.get("trend"), unit)}
        if "limit" in a:
            args["value"], args["limit"] = _distinct(tx, a["value"], a["limit"], unit)
        else:
            args["value"] = _ratio_value(tx, a["value"], unit)
        return tx.t(code, **args)
    f = tx.f
    if code == "finding.negative_equity":
        return tx.t(code, year=a["year"], equity_ratio=f.percent(a["equity_ratio"]))
    if code.startswith("finding.altman."):
        return tx.t(code, model=tx.altman_model(a["model"]), value=f.number(a["value"]), year=a["year"],
                    low=f.number(a["low"]), high=f.number(a["high"]))
    if code == "finding.net_loss":
        return tx.t(code, year=a["year"], net_margin=f.percent(a["net_margin"]))
    if code == "finding.negative_fcf":
        return tx.t(code, year=a["year"], amount=tx.t("unit.thousand_amount", amount=f.number(a["amount"] / 1000, 0),
                                                       currency=f.currency_name(a["currency"] or currency)))
    if code == "finding.export_dependence":
        return tx.t(code, share=f.percent(a["share"]))
    if code == "finding.concentration":
        return tx.t(code, share=f.percent(a["share"]), limit=f.percent(a["limit"]))
    return tx.t(code, **a)


# --------------------------------------------------------------------------- profile
_WARNING_ARGS = {"year_gap": lambda a, tx: {"years": ", ".join(map(str, a["years"]))}}


def warning_text(w: dict, tx: Text) -> str:
    """A data warning in words (validation warnings carry a code; other problems keep their message)."""
    code = w.get("code")
    if not code:
        return w.get("message", "")
    args = _WARNING_ARGS.get(code, lambda a, _: a)(w.get("args") or {}, tx)
    return tx.t(f"warning.{code}", **args)


def profile_text(profile: dict, tx: "Text | str" = "en") -> dict:
    """The profile with the industry label and the warnings in words."""
    tx = text_for(tx)
    out = copy.deepcopy(profile)
    cust = out["customer"]
    cust["industry_label"] = tx.local(cust.get("industry_label"))
    cust["industry_risk_class_label"] = tx.t(f"risk_class.{cust.get('industry_risk_class')}")
    for w in out.get("warnings", []):
        w["message"] = warning_text(w, tx)
    currencies = tx.t("common.sep.comma").join(tx.f.currency_name(c) for c in out.get("source_currencies", []))
    out["source_unit_labels"] = [tx.t(f"section.customer.source_unit.{u}", currency=currencies)
                                 for u in out.get("source_units", [])]
    return out


# --------------------------------------------------------------------------- financial analysis
def financial_text(section: dict, tx: "Text | str" = "en") -> dict:
    """The financial section with labels, formulas, notes, findings and risk dimensions in words."""
    tx = text_for(tx)
    out = copy.deepcopy(section)
    industry = tx.local(out.get("industry_label"))
    out["industry_label"] = industry
    for r in out["ratios"]:
        r["label"] = tx.ratio_label(r["ratio"])
        r["formula"] = tx.t(f"ratio.{r['ratio']}.formula")
        r["note"] = note_text(r.get("note"), tx)
    for g in out["groups"]:
        g["label"] = tx.t(f"ratio_group.{g['key']}")
    for row in out["statements"]:
        row["statement"] = tx.t(f"statement.{row['statement_key']}")
        row["line"] = tx.t(f"statement.line.{row['line_key']}")
    for group in out.get("statement_groups", []):
        for row in group["lines"]:
            row["line"] = tx.t(f"statement.line.{row['line_key']}")
        if group["lines"]:
            group["statement"] = tx.t(f"statement.{group['lines'][0]['statement_key']}")
    for z in [out["altman"].get("latest")] + out["altman"].get("by_year", []):
        if z:
            z["label"] = tx.altman_model(z["model"])
            z["name"] = tx.t("altman.name.z_prime" if z["model"] == "Z'" else "altman.name.z_double_prime")
            z["zone_label"] = tx.zone(z.get("zone"))
            z["note"] = note_text(z.get("note"), tx)
    for d in out["risk_dimensions"]:
        args = dict(d.get("args") or {})
        d["dimension"] = tx.t(f"risk.dimension.{d['dimension']}")
        d["label"] = tx.t(f"risk.{d['indicator']}", **{k: v for k, v in args.items() if k == "since"})
        if d["unit"] == "text":
            d["text"] = tx.t(d["text_code"], currency=tx.f.currency_name(args["currency"]),
                             base=tx.f.currency_name(args["base"]), country=args["country"])
    for f in out["findings"]:
        f["text"] = finding_text(f, tx, industry=industry, currency=out.get("currency", ""))
        f["severity_label"] = tx.t(f"severity.{f['severity']}")
    return out


def ratio_frame(section: dict, lang: str = "en") -> pd.DataFrame:
    """The section's ratio table as a DataFrame for the notebook: values by year, change, light, peers."""
    tx = text_for(lang)
    rows = []
    for r in section["ratios"]:
        peer = r.get("peer") or {}
        row = {"group": tx.t(f"ratio_group.{r['group']}"), "ratio": tx.ratio_label(r["ratio"])}
        row.update({y: r.get(y) for y in section["years"]})
        row.update(change=r["change"], light=r["light"], peer_median=peer.get("median"),
                   percentile=peer.get("percentile"), peers=peer.get("peer_group"), note=note_text(r["note"], tx))
        rows.append(row)
    return pd.DataFrame(rows).set_index(["group", "ratio"])


# --------------------------------------------------------------------------- credit
def _value_text(value, tx: Text) -> str:
    if value is None:
        return tx.t("common.missing_value")
    if isinstance(value, float):
        return tx.f.number(value, 2)
    return str(value)


def _category_text(code: str, characteristic: str, tx: Text, industries: dict) -> str:
    """A characteristic's text value in words: an industry by the policy's label, an industry risk class, an
    Altman zone; any other text (a rating) as it is."""
    if characteristic == "industry" and code in industries:
        return tx.local(industries[code])
    if characteristic == "industry_risk_class" and code in ("low", "medium", "high"):
        return tx.t(f"risk_class.{code}")
    if characteristic == "altman_zone" and code in ("safe", "grey", "distress"):
        return tx.t(f"zone.{code}")
    return code


def _bin_text(item: dict, tx: Text, industries: dict | None = None) -> str:
    """The bin a value fell in, in words: "below 16,085,000.00", "0.81 to below 1.20", "1.20 or more" (numeric bins
    hold low ≤ x < high), the categories of a categorical bin, or "missing" / "unseen category". An item
    without ``bin_range`` (an explanation made before it existed) keeps its interval label."""
    label, edges = item["bin"], item.get("bin_range")
    characteristic, industries = item.get("characteristic", ""), industries or {}
    if label in ("missing", "unseen"):
        return tx.t(f"bin.{label}")
    if not edges:  # a categorical bin: its categories, joined by the scorecard with ", "
        if characteristic == "industry":
            return tx.t("common.sep.comma").join(_category_text(c, characteristic, tx, industries)
                                                 for c in label.split(", "))
        return label
    low, high = (None if e is None else tx.f.number(e, next((d for d in (2, 3) if round(e, d) == e), 4)) for e in edges)
    if low is None:
        return tx.t("bin.below", high=high) if high is not None else tx.t("bin.any")
    return tx.t("bin.from", low=low) if high is None else tx.t("bin.between", low=low, high=high)


def credit_text(section: dict, tx: "Text | str" = "en") -> dict:
    """The credit section with characteristic labels, reason codes, comparison and disagreements in words."""
    tx = text_for(tx)
    out = copy.deepcopy(section)
    f, t_ = tx.f, tx.t
    stat, expert = out["statistical"], out["expert"]
    industries = out.get("industry_labels") or {}
    for it in stat["points"] + stat["reason_codes"]:
        it["label"] = tx.local(it["label"])
        if "bin" in it:
            it["bin"] = _bin_text(it, tx, industries)
        if isinstance(it.get("value"), str):
            it["value"] = _category_text(it["value"], it.get("characteristic", ""), tx, industries)
    for r in stat["reason_codes"]:
        r["text"] = tx.t("reason.statistical", label=r["label"], value=_value_text(r["value"], tx), bin=r["bin"],
                         points=f.number(r["points"], 0), max=f.number(r["max_points"], 0))
    answers = {f"qa_{q['question']}": q for q in (out.get("assessment") or {}).get("questions", [])}
    for it in expert["points"] + expert["reason_codes"]:
        it["label"] = tx.local(it["label"])
        it["group"] = tx.local(it["group"])
        q = answers.get(it["characteristic"])
        if q is not None:  # an assessment question: its answer's label, and how unanswered ones were scored
            it["value"] = tx.local(q["answer_label"]) if q["answer_label"] else None
            if it.get("imputed"):
                it["value"] = t_("section.assessment.imputed_value", answer=it["value"] or t_("common.missing_value"))
        elif isinstance(it.get("value"), str):
            it["value"] = _category_text(it["value"], it["characteristic"], tx, industries)
    for it in expert["points"]:
        it["points_text"] = points_text(it["points"], tx)
    expert["score_text"] = points_text(expert["score"], tx)
    for r in expert["reason_codes"]:
        r["text"] = tx.t("reason.expert", label=r["label"], value=_value_text(r["value"], tx),
                         points=points_text(r["points"], tx), max=f.number(r["max_points"], 0))
    for c in out["comparison"]:
        c["source_code"] = c["source"]
        c["source"] = tx.t(f"comparison.source.{c['source']}")
        d = c["detail"]
        a = dict(d.get("args") or {})
        if "score" in a:
            a["score"] = f.number(a["score"], 0)
        if "total" in a:
            a["total"] = f.number(a["total"], 0)
        if "pd" in a:
            a["pd"] = f.percent(a["pd"], 2)
        if "agency" in a:
            a["agency"] = a["agency"] or tx.t("comparison.agency_not_given")
        if "zone" in a:
            a["zone"] = tx.zone(a["zone"])
        c["detail"] = tx.t(d["code"], **a)
    texts = []
    for d in out["disagreements"]:
        a = dict(d["args"])
        if "source" in a:
            a["source"] = tx.t(f"comparison.source.{a['source']}")
        texts.append(tx.t(d["code"], **a))
    out["disagreements"] = texts
    names = {}
    for g in out["master_scale"]:
        g["name"] = tx.local(g["name"])
        names[g["grade"]] = g["name"]
    out["grade_name"] = names.get(out["grade"], "")
    out["reason_texts"] = [r["text"] for r in stat["reason_codes"]]
    if out.get("assessment") is not None:
        out["assessment"] = assessment_text(out["assessment"], tx)
    return out


def points_text(value, tx: Text) -> str:
    """Scorecard points with as few decimals as show them exactly (at most two): 20, 19.5, 16.25."""
    if value is None:
        return tx.f.missing
    digits = next((d for d in (0, 1) if abs(round(float(value), d) - float(value)) < 1e-9), 2)
    return tx.f.number(value, digits)


def assessment_text(block: dict, tx: "Text | str" = "en") -> dict:
    """The qualitative assessment (:func:`helpers.scoring.credit.credit_section`'s ``assessment``) in words:
    ``status_text``, ``treatment_text``, each question's text, answer, evidence, source and points, and the
    warnings."""
    tx = text_for(tx)
    f, t = tx.f, tx.t
    out = copy.deepcopy(block)
    out["group"] = tx.local(out["group"])
    treatment = t(f"assessment.treatment.{out['treatment']}", share=f.percent(out["missing_share"], 0))
    out["treatment_text"] = treatment
    status = out["status"]
    if status == "current" and out.get("source") in ("notebook", "assessments+notebook"):
        out["status_text"] = t("assessment.status.notebook" if out["source"] == "notebook"
                               else "assessment.status.notebook_merged", analyst=out["analyst"], date=f.date(out["date"]))
    elif status == "current":
        out["status_text"] = t("assessment.status.current", date=f.date(out["date"]), analyst=out["analyst"],
                               months=out["age_months"], limit=out["max_age_months"])
    elif status == "stale":
        out["status_text"] = t("assessment.status.stale", date=f.date(out["date"]), analyst=out["analyst"],
                               months=out["age_months"], limit=out["max_age_months"], treatment=treatment)
    else:
        out["status_text"] = t("assessment.status.missing", treatment=treatment)
    if out.get("earlier"):
        out["earlier_text"] = t("assessment.earlier", dates=t("common.list_separator").join(
            f.date(d) for d in out["earlier"]))
    else:
        out["earlier_text"] = ""
    for q in out["questions"]:
        q["text"] = tx.local(q["text"])
        q["answer_label"] = tx.local(q["answer_label"]) if q["answer_label"] else (
            t("assessment.unanswered") if status == "current" else t("common.missing_value"))
        if q["answer"] and not q["scored"]:
            q["answer_label"] = t("assessment.not_scored", answer=q["answer_label"])
        q["evidence"] = q["evidence"] or ""
        q["source_label"] = t(f"assessment.source.{q['source']}") if q["source"] else ""
        q["risk_label"] = t(f"risk.name.{q['risk']}") if q["risk"] else ""
        q["points_value"] = q["points"]
        q["points"] = points_text(q["points"], tx)
        q["max_text"] = f.number(q["max_points"], 0)
        q["note"] = t("assessment.imputed_note") if q["imputed"] else ""
    out["max_text"] = f.number(out["max_points"], 0)
    gap = "" if tx.lang == "zh" else " "  # Chinese sentences follow one another without a space
    out["intro_text"] = gap.join(x for x in (out["status_text"], out["earlier_text"],
                                             t("section.assessment.intro", group=out["group"],
                                               max=out["max_text"])) if x)
    out["any_imputed"] = any(q["imputed"] for q in out["questions"])
    out["points_text"] = points_text(out["points"], tx)
    out["total_text"] = t("assessment.total", points=f.number(out["points"], 0), max=f.number(out["max_points"], 0),
                          answered=out["answered"], n=len(out["questions"]))
    texts = []
    for w in out["warnings"]:
        a = dict(w["args"])
        if "date" in a:
            a["date"] = f.date(a["date"])
        if "questions" in a:
            names = {q["question"]: q["text"] for q in out["questions"]}
            a["questions"] = t("common.list_separator").join(names.get(x, x) for x in a["questions"])
        if "treatment" in a:
            a["treatment"] = treatment
        texts.append(t(w["code"], **a))
    out["warning_texts"] = texts
    return out


# --------------------------------------------------------------------------- risk profile
def driver_text(d: dict, tx: Text, lang_currency: str | None = None) -> str:
    """One risk driver (:mod:`helpers.decisions.risk_profile`) as a sentence."""
    f, t = tx.f, tx.t
    a, code = dict(d["args"]), d["code"]
    if d["level"] is None and code.endswith(".assessment"):
        return t("risk.driver.assessment_none")
    if code.endswith(".assessment"):
        key = "risk.driver.assessment_many" if a["weak"] > 1 else "risk.driver.assessment"
        return t(key, question=tx.local(a["question_text"]), answer=tx.local(a["answer_label"]), weak=a["weak"],
                 answered=a["answered"])
    if code == "credit.grade":
        return t("risk.driver.grade_override" if a["overridden"] else "risk.driver.grade", grade=a["grade"],
                 pd=f.percent(a["pd"], 2))
    if code == "credit.days_beyond_terms":
        return (t("risk.driver.dbt", days=f.number(a["days"], 0), months=a["months"]) if a["days"] is not None
                else t("risk.driver.dbt_none", months=a["months"]))
    if code == "credit.payment_index":
        return (t("risk.driver.payment_index", index=f.number(a["index"], 0)) if a["index"] is not None
                else t("risk.driver.payment_index_none", n=a["experiences"]))
    if code == "liquidity.cash_runway":
        return (t("risk.driver.cash_runway", months=f.number(a["months"], 1)) if a["months"] is not None
                else t("risk.driver.cash_runway_none"))
    if code == "liquidity.quick_ratio":
        return (t("risk.driver.quick_ratio", ratio=f.number(a["ratio"], 2)) if a["ratio"] is not None
                else t("risk.driver.quick_ratio_none"))
    if code == "liquidity.operating_cash_flow":
        if a["latest"] is None:
            return t("risk.driver.ocf_none")
        amount = f.amount(a["latest"], a["currency"])
        if a["latest"] < 0:
            return t("risk.driver.ocf_negative", year=a["year"], amount=amount)
        if a["change"] is None:
            return t("risk.driver.ocf_single", year=a["year"], amount=amount)
        return t("risk.driver.ocf_change", year=a["year"], amount=amount, change=f.percent(a["change"], 0))
    if code == "liquidity.bank_lines":
        return (t("risk.driver.bank_lines", share=f.percent(a["utilization"], 0)) if a["utilization"] is not None
                else t("risk.driver.bank_lines_none"))
    if code == "market.industry_outlook":
        return (t("risk.driver.outlook", industry=tx.local(a["industry"]), outlook=t(f"outlook.{a['outlook']}"))
                if a["outlook"] else t("risk.driver.outlook_none", industry=tx.local(a["industry"])))
    if code == "market.revenue_growth":
        return (t("risk.driver.revenue_growth", growth=f.percent(a["growth"], 1)) if a["growth"] is not None
                else t("risk.driver.revenue_growth_none"))
    if code == "market.largest_buyer":
        return (t("risk.driver.largest_buyer", share=f.percent(a["share"], 0)) if a["share"] is not None
                else t("risk.driver.largest_buyer_none"))
    if code == "market.export_share":
        return (t("risk.driver.export_share", share=f.percent(a["share"], 0)) if a["share"] is not None
                else t("risk.driver.export_share_none"))
    if code == "market.currency":
        return t("risk.driver.currency_foreign" if a["currency"] != a["base"] else "risk.driver.currency_base",
                 currency=tx.f.currency_name(a["currency"]), base=tx.f.currency_name(a["base"]))
    if code == "operational.complaints":
        return t("risk.driver.complaints", n=a["n"], months=a["months"])
    if code == "operational.open_disputes":
        return (t("risk.driver.open_disputes", n=a["n"], days=a["oldest_days"]) if a["n"]
                else t("risk.driver.open_disputes_none"))
    if code == "operational.unaudited":
        return t("risk.driver.audited" if a["audited"] else "risk.driver.unaudited", year=a["year"])
    if code == "operational.no_assessment":
        return (t("risk.driver.assessment_stale", date=f.date(a["date"]), months=a["months"], limit=a["limit"])
                if a["status"] == "stale" else t("risk.driver.assessment_missing"))
    raise KeyError(f"no text for risk driver {code!r}")


def risk_profile_text(profile: dict, tx: "Text | str" = "en") -> dict:
    """The four-risk profile (:func:`helpers.decisions.risk_profile`) in words: one row per risk with its
    ``label``, ``level`` and ``level_label``, the ``shown`` drivers (``text``, ``level``, ``section``) and
    every driver (``drivers``)."""
    tx = text_for(tx)
    t = tx.t
    rows = []
    for r in profile["risks"]:
        def words(d):
            return {"code": d["code"], "level": d["level"], "section": d["section"],
                    "level_label": t(f"risk.level.{d['level']}") if d["level"] else t("risk.level.none"),
                    "text": driver_text(d, tx)}
        rows.append({"risk": r["risk"], "label": t(f"risk.name.{r['risk']}"), "level": r["level"],
                     "level_label": t(f"risk.level.{r['level']}") if r["level"] else t("risk.level.none"),
                     "shown": [words(d) for d in r["shown"]], "drivers": [words(d) for d in r["drivers"]],
                     "summary": t("common.list_separator").join(words(d)["text"] for d in r["shown"])})
    return {"rows": rows, "max_drivers": profile["max_drivers"]}


# --------------------------------------------------------------------------- decisions
def _reason_args(code: str, a: dict, tx: Text) -> dict:
    f = tx.f
    a = dict(a)
    for k in ("share", "pd", "limit", "rate"):
        if k in a:
            a[k] = f.percent(a[k], 2 if k == "rate" else (1 if code == "max_el_rate" else 0))
    if "days" in a:
        a["days"] = f.number(a["days"], 0)
    for k in ("headroom", "ead", "value", "best"):
        if k in a:
            a[k] = f.number(a[k], 0)
    if "currency" in a:
        a["currency"] = f.currency_name(a["currency"])
    return a


def reasons_text(reasons: list[dict], tx: Text) -> str:
    """An option's reasons (codes) in words, joined."""
    return tx.t("common.list_separator").join(tx.t(f"why.{r['code']}", **_reason_args(r["code"], r.get("args", {}), tx))
                                              for r in reasons)


def _step_args(step: dict, tx: Text) -> dict:
    f = tx.f
    a = dict(step.get("args") or {})
    for k in ("share",):
        if k in a:
            a[k] = f.percent(a[k], 0)
    for k in ("equity", "working_capital", "monthly", "cap", "granted", "requested", "rounding"):
        if k in a:
            a[k] = f.number(a[k], 0)
    if "days" in a:
        a["days"] = f.number(a["days"], 0)
    if "extra_months" in a:
        a["extra_months"] = f.number(a["extra_months"], 0 if float(a["extra_months"]).is_integer() else 1)
    if "rate" in a:
        a["rate"] = f"{a['rate']:g}"
    if "base" in a:
        a["base"] = f.currency_name(a["base"])
    if "binding" in a:
        a["binding"] = tx.t(f"limit.binding.{a['binding']}")
    return a


def decision_text(section: dict, tx: "Text | str" = "en") -> dict:
    """The decision section with step names, formulas, option labels, reasons and clauses in words."""
    tx = text_for(tx)
    out = copy.deepcopy(section)
    for s in out["limit"]["log"]:
        s["label"] = tx.t(f"limit.step.{s['step']}")
        s["formula"] = tx.t(f"limit.formula.{s['step']}", **_step_args(s, tx))
    out["limit"]["binding_label"] = tx.t(f"limit.binding.{out['limit']['binding']}")
    for r in out["scenarios"]:
        r["label"] = tx.scenario_label(r)
    for o in out["options"]:
        o["label"] = tx.local(o["label"])
        o["why_not"] = reasons_text(o.get("why_not") or [], tx)
    out["recommended"]["label"] = tx.local(out["recommended"]["label"])
    out["recommended"]["why_not"] = ""
    out["terms"]["label"] = tx.local(out["terms"]["label"])
    for r in out["why_not"]:
        r["option"] = tx.local(r["label"])
        r["why"] = reasons_text(r["why"], tx)
    for c in out["clauses"]:
        c["title"], c["text"] = tx.local(c["title"]), tx.local(c["text"])
    labels = {r["scenario"]: r["label"] for r in out["scenarios"]}
    out["scenario_weights"] = [{"label": labels.get(k, k), "weight": w}
                               for k, w in sorted(out["parameters"]["weights"].items())]
    ins = out["insurance"]
    ins["kind_label"] = tx.t(f"insurance.kind.{ins['kind']}") if ins.get("kind") else ""
    out["worst_acceptable_scenario_label"] = labels.get(out.get("worst_acceptable_scenario"))
    return out


# --------------------------------------------------------------------------- model validation
def validation_text(pack: dict, tx: "Text | str" = "en") -> dict:
    """The model validation pack with characteristic labels, grade names and the selection log in words."""
    tx = text_for(tx)
    out = copy.deepcopy(pack)
    m = out["model"]
    m["labels"] = {k: tx.local(v) for k, v in (m.get("labels") or {}).items()}
    m["master_scale"]["names"] = [tx.local(n) for n in m["master_scale"].get("names", [])]
    for r in out["iv_table"]:
        r["label"] = tx.local(r["label"])
    for r in out["stability"]["csi"]:
        r["label"] = tx.local(r["label"])
    out["selection_log"] = selection_log_text(out["selection_log"], m["labels"], tx)
    rule = out.get("selection") or {"rule": "p_value", "p_value": 0.05}  # packs written before the setting
    out["selection_text"] = tx.t(f"validation.selection.{rule['rule']}", p=tx.f.number(rule["p_value"], 2))
    return out


def selection_log_text(log: list[dict], labels: dict, tx: "Text | str" = "en") -> list[dict]:
    """The scorecard's selection log (codes and figures) in words: each characteristic's label, the step
    and why it left. ``labels`` maps characteristic → label (policy texts or already in words)."""
    tx = text_for(tx)
    f = tx.f
    labels = {k: tx.local(v) for k, v in (labels or {}).items()}
    out = []
    for entry in log:
        r = dict(entry)
        a = dict(r.get("args") or {})
        for k in ("iv", "corr", "coefficient", "p", "vif"):
            if k in a:
                a[k] = f.number(a[k], 3 if k in ("iv", "coefficient", "p") else (2 if k == "corr" else 1))
        if "limit" in a:
            a["limit"] = f"{a['limit']:g}"
        if "with" in a:
            a["with"] = labels.get(a["with"], a["with"])
        r["step"] = tx.t(f"selection.step.{r['step']}")
        r["reason"] = tx.t(f"selection.reason.{r['reason']}", **a)
        r["label"] = labels.get(r["characteristic"], r["characteristic"])
        out.append(r)
    return out


# --------------------------------------------------------------------------- monitoring
def bucket_label(code: str, tx: Text) -> str:
    """An aging bucket's name: ``not_due``, ``1_30`` → "1–30 days past due", ``over_90``."""
    if code == "not_due":
        return tx.t("monitoring.bucket.not_due")
    if code.startswith("over_"):
        return tx.t("monitoring.bucket.over", days=code[5:])
    lo, hi = code.split("_")
    return tx.t("monitoring.bucket.range", lo=lo, hi=hi)


def payment_index_band(value) -> str | None:
    """The behaviour a payment index stands for (the PAYDEX reading): a message-code suffix."""
    if value is None or pd.isna(value):
        return None
    for floor, band in ((90, "anticipates"), (80, "prompt"), (70, "slow_15"), (50, "slow_30"), (30, "slow_90"),
                        (0, "slow_over_90")):
        if value >= floor:
            return band
    return "slow_over_90"


def _warning_args(w: dict, tx: Text, currency: str) -> dict:
    f, a = tx.f, dict(w.get("args") or {})
    out = {}
    for k, v in a.items():
        if v is None:
            out[k] = f.missing
        elif k in ("utilization", "growth", "share") or (k == "threshold" and w["rule"] in ("utilization", "revenue_falling")):
            out[k] = f.percent(v, 0)
        elif k in ("amount", "headroom", "equity"):
            out[k] = f.amount(v, currency)
        elif k in ("start", "end", "increase", "min_increase", "z"):
            out[k] = f.number(v, 1 if k != "z" else 2)
        elif k in ("period_end", "date"):
            out[k] = f.date(v)
        elif isinstance(v, float):
            out[k] = f.number(v, 0)
        else:
            out[k] = v
    return out


def warning_signal_text(w: dict, tx: Text, currency: str) -> dict:
    """One early-warning signal in words: ``text`` (what fired, with its numbers) and ``action``."""
    return {**w, "severity_label": tx.t(f"severity.{w['severity']}"),
            "title": tx.t(f"signal.title.{w['rule']}"),
            "text": tx.t(f"signal.no_visit.{w['args'].get('reason')}" if w["rule"] == "no_visit" else
                         f"signal.assessment_due.{w['args'].get('status')}" if w["rule"] == "assessment_due" else
                         f"signal.{w['rule']}",
                         **_warning_args(w, tx, currency)),
            "action": tx.t(f"signal.action.{w['rule']}")}


def matrix_text(rows: list[dict], tx: Text) -> list[dict]:
    """Rows of a provision matrix (:func:`helpers.analysis.ecl.provision_matrix`) in words: ``group`` and
    ``label`` (the bucket), counts, rates as percent and the rate's ``source``."""
    f, t = tx.f, tx.t
    return [{"group": t(f"monitoring.ecl.group.{r['group']}"), "label": bucket_label(r["bucket"], tx),
             "observations": r["observations"], "invoices": r.get("invoices"),
             "default_rate": f.percent(r["default_rate"], 2), "loss_rate": f.percent(r["loss_rate"], 2),
             "source": t(f"monitoring.ecl.source.{r['source']}")} for r in rows]


def monitoring_text(section: dict, tx: "Text | str" = "en") -> dict:
    """The monitoring section with buckets, payment figures, signals, review, transactions, contacts and
    the expected credit loss in words and formatted figures."""
    tx = text_for(tx)
    f, t = tx.f, tx.t
    out = copy.deepcopy(section)
    cur = out["currency"]
    for r in out["aging"]:
        r["label"] = bucket_label(r["bucket"], tx)
    out["aging_total"] = sum(r["amount"] for r in out["aging"])
    out["overdue_amount"] = sum(r["amount"] for r in out["aging"] if r["bucket"] != "not_due")
    out["headline_dbt"] = next((d for d in out["dbt"] if d["months"] == 12), out["dbt"][0])
    out["anchors"] = [{"days": f.number(d, 0), "points": f.number(p, 0)} for d, p in PAYMENT_INDEX_ANCHORS]
    dso, pl, pi, old = out["dso"], out["paid_late"], out["payment_index"], out.get("oldest_open_item")
    band = payment_index_band(pi.get("value"))
    out["payment_index_band"] = t(f"monitoring.pi_band.{band}") if band else ""
    pi_value = (t("monitoring.pi_value", value=f.number(pi["value"], 0), band=out["payment_index_band"])
                if band else t("monitoring.pi_unavailable", n=pi["experiences"]))
    rows = [{"label": t("monitoring.row.dso"),
             "value": t("monitoring.days", n=f.number(dso["value"], 0)) if dso["reason"] is None else t("monitoring.no_sales")}]
    for d in out["dbt"]:
        rows.append({"label": t("monitoring.row.dbt", months=d["months"]),
                     "value": (t("monitoring.days_invoices", n=f.number(d["value"], 1), count=d["invoices"])
                               if d["reason"] is None else t("monitoring.no_invoices_due"))})
    rows.append({"label": t("monitoring.row.payment_index", months=pi["months"]), "value": pi_value})
    rows.append({"label": t("monitoring.row.paid_late", months=pi["months"]),
                 "value": (t("monitoring.paid_late_value", share=f.percent(pl["count_share"], 0), late=pl["late"],
                             paid=pl["paid"], amount_share=f.percent(pl["amount_share"], 0))
                           if pl["reason"] is None else t("monitoring.no_paid_invoices"))})
    rows.append({"label": t("monitoring.row.oldest"),
                 "value": (t("monitoring.oldest_value", invoice=old["invoice_id"], due=f.date(old["due_date"]),
                             days=old["days_past_due"], amount=f.amount(old["open_amount"], cur))
                           if old and old["days_past_due"] > 0 else
                           t("monitoring.oldest_not_due", invoice=old["invoice_id"], due=f.date(old["due_date"]))
                           if old else t("monitoring.nothing_open"))})
    out["payments"] = rows
    e = out["exposure"]
    out["exposure_text"] = (t("monitoring.exposure_over" if e["headroom"] < 0 else "monitoring.exposure_text",
                              exposure=f.amount(e["exposure"], cur), limit=f.amount(e["limit"], cur),
                              utilization=f.percent(e["utilization"], 0), headroom=f.amount(e["headroom"], cur),
                              excess=f.amount(-e["headroom"], cur))
                            if e["reason"] is None else t("monitoring.exposure_no_limit", exposure=f.amount(e["exposure"], cur)))
    out["warnings"] = [warning_signal_text(w, tx, cur) for w in out["warnings"]]
    out["high_warnings"] = [w for w in out["warnings"] if w["severity"] == "high"]
    rv = out["review"]
    lines = []
    if rv["brought_forward"]:
        titles = [t(f"signal.title.{r}") for r in rv["brought_forward_by"]]
        lines.append(t("monitoring.review.brought_forward", date=f.date(rv["date"]), scheduled=f.date(rv["scheduled"]),
                       signals=t("common.list_separator").join(titles)))
    else:
        lines.append(t("monitoring.review.scheduled", date=f.date(rv["date"]), grade=out["grade"]))
    if rv.get("overdue_days"):
        lines.append(t("monitoring.review.overdue", previous=f.date(rv["previous_review"]), days=rv["overdue_days"]))
    rv["lines"] = lines
    rv["recheck_labels"] = [t(f"monitoring.recheck.{k}") for k in rv["recheck"]]
    ls = out["large_settings"]
    tests = []
    if ls.get("amount") is not None:
        tests.append(t("monitoring.large.rule_amount", amount=f.amount(ls["amount"], ls["base_currency"])))
    if ls.get("limit_share") is not None:
        tests.append(t("monitoring.large.rule_limit_share", share=f.percent(ls["limit_share"], 0)))
    if ls.get("median_multiple") is not None:
        tests.append(t("monitoring.large.rule_median", multiple=f.number(ls["median_multiple"], 1)))
    out["large_rules_text"] = t("monitoring.large.rules", months=ls["months"], rules=t("common.list_separator").join(tests))
    out["large_transactions"] = [
        {"invoice": r["invoice_id"], "date": f.date(r["invoice_date"]), "amount": f.amount(r["amount"], cur),
         "terms": t("monitoring.days", n=f.number(r["terms_days"], 0)),
         "status": t(f"monitoring.status.{r['status']}", days=f.number(r["days_beyond_terms"], 0)),
         "rules": t("common.list_separator").join(t(f"monitoring.large.hit_{k}") for k in r["rules"])}
        for r in out["large_transactions"]]
    c = out["contacts"]
    facts = [{"label": t("monitoring.contact.account_manager"), "value": out.get("account_manager") or f.missing},
             {"label": t("monitoring.contact.last_visit"),
              "value": t("monitoring.contact.last_visit_value", date=f.date(c["last_visit"]), days=c["days_since_visit"])
              if c["last_visit"] else t("monitoring.contact.never_visited")},
             {"label": t("monitoring.contact.visits"),
              "value": t("monitoring.contact.count_min", n=c["visits_12m"], min=c["min_visits"])
              if c["min_visits"] is not None else str(c["visits_12m"])},
             {"label": t("monitoring.contact.calls"),
              "value": t("monitoring.contact.count_min", n=c["calls_12m"], min=c["min_calls"])
              if c["min_calls"] is not None else str(c["calls_12m"])},
             {"label": t("monitoring.contact.issues"),
              "value": t("monitoring.contact.issues_value", n=len(c["issues"]), open=c["open_issues"])},
             {"label": t("monitoring.contact.feedback"), "value": t("monitoring.contact.feedback_value", n=c["feedback_12m"])},
             {"label": t("monitoring.contact.visit_needed"),
              "value": t("monitoring.contact.visit_needed_value", reason=t(f"monitoring.visit_reason.{c['visit_due_reason']}"))
              if c["needs_visit"] else t("common.no")}]
    out["contact_facts"] = facts
    out["issues"] = [{"date": f.date(i["date"]), "kind": t(f"monitoring.kind.{i['kind']}"),
                      "age": t("monitoring.days", n=i["age_days"]),
                      "status": t("monitoring.issue.resolved", date=f.date(i["resolved_date"])) if i["resolved"]
                      else t("monitoring.issue.open"), "open": not i["resolved"], "summary": i.get("summary") or ""}
                     for i in c["issues"]]
    out["feedback"] = [{"date": f.date(x["date"]), "summary": x.get("summary") or ""} for x in c["feedback"]]
    ecl = out["ecl"]
    out["ecl"]["matrix"] = matrix_text(out["ecl_matrix"], tx)
    labels = {s: tx.scenario_label({"scenario": s, "label": (ecl.get("labels") or {}).get(s)}) for s in ecl["scenarios"]}
    out["ecl"]["scenario_rows"] = [{"label": labels[s], "multiplier": f.number(v["multiplier"], 2),
                                    "ecl": f.amount(v["ecl"], cur)}
                                   for s, v in ecl["scenarios"].items()]
    out["ecl"]["group_label"] = t(f"monitoring.ecl.group.{ecl['group']}")
    memo = ecl.get("insured_memo")
    out["ecl"]["memo_text"] = (t("section.monitoring.ecl_insured_memo", share=f.percent(memo["covered_share"], 0),
                                 cover=f.percent(memo.get("cover"), 0), ecl=f.amount(memo["weighted"], cur))
                               if memo else "")
    out["ecl"]["unknown_text"] = (t("monitoring.ecl.unknown", buckets=t("common.list_separator").join(
        bucket_label(b, tx) for b in ecl.get("unknown_buckets") or [])) if ecl.get("reason") else "")
    out["ecl"]["bucket_rows"] = [{"label": bucket_label(r["bucket"], tx), "open": r["open"],
                                  "loss_rate": f.percent(r["loss_rate"], 2), "ecl": r["ecl"]} for r in ecl["by_bucket"]]
    return out
