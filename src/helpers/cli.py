"""The ``riskbook`` command. Thin: it parses arguments and calls the modules.

Exit codes: 0 all customers ok (or skipped as up to date), 1 some customers failed (or, for ``validate``,
some customers would be set aside for their own input errors), 2 unusable arguments or input that fails
validation as a whole (any input error with ``--strict``), 3 an unexpected error (a bug: ``--debug`` shows the
traceback), 130 interrupted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import logging
import os
import secrets
import shlex
import sys
import traceback
from pathlib import Path

import pandas as pd

from .config import DATA_SAMPLE, REPORTS_DIR, riskbook_version
from .data import load_portfolio
from .data.portfolio import SNAPSHOT_SUFFIX
from .data.sources import source_label
from .exceptions import OrderError, RiskbookError, ValidationError, printable
from .pipeline.manifest import LOG_NAME
from .pipeline.order_desk import OrderDesk
# The batch (Papermill, nbformat, jsonschema), verify and the web service are imported by the commands that
# use them: `riskbook --version`, `validate` or `check-order` start in about two seconds, not eight, and so
# does each worker process of `riskbook serve` (which imports this module again before it answers uvicorn).
from .report.messages import messages
from .report.formatting import LANGUAGES, formatter
from .report.orders import check_text, error_text
from .report.problems import problem_line, write_problems_csv, write_problems_json, write_problems_workbook
from .report.starter import write_starter

__all__ = ["main"]


def _parser(lang: str = "en") -> argparse.ArgumentParser:
    """The argument parser, its help in ``lang`` (argparse's own words, such as "usage", stay English)."""
    h = messages(lang)
    # no abbreviated options: the command a report records is read back by people and by _portable
    p = argparse.ArgumentParser(prog="riskbook", description=h("cli.help.description"), allow_abbrev=False)
    p.add_argument("--version", action="version", version=f"riskbook {riskbook_version()}")
    p.add_argument("--debug", action="store_true", help=h("cli.help.debug"))
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("-v", "--verbose", action="count", default=0, help=h("cli.help.verbose"))
    loud.add_argument("-q", "--quiet", action="store_true", help=h("cli.help.quiet"))
    sub = p.add_subparsers(dest="command", required=True)
    languages = sorted(LANGUAGES)

    def data_args(sp):
        sp.add_argument("--data", default=str(DATA_SAMPLE), help=h("cli.help.data"))
        sp.add_argument("--policy", default=None, help=h("cli.help.policy"))
        sp.add_argument("--as-of", default=None, help=h("cli.help.as_of"))
        sp.add_argument("--schema", default=None, help=h("cli.help.schema"))
        sp.add_argument("--strict", action="store_true", help=h("cli.help.strict"))

    b = sub.add_parser("batch", help=h("cli.help.batch"), allow_abbrev=False)
    data_args(b)
    b.add_argument("--out", default=str(REPORTS_DIR), help=h("cli.help.batch.out"))
    b.add_argument("--customers", default=None, help=h("cli.help.batch.customers"))
    b.add_argument("--workers", type=int, default=None, help=h("cli.help.batch.workers"))
    b.add_argument("--scheduler", default=None, help=h("cli.help.batch.scheduler"))
    b.add_argument("--timeout", type=float, default=None, help=h("cli.help.batch.timeout"))
    b.add_argument("--fresh-kernels", action="store_true", help=h("cli.help.batch.fresh_kernels"))
    b.add_argument("--force", action="store_true", help=h("cli.help.batch.force"))
    b.add_argument("--no-progress", action="store_true", help=h("cli.help.batch.no_progress"))
    b.add_argument("--lang", choices=languages, default=None, help=h("cli.help.batch.lang"))
    b.add_argument("--model", default=None, help=h("cli.help.batch.model"))
    b.add_argument("--log", default=None, help=h("cli.help.batch.log"))

    c = sub.add_parser("verify", help=h("cli.help.verify"), allow_abbrev=False)
    c.add_argument("pdf", help=h("cli.help.verify.pdf"))
    c.add_argument("--data", default=None, help=h("cli.help.verify.data"))
    c.add_argument("--policy", default=None, help=h("cli.help.verify.policy"))
    c.add_argument("--model", default=None, help=h("cli.help.verify.model"))
    c.add_argument("--lang", choices=languages, default=None, help=h("cli.help.verify.lang"))
    c.add_argument("--json", action="store_true", help=h("cli.help.verify.json"))

    v = sub.add_parser("validate", help=h("cli.help.validate"), allow_abbrev=False)
    data_args(v)
    v.add_argument("--warnings", action="store_true", help=h("cli.help.validate.warnings"))
    v.add_argument("--lang", choices=languages, default="en", help=h("cli.help.validate.lang"))
    v.add_argument("--format", choices=("text", "json", "csv"), default="text", help=h("cli.help.validate.format"))
    v.add_argument("--problems", default=None, metavar="FILE.xlsx", help=h("cli.help.validate.problems"))

    def desk_args(sp):
        sp.add_argument("--reports", default=str(REPORTS_DIR), help=h("cli.help.desk.reports"))
        sp.add_argument("--data", default=None, help=h("cli.help.desk.data"))
        sp.add_argument("--policy", default=None, help=h("cli.help.policy"))
        sp.add_argument("--log", default=None, help=h("cli.help.desk.log"))
        sp.add_argument("--date", default=None, help=h("cli.help.desk.date"))
        sp.add_argument("--lang", choices=languages, default=None, help=h("cli.help.desk.lang"))

    o = sub.add_parser("check-order", help=h("cli.help.check_order"), allow_abbrev=False)
    o.add_argument("customer", help=h("cli.help.check_order.customer"))
    o.add_argument("amount", help=h("cli.help.check_order.amount"))
    o.add_argument("--currency", default=None, help=h("cli.help.check_order.currency"))
    o.add_argument("--due-days", default=None, help=h("cli.help.check_order.due_days"))
    o.add_argument("--order-id", default=None, help=h("cli.help.check_order.order_id"))
    o.add_argument("--user", default=None, help=h("cli.help.check_order.user"))
    o.add_argument("--json", action="store_true", help=h("cli.help.check_order.json"))
    desk_args(o)

    s = sub.add_parser("serve", help=h("cli.help.serve"), allow_abbrev=False)
    desk_args(s)
    s.add_argument("--keys", default=None, help=h("cli.help.serve.keys"))
    s.add_argument("--host", default="127.0.0.1", help=h("cli.help.serve.host"))
    s.add_argument("--port", type=int, default=8000, help=h("cli.help.serve.port"))
    s.add_argument("--workers", type=int, default=None, help=h("cli.help.serve.workers"))

    i = sub.add_parser("init", help=h("cli.help.init"), allow_abbrev=False)
    i.add_argument("folder", help=h("cli.help.init.folder"))
    i.add_argument("--lang", choices=languages, default="en", help=h("cli.help.init.lang"))

    k = sub.add_parser("key", help=h("cli.help.key"), allow_abbrev=False)
    k.add_argument("name", help=h("cli.help.key.name"))
    k.add_argument("--role", choices=("erp", "manager"), required=True, help=h("cli.help.key.role"))
    k.add_argument("--keys", required=True, help=h("cli.help.key.keys"))
    return p


def _argv_lang(argv: list[str]) -> str:
    """The language an argument list asks for (``--lang zh`` or ``--lang=zh``), before it is parsed: the help
    and the argument errors are in it. English when none (or no known one) is given."""
    for i, a in enumerate(argv):
        if a == "--":
            break
        value = a.partition("=")[2] if a.startswith("--lang=") else argv[i + 1] if a == "--lang" and i + 1 < len(argv) \
            else None
        if value in LANGUAGES:
            return value
    return "en"


def _load(args):
    as_of = None
    if args.as_of:
        try:
            as_of = pd.Timestamp(dt.date.fromisoformat(args.as_of))
        except ValueError:
            raise SystemExit(_fail(_t(args)("cli.error.not_a_date", option="--as-of", value=repr(args.as_of)))) \
                from None
    if str(args.data).endswith(SNAPSHOT_SUFFIX):  # the batch's own cache is never a data source
        raise SystemExit(_fail(_t(args)("cli.error.snapshot", data=args.data, suffix=SNAPSHOT_SUFFIX)))
    return load_portfolio(args.data, args.policy, as_of=as_of, strict=args.strict, schema=args.schema)


_PATH_OPTIONS = ("--data", "--policy", "--model")
#: The batch options that change what a report says; the others (which customers, how many workers,
#: where the reports go, timeouts, the scheduler) change where or how fast, not the report.
_REPORT_OPTIONS = _PATH_OPTIONS + ("--as-of", "--lang", "--schema")


def _portable(argv: list[str]) -> list[str]:
    """The command line as a report records it: the subcommand and the options that change a report
    (data, policy, model, as-of date, language), with data, policy and model named as
    :func:`helpers.data.sources.source_label` names them (no machine path, no password). Two runs of the
    same inputs record the same command, whatever customers, workers or output folder they were given;
    no other customer's id and no scheduler address is recorded."""
    out = argv[:1]
    i = 1
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=")
        takes_value = not eq and i + 1 < len(argv) and not argv[i + 1].startswith("--")
        if name.startswith("--"):
            if not eq and takes_value:
                value, i = argv[i + 1], i + 1
            if name in _REPORT_OPTIONS and (eq or takes_value):
                value = source_label(value) if name in _PATH_OPTIONS else value
                out += [f"{name}={value}"] if eq else [name, value]
        i += 1
    return out


def _t(args):
    """The messages of the language the command speaks: ``--lang`` when given (for a batch without it, the
    policy's language once the data is loaded), else English."""
    return messages(getattr(args, "ui_lang", None) or "en")


def _fail(message: str) -> int:
    """Print ``riskbook: <message>`` (a text already in the user's language) on stderr; exit code 2."""
    print(f"riskbook: {message}", file=sys.stderr)
    return 2


def _verify(args) -> int:
    """``riskbook verify``: 0 when everything matches, 1 when something differs, 2 when it cannot be checked."""
    for given in (args.pdf, args.policy, args.model):
        if given is not None and not Path(given).is_file():
            return _fail(_t(args)("verify.usage.not_found", file=given))
    from .pipeline.verify import verification_lines, verification_record, verify_pdf

    try:
        result = verify_pdf(args.pdf, data=args.data, policy=args.policy, model=args.model)
    except RiskbookError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(verification_record(result), ensure_ascii=False, indent=1, default=str))
    else:
        for line in verification_lines(result, args.lang):
            print(line)
    if not result.manifest or result.failed("option"):
        return 2
    return 0 if result.ok else 1


def _day(args) -> dt.date | None:
    if args.date is None:
        return None
    try:
        return dt.date.fromisoformat(args.date)
    except ValueError:
        raise SystemExit(_fail(_t(args)("cli.error.not_a_date", option="--date", value=repr(args.date)))) from None


def _check_order(args) -> int:
    """``riskbook check-order``: 0 approved, 1 held or escalated, 2 the check could not be made."""
    lang = args.lang or "en"
    try:
        on = _day(args)
        desk = OrderDesk(args.reports, data=args.data, policy=args.policy, log=args.log)
    except SystemExit as exc:
        return int(exc.code)
    except RiskbookError as exc:
        return _fail(str(exc))
    try:
        result = desk.check(args.customer, args.amount, args.currency, args.due_days, args.order_id, on=on,
                            actor=args.user or getpass.getuser())
    except OrderError as exc:
        return _fail(error_text(exc.code, exc.args_, lang))
    finally:
        desk.log.dispose()
    shown = check_text(result, lang)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=1, default=str))
    else:
        t, f, fig = messages(lang), formatter(lang), result["figures"]
        ccy = fig.get("limit_currency") or result["currency"]
        print(t("cli.order.outcome", outcome=shown["outcome_label"], headline=shown["headline"]))
        if shown["reasons"]:
            print(t("cli.order.reasons"))
            for r in shown["reasons"]:
                print(f"  [{r['code']}, {r['action_label']}] {r['text']}")
        print(t("cli.order.figures", open_invoices=f.amount(fig["open_invoices"], ccy),
                open_orders=f.amount(fig["open_orders"], ccy), credit=f.amount(fig["credit_amount"], ccy),
                exposure_after=f.amount(fig["exposure_after"], ccy), limit=f.amount(fig["limit"], ccy)))
        print(t("cli.order.entry", entry_id=result["entry_id"], log=desk.log.label))
    return 0 if result["outcome"] == "approve" else 1


def _serve(args) -> int:
    """``riskbook serve``: runs until stopped."""
    import uvicorn

    from .service import load_keys
    from .service.app import CONFIG_ENV

    keys_file = args.keys or os.environ.get("RISKBOOK_KEYS")
    if not keys_file:
        return _fail(_t(args)("cli.error.keys_needed"))
    if args.workers is not None and args.workers < 1:
        return _fail(_t(args)("cli.error.workers"))
    try:
        _day(args)
        load_keys(keys_file)
        desk = OrderDesk(args.reports, data=args.data, policy=args.policy, log=args.log)  # fails here, not in a worker
    except SystemExit as exc:
        return int(exc.code)
    except RiskbookError as exc:
        return _fail(str(exc))
    desk.log.dispose()
    workers = args.workers or (1 if desk.log.dialect == "sqlite" else max(1, min(os.cpu_count() or 1, 4)))
    os.environ[CONFIG_ENV] = json.dumps({
        "reports": str(Path(args.reports).resolve()), "data": args.data, "policy": args.policy, "log": args.log,
        "keys": str(Path(keys_file).resolve()), "lang": args.lang, "date": args.date,
        "session_secret": secrets.token_hex(32)})
    print(_t(args)("cli.serve.started", n=len(desk.state.states), reports=args.reports, log=desk.log.label,
                   workers=workers, url=f"http://{args.host}:{args.port}/manager"), file=sys.stderr)
    # uvicorn replaces a worker that does not answer its health check in time, and a new worker answers only
    # once it has imported this module again; on a busy machine that can take longer than uvicorn's 5 s, and
    # the workers were then replaced again and again, never serving
    uvicorn.run("helpers.service.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=workers, log_level="warning", access_log=False, timeout_worker_healthcheck=60)
    return 0


def _validate(args) -> int:
    """``riskbook validate``: every problem, in the chosen language and format; exit 0 valid, 1 some customers
    would be set aside, 2 the source as a whole is unusable."""
    if args.problems and not args.problems.lower().endswith(".xlsx"):
        return _fail(_t(args)("cli.error.problems_file", path=args.problems))
    try:
        portfolio = _load(args)
    except SystemExit as exc:
        return int(exc.code)
    except ValidationError as exc:
        problems = list(exc.problems)
        _report_problems(args, problems, header="riskbook: " + _t(args)("cli.error.invalid_input", data=args.data))
        return 2
    except RiskbookError as exc:
        return _fail(str(exc))
    aside = portfolio.quarantine
    problems = [p for entry in aside.values() for p in entry["problems"]] + list(portfolio.warnings)
    if args.format == "text":
        t = _t(args)
        _say(args, t("cli.validate.valid_except" if aside else "cli.validate.valid", source=portfolio.source,
                     customers=len(portfolio.customer_ids), years=len(portfolio.statements), aside=len(aside),
                     warnings=len(portfolio.warnings)))
        for cid, entry in aside.items():
            print("  " + t("cli.validate.set_aside", customer=printable(cid)), file=sys.stderr)
            for p in entry["problems"]:
                if p.severity == "error":
                    print(f"    {problem_line(p, args.lang)}", file=sys.stderr)
        if args.warnings:
            for w in portfolio.warnings:
                print(f"  {problem_line(w, args.lang)}")
        for lang in LANGUAGES:
            missing = portfolio.policy.untranslated(lang)
            if missing:
                _say(args, "  " + t("cli.validate.untranslated", lang=lang, n=len(missing), fields=", ".join(missing)))
    _report_problems(args, problems, header=None)
    return 1 if aside else 0


def _report_problems(args, problems: list, *, header: str | None) -> None:
    """The machine-readable forms (--format json/csv on stdout, --problems workbook) and, for a source that
    fails as a whole, its errors as text on stderr."""
    if header is not None and args.format == "text":
        print(header, file=sys.stderr)
        for p in problems:
            if p.severity == "error":
                print(f"  {problem_line(p, args.lang)}", file=sys.stderr)
    if args.format == "json":
        write_problems_json(problems, sys.stdout, args.lang)
        sys.stdout.write("\n")
    elif args.format == "csv":
        write_problems_csv(problems, sys.stdout, args.lang)
    if args.problems:
        path = write_problems_workbook(problems, args.problems, args.lang)
        print(_t(args)("problem.cli.workbook", n=len(problems), path=str(path)), file=sys.stderr)


def _init(args) -> int:
    try:
        files = write_starter(args.folder, args.lang)
    except RiskbookError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(_t(args)("cli.error.cannot_write", path=exc.filename or args.folder, reason=exc.strerror or exc))
    for f in files:
        f.chmod(0o644)  # a data folder to share with colleagues, not a secret
    _say(args, _t(args)("starter.cli.done", files=", ".join(str(f) for f in files),
                                   workbook=shlex.quote(str(files[0]))))
    return 0


def _key(args) -> int:
    from .service import new_key

    try:
        secret = new_key(args.keys, args.name, args.role)
    except RiskbookError as exc:
        return _fail(str(exc))
    print(_t(args)("cli.key.made", name=args.name, role=args.role, keys=args.keys))
    print(secret)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``riskbook`` command; returns the exit code.

    Bad input, arguments and data give a message and exit 2; an unexpected error (a bug) gives one line and
    exit 3, with the Python traceback only under ``--debug``.
    """
    argv = sys.argv[1:] if argv is None else argv
    asked = _argv_lang(argv)
    args = _parser(asked).parse_args(argv)
    args.ui_lang = getattr(args, "lang", None) or asked
    console = _console_log(args)
    try:
        return _main(args, argv)
    except KeyboardInterrupt:
        print("riskbook: " + _t(args)("cli.error.interrupted"), file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into a message
        if args.debug:
            traceback.print_exc()
        else:
            print("riskbook: " + _t(args)("cli.error.unexpected", error=f"{type(exc).__name__}: {exc}"),
                  file=sys.stderr)
        return 3
    finally:
        if console is not None:
            logging.getLogger("riskbook").removeHandler(console)


def _console_log(args) -> logging.Handler | None:
    """With -v, riskbook's log (what ``<out>/batch.log`` gets) also goes to stderr; -vv adds debug records."""
    if not args.verbose:
        return None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("riskbook: %(message)s"))
    handler.setLevel(logging.DEBUG if args.verbose > 1 else logging.INFO)
    root = logging.getLogger("riskbook")
    root.addHandler(handler)
    if args.verbose > 1:
        root.setLevel(logging.DEBUG)
    return handler


def _say(args, *lines) -> None:
    """Print a summary line on stdout unless -q."""
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line)


def _main(args, argv: list[str]) -> int:
    if args.command == "check-order":
        return _check_order(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "key":
        return _key(args)
    if args.command == "init":
        return _init(args)
    if getattr(args, "workers", None) is not None and args.workers < 1:
        return _fail(_t(args)("cli.error.workers"))
    if getattr(args, "timeout", None) is not None and args.timeout <= 0:
        return _fail(_t(args)("cli.error.timeout"))
    if args.command == "verify":
        return _verify(args)
    if args.command == "validate":
        return _validate(args)
    try:
        portfolio = _load(args)
    except SystemExit as exc:
        return int(exc.code)
    except ValidationError as exc:
        print("riskbook: " + _t(args)("cli.error.invalid_input", data=args.data), file=sys.stderr)
        for p in exc.problems:
            if p.severity == "error":
                print(f"  {problem_line(p, args.ui_lang)}", file=sys.stderr)
        return 2
    except RiskbookError as exc:
        return _fail(str(exc))
    args.ui_lang = args.lang or portfolio.policy.language or "en"
    t = _t(args)

    customers = [c.strip() for c in args.customers.split(",") if c.strip()] if args.customers else None
    command = "riskbook " + " ".join(shlex.quote(a) for a in _portable(argv))
    from .pipeline import run_batch

    try:
        result = run_batch(portfolio, args.out, customers=customers, workers=args.workers, force=args.force,
                           progress=not (args.no_progress or args.quiet or args.verbose), command=command, model=args.model, lang=args.lang,
                           scheduler=args.scheduler, timeout=args.timeout, order_log=args.log,
                           engine="fresh" if args.fresh_kernels else "warm")
    except KeyError as exc:
        return _fail(str(exc.args[0]))
    except RiskbookError as exc:  # e.g. an untrusted --model artifact, an output folder that cannot be written
        return _fail(str(exc))
    except OSError as exc:  # the disk filled up or the folder went away while the batch wrote
        return _fail(t("cli.error.cannot_write_batch", path=exc.filename or args.out, reason=exc.strerror or exc))
    m = result.model
    if m is not None:
        _say(args, t("cli.batch.model", version=m.model_version or t("cli.batch.model_none"),
                     status=t.get(f"cli.batch.status.{m.status}", m.status))
             + (t("cli.batch.model_pdf", path=m.validation_pdf) if m.validation_pdf else "")
             + (t("cli.batch.model_error", error=m.error) if m.error else ""))
    counts = {s: sum(r.status == s for r in result.runs) for s in ("ok", "skipped", "failed")}
    _say(args, t("cli.batch.summary", n=len(result.runs), seconds=f"{result.seconds:.1f}", manifest=result.manifest,
                 **counts),
         t("cli.batch.log", log=result.manifest.parent / LOG_NAME))
    for r in result.failed:
        print("  " + t("cli.batch.failed", customer=printable(r.customer_id), error=r.error), file=sys.stderr)
    return 1 if result.failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
