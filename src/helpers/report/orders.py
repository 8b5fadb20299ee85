"""The order-entry check in words: outcomes, reasons, errors and log entries in the reader's language.

The order desk returns codes and numbers (:mod:`helpers.pipeline.order_desk`); this module makes the
sentences, from the ``order.*``, ``error.*`` and ``orderlog.*`` messages of the catalogue.
"""
from __future__ import annotations

from .localize import Text, text_for

__all__ = ["check_text", "error_text", "reason_text", "log_entry_text", "order_log_section"]

_MONEY = ("exposure_after", "limit", "excess", "amount", "open_invoices", "open_orders", "median")


def _args(code: str, args: dict, tx: Text) -> dict:
    f, out = tx.f, {}
    currency = args.get("currency") or ""
    for k, v in args.items():
        if v is None:
            out[k] = f.missing
        elif k in _MONEY:
            out[k] = f.amount(v, currency) if currency else f.number(v, 0)
        elif k in ("as_of", "review_date"):
            out[k] = f.date(v)
        elif k == "share" or k == "limit_share_threshold":
            out[k] = f.percent(v, 0)
        elif k == "rules":
            out[k] = tx.t("common.list_separator").join(tx.t.get(f"signal.title.{r}", r) for r in v)
        elif isinstance(v, float):
            out[k] = f.number(v, 0 if float(v).is_integer() else 1)
        else:
            out[k] = v
    if code == "order.large_order":
        parts = []
        for test in args.get("tests", ()):
            base = args.get("base_currency") or currency
            value = {"amount": f.amount(args.get("amount_threshold"), base),
                     "limit_share": f.percent(args.get("limit_share_threshold"), 0),
                     "median": f.number(args.get("median_threshold"), 1)}[test]
            parts.append(tx.t(f"order.large_order.{test}", threshold=value,
                              amount_base=f.amount(args.get("amount_base"), base),
                              median=f.amount(args.get("median"), currency) if args.get("median") is not None
                              else f.missing))
        out["tests"] = tx.t("common.list_separator").join(parts)
    return out


def reason_text(reason: dict, tx: "Text | str" = "en") -> str:
    """One reason (``code``, ``action``, ``args``) as a sentence."""
    tx = text_for(tx)
    code, args = reason["code"], reason.get("args") or {}
    key = f"{code}.{args.get('status')}" if code == "order.no_report" else code
    return tx.t(key, **_args(code, args, tx))


def check_text(result: dict, tx: "Text | str" = "en") -> dict:
    """An order check's result with its words: ``outcome_label``, ``headline`` (one sentence with the
    order and the exposure after it) and a ``text`` for every reason."""
    tx = text_for(tx)
    f, fig = tx.f, result.get("figures") or {}
    ccy = fig.get("limit_currency") or result.get("currency") or ""
    headline = tx.t(f"order.headline.{result['outcome']}", order_id=result["order_id"],
                    customer_id=result["customer_id"], amount=f.amount(result["amount"], result["currency"], 2),
                    exposure_after=f.amount(fig.get("exposure_after"), ccy),
                    limit=f.amount(fig.get("limit"), ccy) if fig.get("limit") is not None else f.missing)
    return {**result, "lang": tx.lang, "outcome_label": tx.t(f"order.outcome.{result['outcome']}"),
            "headline": headline,
            "reasons": [{**r, "action_label": tx.t(f"order.action.{r['action']}"), "text": reason_text(r, tx)}
                        for r in result.get("reasons", [])]}


def error_text(code: str, args: dict | None = None, tx: "Text | str" = "en") -> str:
    """The message of an :class:`~helpers.exceptions.OrderError` (or a service error) by its code."""
    tx = text_for(tx)
    args = {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v) for k, v in (args or {}).items()}
    return tx.t.get(f"error.{code}", None, **args) or tx.t("error.unknown", code=code)


def log_entry_text(entry: dict, tx: "Text | str" = "en") -> dict:
    """One decision-log entry for a table: its date, what happened, by whom, why."""
    tx = text_for(tx)
    f, fig = tx.f, entry.get("figures") or {}
    kind = entry["kind"]
    if kind == "check":
        what = tx.t(f"orderlog.check.{entry['outcome']}")
    elif kind == "release":
        what = tx.t("orderlog.override" if fig.get("override") else "orderlog.release")
    else:
        what = tx.t(f"orderlog.{kind}" if kind == "reject" else f"orderlog.close.{entry['outcome']}")
    reasons = entry.get("reasons") or []
    return {"entry_id": entry["entry_id"], "date": f.date(entry["at"][:10]), "order_id": entry["order_id"],
            "what": what, "kind": kind, "outcome": entry["outcome"],
            "amount": f.amount(entry.get("amount"), entry.get("currency") or "", 0),
            "actor": entry.get("actor") or "", "note": entry.get("note") or "",
            "reasons": [reason_text(r, tx) for r in reasons] if kind == "check" else [],
            "short": tx.t("common.list_separator").join(tx.t(f"order.short.{r['code'].split('.', 1)[1]}")
                                                        for r in reasons) if kind == "check" else "",
            "codes": [r["code"] for r in reasons]}


def order_log_section(block: dict | None, tx: "Text | str" = "en") -> dict | None:
    """The report's "order holds and releases" block in words (``None`` when there is no log)."""
    if not block:
        return None
    tx = text_for(tx)
    counts = block.get("counts") or {}
    return {**block, "entries": [log_entry_text(e, tx) for e in block.get("entries", [])],
            "until_text": tx.f.date(block.get("until")),
            "intro": tx.t("orderlog.intro", days=block.get("days"), since=tx.f.date(block.get("since")),
                          until=tx.f.date(block.get("until")), checks=counts.get("checks", 0),
                          holds=counts.get("holds", 0), releases=counts.get("releases", 0),
                          overrides=counts.get("overrides", 0), rejections=counts.get("rejections", 0))}
