"""The portfolio pack of a batch in words and files: ``portfolio.json`` (the numbers), ``portfolio.xlsx``
(one row per customer with every headline figure, and the portfolio tables) and ``portfolio.pdf`` (the
credit-committee pack), in the batch's language.

Everything is built from the customers' ``summary.json`` found in the output folder
(:func:`helpers.decisions.portfolio.portfolio_pack` does the arithmetic); the words come from the
catalogue (keys ``pack.*``), the policy's own texts (grade names, industries, options, scenarios) when
the policy is given, and Babel (country names). Every file is written through a temporary file in the
same folder and a rename, so a reader never sees half a file.

Text in the workbook is text: a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (a customer named ``=HYPERLINK(...)``) gets a leading ``'`` (OWASP's advice against formula
injection), so a spreadsheet shows it instead of evaluating it; numbers, negative ones too, stay numbers.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..config import TEMPLATES_DIR
from ..exceptions import RenderError
from ..data.store import atomic_write_bytes, json_bytes, read_json, write_json
from ..config.policy import RISKS
from ..decisions.portfolio import PROFILE_LEVELS, SEVERITIES, ledger_reconciliation, portfolio_pack
from .formatting import check_language
from .localize import Text, matrix_text, text_for
from .orders import log_entry_text
from .context import date_text, generated_at, html_lang
from .pdfa import DocumentInfo, EvidenceFile, sha256_hex
from .provenance import evidence_manifest
from .render import describe, document_meta, evidence_rows, render_html, render_pdf

__all__ = ["PACK_FILES", "FORMULA_PREFIXES", "read_summaries", "pack_text", "pack_workbook", "text_cell",
           "write_portfolio_pack"]

#: The files of the pack, by kind, in the batch's output folder.
PACK_FILES = {"json": "portfolio.json", "xlsx": "portfolio.xlsx", "pdf": "portfolio.pdf"}


def read_summaries(out_dir: str | Path) -> tuple[list[dict], dict[str, str]]:
    """Every customer's ``summary.json`` directly under ``out_dir`` (folders starting with ``.`` or
    ``model`` are not customers).

    Returns
    -------
    summaries : list of dict
        One per customer folder; an unreadable file gives a ``failed`` summary whose ``error`` says so.
    digests : dict
        ``<folder>/summary.json`` → SHA-256 of the file read (the pack's provenance).
    """
    out_dir = Path(out_dir)
    summaries, digests = [], {}
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "model")) or not (folder / "summary.json").is_file():
            continue
        path = folder / "summary.json"
        data = path.read_bytes()
        digests[f"{folder.name}/summary.json"] = hashlib.sha256(data).hexdigest()
        try:
            s = read_json(path)
            if not isinstance(s, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            s = {"customer_id": folder.name, "status": "failed", "error": f"summary.json unreadable: {exc}"}
        s.setdefault("customer_id", folder.name)
        summaries.append(s)
    return summaries, digests


# --------------------------------------------------------------------------- words
def _labels(policy, tx: Text) -> dict:
    """Grade names, industry and scenario labels of the policy in the pack's language (empty without it)."""
    if policy is None:
        return {"grades": {}, "industries": {}, "scenarios": {}}
    scale = policy.scoring.master_scale if policy.scoring else []
    return {"grades": {b.grade: tx.local(b.name) for b in scale},
            "industries": {k: tx.local(v.label) for k, v in policy.industries.items()},
            "scenarios": {s.name: tx.local(s.label) for s in (policy.decisions.scenarios if policy.decisions else [])}}


def _country(code, tx: Text) -> str:
    if not code:
        return tx.f.missing
    return tx.f.locale.territories.get(str(code), str(code))


def _scenario(name: str, labels: dict, tx: Text) -> str:
    return labels["scenarios"].get(name) or tx.t.get(f"pack.scenario.{name}") or name


def _yes_no(value, tx: Text) -> str:
    if value is None:
        return tx.f.missing
    return tx.t("pack.common.yes") if value else tx.t("pack.common.no")


def _rule(rule, tx: Text) -> str:
    return tx.t.get(f"pack.rule.{rule}") or str(rule)


def _review_status(r: dict, tx: Text) -> str:
    if r.get("review_overdue"):
        if r.get("overdue_days"):
            return tx.t("pack.review.overdue_days", days=tx.f.number(r["overdue_days"], 0))
        return tx.t("pack.review.overdue_since", days=tx.f.number(-(r.get("days_to_review") or 0), 0))
    if r.get("days_to_review") == 0:
        return tx.t("pack.review.today")
    return tx.t("pack.review.due_in", days=tx.f.number(r.get("days_to_review"), 0))


def _terms(label, option, tx: Text) -> str:
    return tx.local(label) if label else (option or tx.f.missing)


def _grade_change(g: dict, tx: Text) -> str:
    n = g.get("notches")
    if not n:
        return ""
    if n > 0:
        return tx.t("pack.change.downgrade_one") if n == 1 else tx.t("pack.change.downgrade", n=n)
    return tx.t("pack.change.upgrade_one") if n == -1 else tx.t("pack.change.upgrade", n=-n)


def pack_text(pack: dict, tx: "Text | str" = "en", *, policy=None, company: str = "") -> dict:
    """The pack's words for the template and the workbook: every label, heading value and code in ``tx``'s
    language, the figures left as numbers for the template's filters.

    Returns
    -------
    dict
        ``company``, ``currency`` (the base currency as the reader names it), ``unit`` ("CNY thousand"),
        ``facts`` (page-one boxes), ``grades``, ``industries``, ``countries``, ``concentration``,
        ``risk_profile`` (per risk, with ``label`` and ``drivers_text``), ``risk_levels``, ``assessments_text``, ``ecl``,
        ``warnings_by_rule``, ``signals`` (high-severity ones), ``reviews``, ``visits``, ``changes``,
        ``failed``, ``customers`` (rows with ``grade_name``, ``terms``, ``insurance_text``, ``review_text``,
        ``industry_label``, ``country_label``) and ``mixed_dates`` (the dates when summaries differ).
    """
    tx = text_for(tx)
    f, t = tx.f, tx.t
    labels = _labels(policy, tx)
    tot = pack["totals"]
    cur = f.currency_name(pack["base_currency"])
    unit = t("pack.unit.thousand", currency=cur)
    conc = pack["concentration"]
    sep = t("pack.common.list_separator")

    customers = []
    for r in pack["customers"]:
        customers.append({**r, "customer_id": _clip(r["customer_id"], 60), "name": _clip(r["name"], 200),
                          "grade_name": labels["grades"].get(r["grade"], ""),
                          "industry_label": labels["industries"].get(r["industry"]) or r["industry"] or f.missing,
                          "country_label": _country(r["country"], tx),
                          "status_label": t(f"pack.status.{r['status']}"),
                          "terms": _terms(r["terms_label"], r["terms_option"], tx) if r["status"] == "ok" else "",
                          "insurance_text": (t(f"pack.insurance.{r['insurance_kind']}") if r["insurance_kind"]
                                             else t("pack.insurance.yes")) if r["insurance"] else
                          (t("pack.common.no") if r["status"] == "ok" else ""),
                          "review_text": _review_status(r, tx) if r["review_due"] else "",
                          "needs_visit_text": _yes_no(r["needs_visit"], tx),
                          "risk_labels": {k: t(f"risk.level.{v}") if v else "" for k, v in r["risk_profile"].items()},
                          "assessment_text": t(f"pack.assessment.{r['assessment_status']}")
                          if r["assessment_status"] else "",
                          "high_rules_text": sep.join(_rule(x, tx) for x in r["high_rules"])})

    grades = [{**g, "name": labels["grades"].get(g["grade"], "") if g["grade"] is not None else "",
               "label": g["grade"] if g["grade"] is not None else t("pack.grade.none")} for g in pack["grades"]]
    industries = [{**g, "label": labels["industries"].get(g["industry"]) or g["industry"] or f.missing}
                  for g in pack["by_industry"]]
    countries = [{**g, "label": _country(g["country"], tx)} for g in pack["by_country"]]

    ecl = {**pack["ecl"], "scenarios": [{**s, "label": _scenario(s["scenario"], labels, tx)}
                                        for s in pack["ecl"]["scenarios"]]}
    signals = [{**w, "rule_label": _rule(w["rule"], tx), "severity_label": t(f"pack.severity.{w['severity']}")
                if w["severity"] in SEVERITIES else str(w["severity"])}
               for w in pack["warnings"]]
    by_rule = [{"rule": k, "label": _rule(k, tx), **v} for k, v in pack["warnings_by_rule"].items()]
    reviews = [{**r, "status_text": _review_status(r, tx),
                "brought_forward_text": t("pack.review.brought_forward",
                                          rules=sep.join(_rule(x, tx) for x in r["high_rules"]))
                if r["review_brought_forward"] else ""} for r in pack["reviews_due"]]
    visits = [{**v, "reason": t(f"pack.visit_reason.{v['visit_due_reason']}") if v["visit_due_reason"]
               and f"pack.visit_reason.{v['visit_due_reason']}" in t else f.missing} for v in pack["visits_due"]]

    ch = pack["changes"]
    changes = []
    for c in ch["customers"]:
        items = []
        if "grade" in c:
            g = c["grade"]
            items.append({"what": t("pack.change.grade"), "old": g["old"] or f.missing, "new": g["new"] or f.missing,
                          "note": _grade_change(g, tx)})
        if "limit" in c:
            lim = c["limit"]
            items.append({"what": t("pack.change.limit", currency=f.currency_name(lim["currency"] or "")),
                          "old": f.amount(lim["old"], lim["old_currency"] or "") if lim["old"] is not None else f.missing,
                          "new": f.amount(lim["new"], lim["currency"] or "") if lim["new"] is not None else f.missing,
                          "note": t("pack.change.limit_by", change=f.number(lim["change"], 0)) if lim.get("change") else ""})
        if "terms_option" in c:
            o = c["terms_option"]
            items.append({"what": t("pack.change.terms"), "old": _terms(o.get("old_label"), o["old"], tx),
                          "new": _terms(o.get("new_label"), o["new"], tx), "note": ""})
        changes.append({"customer_id": c["customer_id"], "name": c["name"], "rows": items})
    changes = {"first_run": ch["first_run"], "previous_as_of": ch["previous_as_of"], "customers": changes,
               "new": ch["new"], "gone": ch["gone"],
               "new_text": t("pack.changes.new", n=len(ch["new"]), ids=sep.join(ch["new"])) if ch["new"] else "",
               "gone_text": t("pack.changes.gone", n=len(ch["gone"]), ids=sep.join(ch["gone"])) if ch["gone"] else ""}

    facts = [
        {"label": t("pack.fact.customers"), "value": f.number(tot["customers"], 0),
         "note": t("pack.fact.customers_note", ok=f.number(tot["ok"], 0), failed=f.number(tot["failed"], 0))},
        {"label": t("pack.fact.exposure"), "value": f.money(tot["exposure_base"]),
         "note": t("pack.fact.exposure_note", unit=unit, limit=f.money(tot["limit_base"]),
                   utilization=f.percent(tot["utilization"]))},
        {"label": t("pack.fact.ecl"), "value": f.money(tot["ecl_weighted_base"], digits=1),
         "note": t("pack.fact.ecl_note", unit=unit, coverage=f.percent(tot["ecl_coverage"], 2))},
        {"label": t("pack.fact.high"), "value": f.number(tot["warnings"]["high"], 0),
         "note": t("pack.fact.high_note", customers=f.number(tot["customers_with_high"], 0),
                   medium=f.number(tot["warnings"]["medium"], 0), low=f.number(tot["warnings"]["low"], 0))},
        {"label": t("pack.fact.reviews"), "value": f.number(tot["reviews_due"], 0),
         "note": t("pack.fact.reviews_note", days=pack["review_within_days"],
                   overdue=f.number(tot["reviews_overdue"], 0))},
        {"label": t("pack.fact.concentration", n=conc["top_n"]), "value": f.percent(conc["top_share"]),
         "note": t("pack.fact.concentration_note", hhi=f.number(conc["hhi"], 3),
                   n=f.number(conc["effective_number"], 1))},
    ]
    risk_rows = [{**r, "label": t(f"risk.name.{r['risk']}"),
                  "drivers_text": sep.join(t("pack.risk.driver_count", driver=t(f"risk.driver_name.{code}"), n=n)
                                           for code, n in r["drivers"].items())}
                 for r in pack.get("risk_profile", [])]
    qa = pack.get("assessments") or {}
    mixed = len(pack["as_of_dates"]) > 1
    orders = None
    if pack.get("orders"):
        o, oc = pack["orders"], pack["orders"]["counts"]
        orders = {"intro": t("orderlog.pack_intro", days=o.get("days") or "", until=f.date(o["until"]),
                             holds=oc["holds"], releases=oc["releases"], overrides=oc["overrides"],
                             rejections=oc["rejections"], pending=oc["pending"]),
                  "customers": [{**r, "notable_text": [
                      t("orderlog.notable.waiting" if e.get("pending") else "orderlog.notable.done",
                        what=log_entry_text(e, tx)["what"], order_id=e["order_id"], date=f.date(e["at"][:10]),
                        amount=f.amount(e["amount"], e["currency"] or ""), actor=e.get("actor") or "")
                      for e in r["notable"]]} for r in o["customers"]]}
    return {
        "company": company or t("pack.doc.portfolio"),
        "currency": cur,
        "unit": unit,
        "facts": facts,
        "grades": grades,
        "industries": industries,
        "countries": countries,
        "concentration": {**conc, "shown": len(conc["top"])},
        "risk_profile": risk_rows,
        "risk_levels": [{"level": lv, "label": t(f"risk.level.{lv}")} for lv in PROFILE_LEVELS],
        "assessments_text": t("pack.risk.assessments", **{k: qa.get(k, 0) for k in ("current", "stale", "missing")}),
        "ecl": ecl,
        "warnings_by_rule": by_rule,
        "signals": [s for s in signals if s["severity"] == "high"],
        "all_signals": signals,
        "reviews": reviews,
        "visits": visits,
        "changes": changes,
        # a failed customer may be one set aside for an id of 10,000 characters: WeasyPrint's table layout of one
        # unbreakable word that long takes minutes, so the page shows its start (summary.json has it whole)
        "failed": [{**x, "customer_id": _clip(x["customer_id"], 60), "error": _clip(x["error"], 400)}
                   for x in pack["failed"]],
        "customers": customers,
        "mixed_dates": t("pack.cover.mixed_dates", dates=sep.join(f.date(d) for d in pack["as_of_dates"]))
        if mixed else "",
        "missing_rate": t("pack.cover.missing_rate", ids=sep.join(pack["missing_rate"]))
        if pack["missing_rate"] else "",
        "orders": orders,
    }


# --------------------------------------------------------------------------- workbook
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
FMT = {"int": "#,##0", "amount": "#,##0", "pct": "0.0%", "pd": "0.00%", "num1": "#,##0.0", "num3": "0.000",
       "date": "yyyy-mm-dd", "text": "@"}


#: What makes a spreadsheet read a text cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _clip(text, n: int):
    """``text`` cut to ``n`` characters with an ellipsis (None and short texts unchanged)."""
    return text if not isinstance(text, str) or len(text) <= n else text[:n - 1] + "…"


def text_cell(value):
    """A value as the workbook stores it: text that a spreadsheet would take for a formula gets a leading
    ``'`` and characters XML cannot hold become U+FFFD; anything but text (numbers, dates) is unchanged.

    Parameters
    ----------
    value : object
        A cell's value.

    Returns
    -------
    object
        ``'=HYPERLINK(...)`` for ``=HYPERLINK(...)``, ``'-2+3`` for ``-2+3``; ``-2.5`` for ``-2.5``; a control
        character such as BEL as U+FFFD (openpyxl refuses to write it).
    """
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell_value(value, kind):
    if kind == "date" and value:
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return text_cell(value)
    return text_cell(value)


def _sheet(wb: Workbook, title: str, columns: list[tuple[str, str]], rows: list[list], *, first: bool = False,
           freeze: str = "A2") -> None:
    """One table on its own sheet: bold, frozen, filtered header; number formats by column kind."""
    ws = wb.active if first else wb.create_sheet()
    ws.title = title[:31]
    ws.append([text_cell(c[0]) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([_cell_value(v, k) for v, (_, k) in zip(row, columns)])
    for j, (header, kind) in enumerate(columns, start=1):
        letter = get_column_letter(j)
        for cell in ws[letter][1:]:
            if cell.value is not None and kind != "text":
                cell.number_format = FMT[kind]
        width = max([_width(header) / 1.6] + [_width(c.value) for c in ws[letter][1:]]) + 2
        ws.column_dimensions[letter].width = min(max(width, 8), 60)
    ws.freeze_panes = freeze
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"


def _width(value) -> float:
    if value is None:
        return 0
    s = value.isoformat() if isinstance(value, dt.date) else (f"{value:,.2f}" if isinstance(value, float) else str(value))
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def pack_workbook(pack: dict, words: dict, tx: "Text | str" = "en") -> bytes:
    """The pack as an ``.xlsx`` workbook (bytes): a sheet of customers (one row each, every headline figure,
    amounts in full units), then grades, exposure by industry and country, concentration, expected credit
    loss, warnings, reviews due, visits, changes and failed customers. Headers in ``tx``'s language."""
    tx = text_for(tx)
    t, f = tx.t, tx.f
    cur = words["currency"]
    scen = [s["scenario"] for s in pack["ecl"]["scenarios"]]
    scen_label = {s["scenario"]: s["label"] for s in words["ecl"]["scenarios"]}
    wb = Workbook()
    cols = [(t("pack.col.id"), "text"), (t("pack.col.customer"), "text"), (t("pack.col.status"), "text"),
            (t("pack.col.as_of"), "date"), (t("pack.col.industry"), "text"), (t("pack.col.country"), "text"),
            (t("pack.col.currency"), "text"), (t("pack.col.grade"), "text"), (t("pack.col.grade_name"), "text"),
            (t("pack.col.model_grade"), "text"), (t("pack.col.override"), "text"), (t("pack.col.pd"), "pd"),
            (t("pack.col.score"), "num1"),
            (t("pack.col.limit_own"), "amount"), (t("pack.col.exposure_own"), "amount"),
            (t("pack.col.rate", currency=cur), "num3"),
            (t("pack.col.limit_base", currency=cur), "amount"), (t("pack.col.exposure_base", currency=cur), "amount"),
            (t("pack.col.headroom_base", currency=cur), "amount"), (t("pack.col.utilization"), "pct"),
            (t("pack.col.terms"), "text"), (t("pack.col.terms_option"), "text"), (t("pack.col.insurance"), "text"),
            (t("pack.col.payment_index"), "num1"), (t("pack.col.dbt"), "num1"),
            (t("pack.col.ecl_open", currency=cur), "amount"), (t("pack.col.ecl_weighted", currency=cur), "amount")]
    cols += [(t("pack.col.ecl_scenario", scenario=scen_label[s], currency=cur), "amount") for s in scen]
    cols += [(t("pack.col.warn_high"), "int"), (t("pack.col.warn_medium"), "int"), (t("pack.col.warn_low"), "int"),
             (t("pack.col.high_rules"), "text")]
    cols += [(t("pack.col.risk", risk=t(f"risk.name.{risk}")), "text") for risk in RISKS]
    cols += [(t("pack.col.assessment"), "text"), (t("pack.col.next_review"), "date"),
             (t("pack.col.review_due"), "text"), (t("pack.col.review_overdue"), "text"),
             (t("pack.col.needs_visit"), "text"), (t("pack.col.account_manager"), "text"),
             (t("pack.col.report"), "text"), (t("pack.col.inputs_sha256"), "text"), (t("pack.col.error"), "text")]
    rows = []
    for r in words["customers"]:
        ok = r["status"] == "ok"
        rows.append([r["customer_id"], r["name"], r["status_label"], r["as_of"], r["industry_label"] if ok else None,
                     r["country_label"] if r["country"] else None, r["currency"], r["grade"], r["grade_name"] or None,
                     r["model_grade"], _yes_no(r["override"], tx) if ok else None, r["pd"], r["score"],
                     r["limit"], r["exposure"], r["base_rate"], r["limit_base"], r["exposure_base"],
                     r["headroom_base"], r["utilization"], r["terms"] or None, r["terms_option"],
                     r["insurance_text"] or None, r["payment_index"], r["dbt_12m"], r["ecl_open_base"],
                     r["ecl_weighted_base"]]
                    + [r["ecl_scenarios_base"].get(s) for s in scen]
                    + ([r["warnings"][s] for s in SEVERITIES] if ok else [None] * 3)
                    + [r["high_rules_text"] or None]
                    + [r["risk_labels"][risk] or None for risk in RISKS]
                    + [r["assessment_text"] or None, r["next_review"], _yes_no(r["review_due"], tx) if ok else None,
                       _yes_no(r["review_overdue"], tx) if ok else None, r["needs_visit_text"] if ok else None,
                       r["account_manager"], r["report"], r["inputs_sha256"], r["error"]])
    _sheet(wb, t("pack.sheet.customers"), cols, rows, first=True, freeze="C2")

    group_cols = [(t("pack.col.customers"), "int"), (t("pack.col.exposure_base", currency=cur), "amount"),
                  (t("pack.col.share"), "pct"), (t("pack.col.limit_base", currency=cur), "amount"),
                  (t("pack.col.ecl_weighted", currency=cur), "amount"), (t("pack.col.pd_average"), "pd"),
                  (t("pack.col.pd_weighted"), "pd")]

    def group_rows(groups):
        return [[g["customers"], g["exposure_base"], g["exposure_share"], g["limit_base"], g["ecl_weighted_base"],
                 g["pd_average"], g["pd_exposure_weighted"]] for g in groups]

    _sheet(wb, t("pack.sheet.grades"), [(t("pack.col.grade"), "text"), (t("pack.col.grade_name"), "text")] + group_cols,
           [[g["label"], g["name"] or None] + row for g, row in zip(words["grades"], group_rows(words["grades"]))])
    _sheet(wb, t("pack.sheet.industries"), [(t("pack.col.industry"), "text")] + group_cols,
           [[g["label"]] + row for g, row in zip(words["industries"], group_rows(words["industries"]))])
    _sheet(wb, t("pack.sheet.countries"), [(t("pack.col.country"), "text")] + group_cols,
           [[g["label"]] + row for g, row in zip(words["countries"], group_rows(words["countries"]))])

    conc = pack["concentration"]
    ws_rows = [[t("pack.concentration.customers"), conc["customers"], None, None],
               [t("pack.concentration.total", currency=cur), conc["total_base"], None, None],
               [t("pack.concentration.top_share", n=conc["top_n"]), conc["top_share"], None, None],
               [t("pack.concentration.hhi"), conc["hhi"], None, None],
               [t("pack.concentration.effective"), conc["effective_number"], None, None]]
    _sheet(wb, t("pack.sheet.concentration"), [(t("pack.col.measure"), "text"), (t("pack.col.value"), "num3")], [])
    ws = wb[t("pack.sheet.concentration")[:31]]
    formats = ["#,##0", "#,##0", "0.0%", "0.0000", "#,##0.0"]
    for row, fmt in zip(ws_rows, formats):
        ws.append([text_cell(v) for v in row[:2]])
        ws.cell(ws.max_row, 2).number_format = fmt
    ws.append([])
    top_cols = [(t("pack.col.rank"), "int"), (t("pack.col.id"), "text"), (t("pack.col.customer"), "text"),
                (t("pack.col.grade"), "text"), (t("pack.col.exposure_base", currency=cur), "amount"),
                (t("pack.col.share"), "pct"), (t("pack.col.cumulative"), "pct")]
    ws.append([text_cell(c[0]) for c in top_cols])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for x in conc["top"]:
        ws.append([text_cell(v) for v in (x["rank"], x["customer_id"], x["name"], x["grade"], x["exposure_base"],
                                          x["share"], x["cumulative_share"])])
        for j, (_, kind) in enumerate(top_cols, start=1):
            if kind != "text":
                ws.cell(ws.max_row, j).number_format = FMT[kind]
    ws.auto_filter.ref = None
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, 28)
    ws.column_dimensions["C"].width = max(ws.column_dimensions["C"].width, 30)

    ecl = words["ecl"]
    levels = PROFILE_LEVELS
    _sheet(wb, t("pack.sheet.risk"), [(t("pack.risk.col.risk"), "text")] + [
        (f"{t(f'risk.level.{lv}')} · {t('pack.col.customers')}", "int") for lv in levels] + [
        (f"{t(f'risk.level.{lv}')} · {t('pack.col.share')}", "pct") for lv in levels] + [
        (t("pack.col.drivers"), "text")],
        [[r["label"]] + [r[lv]["customers"] for lv in levels] + [r[lv]["exposure_share"] for lv in levels]
         + [r["drivers_text"] or None] for r in words["risk_profile"]])
    _sheet(wb, t("pack.sheet.ecl"), [(t("pack.col.scenario"), "text"), (t("pack.col.ecl_base", currency=cur), "amount"),
                                     (t("pack.col.coverage"), "pd"), (t("pack.col.el", currency=cur), "amount")],
           [[s["label"], s["ecl_base"], s["coverage"], s["el_base"]] for s in ecl["scenarios"]]
           + [[t("pack.ecl.weighted"), ecl["weighted"], ecl["coverage"], ecl["el_base"]],
              [t("pack.ecl.open"), ecl["open"], None, None]])
    _sheet(wb, t("pack.sheet.warnings"),
           [(t("pack.col.id"), "text"), (t("pack.col.customer"), "text"), (t("pack.col.grade"), "text"),
            (t("pack.col.severity"), "text"), (t("pack.col.rule"), "text"), (t("pack.col.rule_code"), "text")],
           [[w["customer_id"], w["name"], w["grade"], w["severity_label"], w["rule_label"], w["rule"]]
            for w in words["all_signals"]])
    _sheet(wb, t("pack.sheet.reviews"),
           [(t("pack.col.id"), "text"), (t("pack.col.customer"), "text"), (t("pack.col.grade"), "text"),
            (t("pack.col.next_review"), "date"), (t("pack.col.days"), "int"), (t("pack.col.review_status"), "text"),
            (t("pack.col.account_manager"), "text")],
           [[r["customer_id"], r["name"], r["grade"], r["next_review"], r["days_to_review"],
             t("pack.common.clause_separator").join(x for x in (r["status_text"], r["brought_forward_text"]) if x),
             r["account_manager"]]
            for r in words["reviews"]])
    _sheet(wb, t("pack.sheet.visits"),
           [(t("pack.col.id"), "text"), (t("pack.col.customer"), "text"), (t("pack.col.grade"), "text"),
            (t("pack.col.account_manager"), "text"), (t("pack.col.last_visit"), "date"),
            (t("pack.col.visits_12m"), "int"), (t("pack.col.reason"), "text"),
            (t("pack.col.exposure_base", currency=cur), "amount")],
           [[v["customer_id"], v["name"], v["grade"], v["account_manager"], v["last_visit"], v["visits_12m"],
             v["reason"], v["exposure_base"]] for v in words["visits"]])
    _sheet(wb, t("pack.sheet.changes"),
           [(t("pack.col.id"), "text"), (t("pack.col.customer"), "text"), (t("pack.col.what"), "text"),
            (t("pack.col.old"), "text"), (t("pack.col.new"), "text"), (t("pack.col.note"), "text")],
           [[c["customer_id"], c["name"], i["what"], i["old"], i["new"], i["note"] or None]
            for c in words["changes"]["customers"] for i in c["rows"]])
    _sheet(wb, t("pack.sheet.failed"),
           [(t("pack.col.id"), "text"), (t("pack.col.customer"), "text"), (t("pack.col.as_of"), "date"),
            (t("pack.col.notebook"), "text"), (t("pack.col.cell"), "int"), (t("pack.col.error"), "text")],
           [[x["customer_id"], x["name"], x["as_of"], x["notebook"], x["cell"], x["error"]] for x in words["failed"]])
    buf = io.BytesIO()
    # dated like the PDF (openpyxl stamps the wall clock into the properties and the zip entries), so the
    # same summaries give the same bytes
    date = generated_at(pack.get("as_of")).replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = date
    wb.save(buf)
    return _dated_zip(buf.getvalue(), date)


def _dated_zip(data: bytes, date: dt.datetime) -> bytes:
    """The zip archive ``data`` with every entry dated ``date`` (an .xlsx is a zip archive), and the
    workbook's modification date too (openpyxl sets it to the time of saving)."""
    out = io.BytesIO()
    stamp = date.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=date.timetuple()[:6])
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>",
                                 content)
            dst.writestr(entry, content)
    return out.getvalue()


# --------------------------------------------------------------------------- the files
def _matrix_words(pack: dict, tx: Text, labels: dict[str, str]) -> dict:
    """The provision matrix, the ledger reconciliation and the whole ledger's ECL in words (``labels``:
    scenario name → label)."""
    f, t = tx.f, tx.t
    rows = matrix_text(pack.get("provision_matrix") or [], tx)
    rec = pack.get("reconciliation")
    text = ""
    if rec:
        key = ("pack.reconciliation.mixed" if rec.get("mixed_dates") else
               "pack.reconciliation.tied" if rec["reconciled"] else "pack.reconciliation.difference")
        text = t(key, ledger=f.number(rec["ledger"], 0), pack=f.number(rec["pack"], 0),
                 difference=f.number(rec["difference"], 0), customers=rec["ledger_customers"],
                 date=f.date(rec.get("ledger_as_of")))
    led = pack.get("ledger_ecl")
    ledger_text = ""
    if led:
        parts = t("common.list_separator").join(
            t("pack.ledger_ecl.scenario", scenario=labels.get(s, s), ecl=f.number(v, 0)) for s, v in led["scenarios"].items())
        ledger_text = t("pack.ledger_ecl.text", open=f.number(led["open"], 0), weighted=f.number(led["weighted"], 0),
                        scenarios=parts)
    unknown = t("common.list_separator").join(
        t("pack.ecl.unknown_item", customer_id=u["customer_id"], name=u["name"], open=f.number(u["open_base"], 0))
        for u in pack["totals"].get("ecl_unknown") or [])
    return {"matrix": rows, "reconciliation": text, "ledger_ecl": ledger_text, "ecl_unknown": unknown}


def write_portfolio_pack(out_dir: str | Path, *, lang: str, base_currency: str, policy_company: str = "",
                         policy=None, review_within_days: int = 30, policy_bytes: bytes = b"",
                         templates: str | Path = TEMPLATES_DIR) -> dict[str, Path]:
    """Write the portfolio pack of the batch in ``out_dir``: ``portfolio.pdf``, ``portfolio.xlsx`` and
    ``portfolio.json``, from every ``<out_dir>/<customer>/summary.json``.

    The previous ``portfolio.json`` (when there is one) is read first, for the changes since the previous
    run. The PDF and the workbook are written first and ``portfolio.json`` last, so the JSON (the next run's
    "previous") is replaced only when the whole pack was written.

    Parameters
    ----------
    out_dir : str or Path
        The batch's output folder.
    lang : {"en", "zh"}
        The pack's language.
    base_currency : str
        The policy's base currency (every total is in it).
    policy_company : str
        The company named on page one.
    policy : helpers.config.Policy, optional
        Gives grade names, the master scale's order, industry and scenario labels and the LGD; without it the
        pack shows the codes.
    review_within_days : int
        Reviews due within this many days of the pack's date are listed (with the overdue ones).
    policy_bytes : bytes
        The policy file, attached to the PDF as evidence with every summary, the provision matrix, the
        previous pack and the pack's own JSON (``riskbook verify portfolio.pdf`` recomputes the pack).

    Returns
    -------
    dict
        ``{"json": Path, "xlsx": Path, "pdf": Path}``.
    """
    lang = check_language(lang)
    out_dir = Path(out_dir)
    tx = text_for(lang)
    summaries, digests = read_summaries(out_dir)
    previous_path = out_dir / PACK_FILES["json"]
    previous = None
    if previous_path.is_file():
        try:
            previous = read_json(previous_path)
            previous = previous if isinstance(previous, dict) else None
        except ValueError:
            previous = None
    grades = [b.grade for b in policy.scoring.master_scale] if policy is not None and policy.scoring else None
    lgd = policy.decisions.lgd if policy is not None and policy.decisions else None
    weights = {s.name: s.weight for s in policy.decisions.scenarios} if lgd is not None else None
    pack = portfolio_pack(summaries, base_currency=base_currency, previous=previous,
                          review_within_days=review_within_days, grades=grades, lgd=lgd, weights=weights)
    matrix_path = out_dir / "provision_matrix.json"  # written by the batch: the ledger's matrix and balance
    matrix = read_json(matrix_path) if matrix_path.is_file() else None
    pack["provision_matrix"] = matrix["matrix"] if matrix else None
    pack["reconciliation"] = ledger_reconciliation(pack["ecl"]["open"], matrix["ledger_open"] if matrix else None,
                                                   ledger_as_of=matrix.get("as_of") if matrix else None,
                                                   pack_dates=pack.get("as_of_dates"))
    pack["ledger_ecl"] = matrix.get("ledger_ecl") if matrix else None
    for r in pack["customers"]:  # a report that is not on disk is not pointed at
        if r["report"] and not (out_dir / r["report"]).is_file():
            r["report"] = None
    date = generated_at(pack.get("as_of"))
    generated = date_text(date, lang)
    pack.update(lang=lang, company=policy_company, generated=generated, sources=digests,
                policy_version=getattr(policy, "policy_version", None))
    words = pack_text(pack, tx, policy=policy, company=policy_company)
    words.update(_matrix_words(pack, tx, {s["scenario"]: s["label"] for s in words["ecl"]["scenarios"]}))
    paths = {k: out_dir / v for k, v in PACK_FILES.items()}
    pack_json = json_bytes(pack)
    files = describe(_pack_evidence(out_dir, digests, previous_path if previous is not None else None,
                                    matrix_path if matrix else None, policy_bytes, pack_json), lang)
    context = {"pack": pack, "w": words, "generated": generated, "lang": lang, "sources": len(digests),
               "evidence": _collapsed_rows(files, lang, tx), "evidence_count": len(files),
               "document": document_meta(lang, author=policy_company,
                                         keywords=[tx.t("doc.keywords.pack"), pack.get("as_of")])}
    html = render_html(context, template="portfolio.html.j2", templates=templates)
    info = DocumentInfo("portfolio_pack", html_lang(lang), date, {"asOf": str(pack.get("as_of") or ""),
                                                                   "policyVersion": str(pack["policy_version"] or "")},
                        tx.t("evidence.role.manifest"))

    def manifest(fonts):
        return evidence_manifest("portfolio_pack", files, fonts, as_of=pack.get("as_of"), lang=lang,
                                 parameters={"lang": lang, "base_currency": base_currency, "company": policy_company,
                                             "review_within_days": review_within_days},
                                 policy={"version": pack["policy_version"], "sha256": sha256_hex(policy_bytes)
                                         if policy_bytes else None},
                                 customers=len(digests))

    render_pdf(html, paths["pdf"], base_url=templates, info=info, attachments=files, manifest=manifest)
    atomic_write_bytes(paths["xlsx"], pack_workbook(pack, words, tx))
    atomic_write_bytes(paths["json"], pack_json)
    return paths


def _collapsed_rows(files: list[EvidenceFile], lang: str, tx: Text) -> list[dict]:
    """The appendix's rows of the pack's attachments, its customer summaries in one row (the manifest and
    the pack's ``sources`` give each one's SHA-256): thousands of customers must not make thousands of rows."""
    rows = evidence_rows([f for f in files if f.role != "customer_summary"])
    summaries = [f for f in files if f.role == "customer_summary"]
    if summaries:
        rows.insert(0, {"name": "customers/*/summary.json",
                        "what": tx.t("evidence.role.customer_summaries", n=tx.f.number(len(summaries), 0)),
                        "bytes": sum(len(f.data) for f in summaries), "sha256": tx.t("appendix.evidence.each_in_manifest")})
    return rows


def _pack_evidence(out_dir: Path, digests: dict[str, str], previous: Path | None, matrix: Path | None,
                   policy_bytes: bytes, pack_json: bytes) -> list[EvidenceFile]:
    """The pack's evidence: every summary it read (checked against the digest taken when it was read),
    the provision matrix, the previous pack, the policy and the pack's own data."""
    files = []
    for rel, digest in sorted(digests.items()):
        data = (out_dir / rel).read_bytes()
        if sha256_hex(data) != digest:
            raise RenderError(f"{out_dir / rel} changed while the portfolio pack was being written; run again")
        files.append(EvidenceFile(f"customers/{rel}", data, "Data", "customer_summary"))
    if matrix is not None:
        files.append(EvidenceFile("provision_matrix.json", matrix.read_bytes(), "Data", "matrix"))
    if previous is not None:
        files.append(EvidenceFile("previous/portfolio.json", previous.read_bytes(), "Data", "previous_pack"))
    if policy_bytes:
        files.append(EvidenceFile("policy.yaml", policy_bytes, "Data", "policy"))
    files.append(EvidenceFile("portfolio.json", pack_json, "Supplement", "pack"))
    return files
