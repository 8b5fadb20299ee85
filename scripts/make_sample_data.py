#!/usr/bin/env python
"""Generate the committed sample portfolio in ``data/sample/`` (deterministic, seed 20261128).

Usage: ``python scripts/make_sample_data.py [--out data/sample] [--customers N]``

Writes one CSV per contract table (``helpers.data.contract.TABLES``), with exactly the declared
columns in declared order: ``customers``, ``financial_statements``, ``bank_credit``,
``invoices``, ``contacts``, ``assessments``, ``outcomes`` and ``fx_rates``. ``policy.yaml`` in the output
folder (else ``data/sample/policy.yaml``) is read for industries and rating scale, never
written. Dates are ISO, booleans ``true``/``false`` and nulls empty cells. Running the script
twice gives byte-identical files.

How the data are made
---------------------
* About 60 current customers (C001..C058 plus the seed cases CASE1 and CASE2) across the
  seven policy industries; ~15 are foreign (USD/EUR). Each customer gets a hidden
  "financial health" score ``h`` (N(0.3, 0.6), pushed down or up by its role, e.g. negative
  equity, weak payer, no debt). Nothing in the files marks a role or the seed cases.
* Statements come from a small driver model per customer and year: revenue path with growth,
  gross and EBIT margins, DSO/DIO/DPO, cash, fixed-asset intensity, D&A rate and interest
  rate, all shifted by ``h``. Equity evolves with net income minus dividends (so retained
  earnings follow profits); borrowings are the balancing item (cash absorbs any surplus);
  operating cash flow = net income + D&A - change in working capital (+ noise). Every part is
  rounded to whole units of the row's ``unit`` first and every subtotal is computed from the
  rounded parts, so all identities hold exactly.
* Bank facilities split the customer's latest borrowings over 1-4 lenders; utilization,
  overdue days and past defaults follow ``h``. Invoices (24 months to 2026-09-30) are drawn
  around ``expected_monthly_purchases``; days paid late follow ``h``. Contacts (visits,
  calls, complaints, disputes...) are more frequent and less often resolved for weak firms.
* Assessments (the analyst's questionnaire of the policy's ``assessment`` section), drawn with their own
  generator (seed + 2) after everything else, so the other files do not change: about four customers in
  five have one, a few only an old one (stale) and a few two (the latest counts); answers follow ``h``,
  the latest statements' audit, the largest buyer's share, the contact log (disputes, complaints, the
  last visit: no visit, no site-visit answer) and the policy's industry outlook.
* Outcomes: ~4,000 historical customer-years whose ratios, bank behaviour, late payment and
  disputes are driven by a latent AR(1) health factor plus noise; default is drawn from a
  logistic model of the *observed* characteristics (liquidity, leverage, coverage, margin,
  bank overdue and past defaults, late payment, disputes, industry risk class), calibrated to
  a mean PD of 5 %, so defaults follow fundamentals but not perfectly.
* ``--customers N`` (default 60, the committed sample): for N > 60 the 60 customers above stay exactly
  as they are, every row of theirs in every table, and N - 60 more (C059, C060, ... up to C999, then
  C1000, ...) follow them in each table, invoice and contact ids continuing after the last existing one.
  Each extra customer ``k`` draws from its own generator ``default_rng([SEED + 3, k])``, through the same
  functions (industry, country and roles drawn from the mix above), so each extra customer is the same whatever
  N is. Names are city + brand + the customer's number + suffix (the brand list is finite); statements
  are marked unaudited against the same size cut as the base sample. ``outcomes.csv`` (the model's
  history), ``fx_rates`` and ``industry_benchmarks`` do not change with N.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
# Load the contract module by path: it needs only the standard library, unlike the helpers package.
sys.dont_write_bytecode = True  # leave no __pycache__ in src/ (others are editing it)
_spec = importlib.util.spec_from_file_location("riskbook_contract", ROOT / "src" / "helpers" / "data" / "contract.py")
contract = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(contract)
TABLES, UNIT_FACTORS = contract.TABLES, contract.UNIT_FACTORS

SEED = 20261128
AS_OF = date(2026, 9, 30)
REPORT_DATE = date(2026, 8, 31)
LEDGER_START = date(2024, 10, 1)
FX = {"USD": 7.12, "EUR": 7.82}

# Industry drivers: gross margin, EBIT margin, DSO, DIO, DPO, fixed assets / revenue,
# share of our products in their purchases (for expected monthly purchases).
IND = {
    "electronics":  dict(gm=.17, em=.055, dso=75, dio=65, dpo=60, fa=.25, share=(.05, .12)),
    "textiles":     dict(gm=.16, em=.050, dso=70, dio=80, dpo=55, fa=.30, share=(.02, .05)),
    "machinery":    dict(gm=.24, em=.070, dso=95, dio=100, dpo=70, fa=.35, share=(.03, .07)),
    "food":         dict(gm=.22, em=.060, dso=40, dio=35, dpo=45, fa=.35, share=(.02, .04)),
    "construction": dict(gm=.13, em=.050, dso=120, dio=30, dpo=90, fa=.15, share=(.02, .05)),
    "wholesale":    dict(gm=.11, em=.030, dso=50, dio=45, dpo=40, fa=.06, share=(.03, .08)),
    "logistics":    dict(gm=.16, em=.050, dso=65, dio=3, dpo=35, fa=.55, share=(.02, .04)),
}
# Domestic generic customers per industry; roles: nd no debt, nb no bank report, neg negative
# equity, zero near-zero equity, loss loss in latest year, late pays 30-90 days late, units
# figures in units, y2 two years only, gap/interim/short statement layouts, nov no recent
# visit, big some unusually large invoices.
DOMESTIC = {
    "electronics": ["big", "", "nd+nb", "y2", "units", "late+nov", "big", ""],
    "textiles": ["zero+late", "", "y2", "big", "nov"],
    "machinery": ["nd", "loss", "gap", "big", "", ""],
    "food": ["units", "nd+nb", "", "y2", "big"],
    "construction": ["neg+late", "interim", "", "y2+nov", "big"],
    "wholesale": ["neg+nov", "units+y2", "", "short", "big", "", "loss", ""],
    "logistics": ["nd+nb", "", "y2", "", "big", "", ""],
}
FOREIGN = [
    ("Hanoi Electronic Components JSC", "electronics", "VN", "USD", ""),
    ("Rheinland Elektronik GmbH", "electronics", "DE", "EUR", "big"),
    ("Pacific Circuit Systems Inc.", "electronics", "US", "USD", "nb"),
    ("Siam Precision Machinery Co., Ltd.", "machinery", "TH", "USD", ""),
    ("Schwarzwald Maschinenbau GmbH", "machinery", "DE", "EUR", ""),
    ("Chao Phraya Food Industries Co., Ltd.", "food", "TH", "USD", "y2"),
    ("Van Dijk Foodservice B.V.", "food", "NL", "EUR", ""),
    ("Anadolu Tekstil Sanayi A.S.", "textiles", "TR", "EUR", "late+loss"),
    ("Chittagong Knitwear Ltd.", "textiles", "BD", "USD", "nb"),
    ("Constructora Regiomontana S.A. de C.V.", "construction", "MX", "USD", ""),
    ("Gulf Building Materials LLC", "construction", "AE", "USD", "big"),
    ("Lakeside Distribution LLC", "wholesale", "US", "USD", ""),
    ("Al Noor General Trading LLC", "wholesale", "AE", "USD", ""),
    ("Saigon Freight Logistics JSC", "logistics", "VN", "USD", ""),
]
CITIES = {
    "electronics": [("深圳市", "Shenzhen"), ("东莞市", "Dongguan"), ("苏州市", "Suzhou"), ("惠州市", "Huizhou")],
    "textiles": [("绍兴市", "Shaoxing"), ("宁波市", "Ningbo"), ("佛山市", "Foshan"), ("泉州市", "Quanzhou")],
    "machinery": [("无锡市", "Wuxi"), ("常州市", "Changzhou"), ("台州市", "Taizhou"), ("济南市", "Jinan")],
    "food": [("漳州市", "Zhangzhou"), ("青岛市", "Qingdao"), ("郑州市", "Zhengzhou"), ("成都市", "Chengdu")],
    "construction": [("上海", "Shanghai"), ("武汉市", "Wuhan"), ("长沙市", "Changsha"), ("合肥市", "Hefei")],
    "wholesale": [("义乌市", "Yiwu"), ("广州市", "Guangzhou"), ("杭州市", "Hangzhou"), ("温州市", "Wenzhou")],
    "logistics": [("天津市", "Tianjin"), ("广州市", "Guangzhou"), ("宁波市", "Ningbo"), ("重庆市", "Chongqing")],
}
SUFFIX = {
    "electronics": [("电子科技有限公司", "Electronic Technology Co., Ltd."), ("精密电子有限公司", "Precision Electronics Co., Ltd.")],
    "textiles": [("纺织服饰有限公司", "Textile & Apparel Co., Ltd."), ("针织有限公司", "Knitting Co., Ltd.")],
    "machinery": [("机械设备有限公司", "Machinery Equipment Co., Ltd."), ("精工机械有限公司", "Precision Machinery Co., Ltd.")],
    "food": [("食品有限公司", "Food Co., Ltd."), ("食品饮料有限公司", "Food & Beverage Co., Ltd.")],
    "construction": [("建筑工程有限公司", "Construction Engineering Co., Ltd."), ("建材有限公司", "Building Materials Co., Ltd.")],
    "wholesale": [("商贸有限公司", "Trading Co., Ltd."), ("贸易有限公司", "Trade Co., Ltd.")],
    "logistics": [("物流有限公司", "Logistics Co., Ltd."), ("供应链管理有限公司", "Supply Chain Management Co., Ltd.")],
}
BRANDS = [("宏远", "Hongyuan"), ("鑫达", "Xinda"), ("瑞丰", "Ruifeng"), ("汇通", "Huitong"), ("金源", "Jinyuan"),
          ("永盛", "Yongsheng"), ("鼎泰", "Dingtai"), ("嘉利", "Jiali"), ("华美", "Huamei"), ("新宇", "Xinyu"),
          ("中联", "Zhonglian"), ("国泰", "Guotai"), ("联创", "Lianchuang"), ("泰和", "Taihe"), ("佳鑫", "Jiaxin"),
          ("信诚", "Xincheng"), ("天成", "Tiancheng"), ("明辉", "Minghui"), ("凯旋", "Kaixuan"), ("万通", "Wantong"),
          ("利源", "Liyuan"), ("盛世", "Shengshi"), ("东方", "Dongfang"), ("长盈", "Changying"), ("海川", "Haichuan"),
          ("富康", "Fukang"), ("顺发", "Shunfa"), ("锦程", "Jincheng"), ("立信", "Lixin"), ("博远", "Boyuan"),
          ("润华", "Runhua"), ("恒通", "Hengtong"), ("安泰", "Antai"), ("广源", "Guangyuan"), ("华宇", "Huayu"),
          ("中正", "Zhongzheng"), ("振华", "Zhenhua"), ("荣盛", "Rongsheng"), ("德润", "Derun"), ("金鹏", "Jinpeng"),
          ("同创", "Tongchuang"), ("星海", "Xinghai"), ("益丰", "Yifeng"), ("丰泽", "Fengze"), ("大成", "Dacheng")]
MANAGERS_CN = ["王磊", "李娜", "张伟", "陈静"]
MANAGERS_EN = ["Kevin Liu", "Emily Zhang"]
BANKS_CN = ["中国工商银行", "中国建设银行", "中国银行", "招商银行", "中国农业银行", "交通银行", "兴业银行", "宁波银行"]
BANKS_FX = {"VN": ["Vietcombank", "BIDV", "HSBC"], "TH": ["Bangkok Bank", "Kasikornbank"],
            "DE": ["Deutsche Bank", "Commerzbank", "Sparkasse"], "US": ["JPMorgan Chase", "Wells Fargo"],
            "TR": ["Garanti BBVA", "Isbank"], "BD": ["BRAC Bank", "Standard Chartered"],
            "MX": ["BBVA Mexico", "Banorte"], "AE": ["Emirates NBD", "Mashreq", "HSBC"], "NL": ["ING", "Rabobank"]}


def R(x):
    """Round to a whole number (of the statement's unit)."""
    return int(np.round(x))


def rnd_date(rng, start: date, end: date) -> date:
    """Uniform random date in [start, end]."""
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


# ----------------------------------------------------------------------------- customers
def build_customers(rng, policy) -> list[dict]:
    """Return customer dicts: public fields plus hidden drivers (h, roles, payment habits)."""
    assert set(IND) == set(policy["industries"]), "industries must match policy.yaml"
    scale = policy["rating_scale"]
    specs = [dict(industry=i, country="CN", currency="CNY", roles=set(r.split("+")) - {""})
             for i, rs in DOMESTIC.items() for r in rs]
    specs += [dict(name=n, name_en=n, industry=i, country=c, currency=cur, roles=set(r.split("+")) - {""})
              for n, i, c, cur, r in FOREIGN]
    brands = [BRANDS[k] for k in rng.permutation(len(BRANDS))]
    for s in specs:
        if s["country"] == "CN":
            city, sfx, brand = CITIES[s["industry"]], SUFFIX[s["industry"]], brands.pop()
            (c_cn, c_en), (s_cn, s_en) = city[rng.integers(len(city))], sfx[rng.integers(len(sfx))]
            s["name"], s["name_en"] = c_cn + brand[0] + s_cn, f"{c_en} {brand[1]} {s_en}"
    custs = [draw_customer(dict(specs[idx]), f"C{k + 1:03d}", rng, scale)
             for k, idx in enumerate(rng.permutation(len(specs)))]
    custs.sort(key=lambda c: c["customer_id"])
    custs.append(dict(customer_id="CASE1", name="东莞市恒达电子有限公司", name_en="Dongguan Hengda Electronics Co., Ltd.",
                      industry="electronics", country="CN", currency="CNY", roles={"case1"}, h=-1.0,
                      founded=date(2009, 4, 16), relationship_since=date(2013, 5, 20), account_manager="王磊",
                      third_party_rating="BB", rating_agency="Dun & Bradstreet", terms=60, late_mu=32.0, unit="thousands"))
    custs.append(dict(customer_id="CASE2", name="Mekong Garment Export JSC", name_en="Mekong Garment Export JSC",
                      industry="textiles", country="VN", currency="USD", roles={"case2"}, h=-0.1,
                      founded=date(2006, 9, 12), relationship_since=date(2019, 3, 4), account_manager="Kevin Liu",
                      third_party_rating="BB", rating_agency="Coface", terms=90, late_mu=5.0, unit="thousands"))
    return custs


def draw_customer(s: dict, customer_id: str, rng, scale) -> dict:
    """Add one generic customer's hidden health ``h``, dates, rating, terms and payment habit to spec ``s``."""
    roles = s["roles"]
    h = float(np.clip(rng.normal(0.3, 0.6), -0.9, 1.6))
    if "nd" in roles: h = max(h, 1.0)
    if "loss" in roles: h = min(h, -0.5)
    if "late" in roles: h = min(h, -1.1)
    if "zero" in roles: h = -1.4
    if "neg" in roles: h = -1.8
    dom = s["country"] == "CN"
    founded = date(2023, 7, 3) if "short" in roles else rnd_date(rng, date(1998, 1, 1), date(2019, 12, 31))
    if "y2" in roles or "short" in roles:
        rel = rnd_date(rng, date(2024, 1, 10), date(2024, 9, 20))
    else:
        rel = rnd_date(rng, max(founded + timedelta(days=365), date(2012, 1, 1)), date(2023, 6, 30))
    rated = rng.random() < (0.6 if not dom else 0.45)
    r_idx = int(np.clip(np.round(3.6 - 1.1 * h + rng.normal(0, .5)), 1, 7))
    s.update(customer_id=customer_id, h=h, founded=founded, relationship_since=rel,
             account_manager=(MANAGERS_CN if dom else MANAGERS_EN)[rng.integers(2 if not dom else 4)],
             third_party_rating=scale[r_idx] if rated else None,
             rating_agency=(rng.choice(["CCXI", "Dun & Bradstreet"]) if dom else
                            rng.choice(["Coface", "Dun & Bradstreet"])) if rated else None,
             terms=int(rng.choice([30, 60, 90], p=[.35, .45, .2] if dom else [.1, .5, .4])),
             late_mu=float(rng.uniform(35, 70)) if "late" in roles else float(np.clip(rng.normal(2 - 3 * h, 3), -4, 12)),
             unit="units" if "units" in roles else "thousands")
    return s


#: Extra customers' mix: each generic (industry, roles) slot of the base sample, domestic or foreign, is
#: equally likely, so industries, countries, currencies and roles come in the base sample's proportions.
SLOTS = [(i, "CN", "CNY", r, None) for i, rs in DOMESTIC.items() for r in rs] + \
        [(i, c, cur, r, n) for n, i, c, cur, r in FOREIGN]
PLACE = {"VN": "Saigon", "TH": "Bangkok", "DE": "Rheinland", "US": "Lakeside", "TR": "Anadolu", "BD": "Dhaka",
         "MX": "Monterrey", "AE": "Gulf", "NL": "Holland"}
LEGAL = {"VN": "JSC", "TH": "Co., Ltd.", "DE": "GmbH", "US": "Inc.", "TR": "A.S.", "BD": "Ltd.", "MX": "S.A. de C.V.",
         "AE": "LLC", "NL": "B.V."}
TRADE_EN = {"electronics": "Electronics", "textiles": "Textiles", "machinery": "Machinery", "food": "Foods",
            "construction": "Construction", "wholesale": "Trading", "logistics": "Logistics"}


def build_extra_customer(k: int, rng, policy) -> dict:
    """Customer ``C{k:03d}`` (k > 58) beyond the base sample: a slot of the base mix, a name and the same draws.

    The name carries the customer's number (city + brand + k + suffix at home, place + trade + k + legal
    form abroad), so names stay distinct however many customers there are; no base name has a digit.
    """
    ind, country, cur, roles, _ = SLOTS[int(rng.integers(len(SLOTS)))]
    s = dict(industry=ind, country=country, currency=cur, roles=set(roles.split("+")) - {""})
    if country == "CN":
        city, sfx, brand = CITIES[ind], SUFFIX[ind], BRANDS[int(rng.integers(len(BRANDS)))]
        (c_cn, c_en), (s_cn, s_en) = city[rng.integers(len(city))], sfx[rng.integers(len(sfx))]
        s["name"], s["name_en"] = f"{c_cn}{brand[0]}{k}{s_cn}", f"{c_en} {brand[1]} {k} {s_en}"
    else:
        s["name"] = s["name_en"] = f"{PLACE[country]} {TRADE_EN[ind]} {k} {LEGAL[country]}"
    return draw_customer(s, f"C{k:03d}", rng, policy["rating_scale"])


# ----------------------------------------------------------------------------- statements
def statement_layout(c) -> list[tuple[int, int, date, bool]]:
    """Modelled periods (fiscal_year, months, period_end, published) for a customer."""
    r = c["roles"]
    if "gap" in r:
        return [(y, 12, date(y, 12, 31), y != 2023) for y in (2022, 2023, 2024, 2025)]
    if "y2" in r:
        return [(y, 12, date(y, 12, 31), True) for y in (2024, 2025)]
    lay = [(y, 12, date(y, 12, 31), True) for y in (2023, 2024, 2025)]
    if "interim" in r:
        lay[-1] = (2025, 9, date(2025, 9, 30), True)
    if "short" in r:
        lay[0] = (2023, 6, date(2023, 12, 31), True)
    return lay


def drivers(c, rng, n: int) -> dict:
    """Per-year driver arrays (length n) for the statement model, from industry, h and roles."""
    ind, h, r = IND[c["industry"]], c["h"], c["roles"]
    if "case1" in r:  # small, illiquid: stock piling up, all debt short-term, payables stretched
        return dict(rev=np.array([16800, 18100, 17600.]), gm=np.array([.135, .12, .11]),
                    em=np.array([.035, .024, .016]), dso=np.array([82, 92, 100.]), dio=np.array([90, 100, 108.]),
                    dpo=np.array([88, 104, 118.]), cash=np.array([.03, .02, .012]), oca=.017, ocl=.035, oncl=0.,
                    fa=np.array([.22, .24, .25]), da=.09, eq0=.18, st=np.array([.6, .8, 1.]), rate=.062, tax=.2,
                    payout=.0, tax_credit=False)
    if "case2" in r:  # exporter: revenue +12 % then -15 %, margins squeezed, large receivables
        return dict(rev=np.array([7900, 8850, 7520.]) * FX["USD"], gm=np.array([.175, .165, .13]),
                    em=np.array([.062, .055, .034]), dso=np.array([105, 114, 128.]), dio=np.array([72, 75, 84.]),
                    dpo=np.array([58, 60, 62.]), cash=np.array([.07, .065, .055]), oca=.02, ocl=.04, oncl=.01,
                    fa=np.array([.33, .32, .37]), da=.08, eq0=.48, st=.75, rate=.065, tax=.2, payout=.3, tax_credit=False)
    yr = lambda sd: rng.normal(0, sd, n)  # noqa: E731  per-year noise
    g = 0.06 + 0.04 * h + yr(.07)
    if "short" in r: g[1:] += 0.25
    top = np.clip(np.exp(rng.normal(np.log(26000) + .2 * h, .65)), 5500, 180000)  # latest revenue, CNY k
    if "units" in r: top = 8000 * rng.uniform(.7, 1.4)
    rev = top / np.cumprod((1 + g)[::-1])[::-1] * (1 + g)  # revenue path ending at `top`
    em = ind["em"] + .02 * h + rng.normal(0, .01) + yr(.008)
    if "neg" in r: em[:] = -.035 + yr(.005)
    if "zero" in r: em[:] = .005 + yr(.003)
    if "loss" in r: em[-1] = rng.uniform(-.04, -.015)
    eq0 = float(np.clip(.38 + .12 * h + rng.normal(0, .07), .12, .7))
    eq0 = .85 if "nd" in r else .04 if "neg" in r else .05 if "zero" in r else eq0
    f = lambda base, k: base * (1 - k * h) * np.exp(rng.normal(0, .1)) * np.exp(yr(.05))  # noqa: E731
    return dict(rev=rev, gm=ind["gm"] + .01 * h + rng.normal(0, .01) + yr(.005), em=em,
                dso=f(ind["dso"], .1), dio=f(ind["dio"], .1), dpo=f(ind["dpo"], .12),
                cash=np.clip(.07 + .03 * h + rng.normal(0, .02) + yr(.01), .008, .2), oca=rng.uniform(.01, .04),
                ocl=rng.uniform(.02, .05), oncl=rng.choice([0., rng.uniform(.005, .02)]),
                fa=ind["fa"] * np.exp(rng.normal(0, .25)),
                da=rng.uniform(.07, .12), eq0=eq0, st=rng.uniform(.5, .9),
                rate=rng.uniform(*{"CNY": (.04, .06), "USD": (.06, .085), "EUR": (.045, .065)}[c["currency"]]),
                tax=.2 if c["country"] == "CN" else .22, payout=0. if h < -.5 else rng.uniform(0, .4),
                tax_credit=rng.random() < .5, nd="nd" in r)


PER_YEAR = ("rev", "gm", "em", "dso", "dio", "dpo", "cash", "fa", "st")


def simulate_statements(c, rng) -> list[dict]:
    """Simulate the customer's statements; all identities hold exactly on the rounded figures."""
    lay = statement_layout(c)
    n = len(lay)
    d = {k: (np.broadcast_to(v, n) if k in PER_YEAR else v) for k, v in drivers(c, rng, n).items()}
    fxr = FX.get(c["currency"], 1.0)
    s = 1000.0 / UNIT_FACTORS[c["unit"]]  # model revenue is in CNY thousands
    rows, prev = [], None
    for i, (fy, months, pend, published) in enumerate(lay):
        k = months / 12
        rev_a = d["rev"][i] / fxr * s
        cogs_a = rev_a * (1 - d["gm"][i])
        ar, inv = R(rev_a * d["dso"][i] / 365), R(cogs_a * d["dio"][i] / 365)
        cash, oca, fa = R(rev_a * d["cash"][i]), R(rev_a * d["oca"]), R(rev_a * d["fa"][i])
        ap, ocl, oncl = R(cogs_a * d["dpo"][i] / 365), R(rev_a * d["ocl"]), R(rev_a * d["oncl"])
        revenue, cogs = R(rev_a * k), R(cogs_a * k)
        da = R(fa * d["da"] * k)
        opex = max(R(revenue * (d["gm"][i] - d["em"][i])), da + R(.03 * revenue))
        ebit = revenue - cogs - opex
        ta0 = cash + ar + inv + oca + fa
        if prev is None:
            equity = R(d["eq0"] * ta0)
            debt_for_int = max(ta0 - equity - ap - ocl - oncl, 0)
        else:
            debt_for_int = prev["short_term_debt"] + prev["long_term_debt"]
        interest = R(d["rate"] * debt_for_int * k)
        other = R(rng.normal(0, .003) * revenue)
        ebt = ebit - interest + other
        tax = R(ebt * d["tax"]) if ebt > 0 else (R(ebt * .1) if d["tax_credit"] else 0)
        ni = ebit - interest - tax + other
        if prev is not None:
            div = R(max(ni, 0) * d["payout"]) if prev["equity"] > 0 else 0
            equity = prev["equity"] + ni - div
        debt = ta0 - equity - ap - ocl - oncl
        if d.get("nd") and debt > 0:  # debt-free firms run their cash down instead of borrowing
            move = min(debt, max(cash - R(.02 * rev_a), 0))
            cash, debt = cash - move, debt - move
        if debt < 0:  # surplus funding sits in cash
            cash, debt = cash - debt, 0
        std = R(debt * d["st"][i]); ltd = debt - std
        ca = cash + ar + inv + oca
        ta = ca + fa
        cl = ap + std + ocl
        tl = cl + ltd + oncl
        nwc = ar + inv + oca - ap - ocl
        if prev is None:
            g = d["rev"][1] / d["rev"][0] - 1 if n > 1 else 0.05
            pic = R(max(equity, ta * .05) * rng.uniform(.3, .8)) if equity > 0 else R(ta * .08)
            d_nwc, d_fa = (nwc * .5, fa * .5) if months < 12 else (nwc * g / (1 + g), fa * g / (1 + g))
        else:
            pic = prev["paid_in_capital"]
            d_nwc, d_fa = nwc - prev["_nwc"], fa - prev["fixed_assets"]
        ocf = R(ni + da - d_nwc + rng.normal(0, .01) * revenue)
        capex = R(max(0.0, d_fa + da))
        row = dict(customer_id=c["customer_id"], fiscal_year=fy, period_end=pend.isoformat(), months=months,
                   currency=c["currency"], unit=c["unit"], audited=None, revenue=revenue, cost_of_sales=cogs,
                   operating_expenses=opex, depreciation_amortization=da, ebit=ebit, interest_expense=interest,
                   income_tax=tax, net_income=ni, cash=cash, receivables=ar, inventory=inv, other_current_assets=oca,
                   current_assets=ca, fixed_assets=fa, total_assets=ta, payables=ap, short_term_debt=std,
                   other_current_liabilities=ocl, current_liabilities=cl, long_term_debt=ltd, total_liabilities=tl,
                   paid_in_capital=pic, retained_earnings=ta - tl - pic, equity=ta - tl, operating_cash_flow=ocf,
                   capital_expenditure=capex, other_non_operating=other, other_noncurrent_liabilities=oncl,
                   _nwc=nwc, _published=published)
        rows.append(row)
        prev = row
        row["_size"] = revenue / s * fxr / k  # annualized revenue in CNY thousands
    return [r for r in rows if r["_published"]]


def assign_audit(stm: list[dict], rng, share: float = .3, cut: float | None = None) -> float:
    """Mark ~30 % of statement rows unaudited, the smallest firms (size score + noise) first.

    Foreign firms are nearly always audited; CASE1's latest year is unaudited, CASE2 is audited.
    Returns the score cut; given ``cut`` (the base sample's), rows are marked against it instead.
    """
    score = np.array([np.log(r["_size"]) + rng.normal(0, .5) + 2.0 * (r["currency"] != "CNY") for r in stm])
    if cut is None:
        cut = np.sort(score)[int(round(share * len(stm)))]
    for r, sc in zip(stm, score):
        r["audited"] = bool(sc >= cut)
    for cid in ("CASE1", "CASE2"):
        rs = [r for r in stm if r["customer_id"] == cid]
        for r in rs:
            r["audited"] = True
        if rs:
            rs[-1]["audited"] = cid == "CASE2"
    return float(cut)


# ----------------------------------------------------------------------------- bank credit
def make_bank(c, last: dict, rng) -> list[dict]:
    """Facilities from the latest statement's borrowings (scaled to currency units)."""
    r, h = c["roles"], c["h"]
    if "nb" in r:
        return []
    f = UNIT_FACTORS[last["unit"]] * rng.uniform(.97, 1.06)
    st, lt = last["short_term_debt"] * f, last["long_term_debt"] * f
    rnd = 1000 if c["currency"] == "CNY" else 100
    banks = [str(b) for b in rng.permutation(BANKS_CN if c["country"] == "CN" else BANKS_FX[c["country"]])]
    st_cny = st * FX.get(c["currency"], 1)
    u = rng.random()  # always drawn, so the random stream does not depend on the branch
    n_st = 3 if "case1" in r else 1 + int(st_cny > 4e6 and u < .7) + int(st_cny > 15e6)
    util = .9 if "case1" in r else float(np.clip(rng.normal(.6 - .18 * h, .1), .15, .99))
    facs = []
    shares = np.array([.4, .33, .27])[:n_st] if "case1" in r else rng.dirichlet(np.ones(n_st) * 3)
    for j, sh in enumerate(shares):
        out = st * sh
        lim = max(out / util * (1 if "case1" in r else rng.uniform(.95, 1.05)), 500_000 / FX.get(c["currency"], 1)) if out > 0 else \
            rng.uniform(1e6, 3e6) / FX.get(c["currency"], 1)
        ftype = str(rng.choice(["credit_line", "trade_finance", "overdraft"], p=[.6, .25, .15]))
        if "case1" in r or "case2" in r:  # exporter CASE2 uses trade finance first
            ftype = (["credit_line", "trade_finance", "overdraft"] if "case1" in r else ["trade_finance", "credit_line"])[j]
        facs.append([ftype, lim, out])
    if lt > 0:
        facs.append(["leasing" if rng.random() < .25 else "term_loan", lt * rng.uniform(1.2, 1.6), lt])
    if rng.random() < .2 and "case1" not in r:
        facs.append(["term_loan", rng.uniform(5e5, 2e6) / FX.get(c["currency"], 1), 0.0])  # repaid, closed
    rows = []
    for j, (ftype, lim, out) in enumerate(facs[:4]):
        closed = out == 0 and j == len(facs) - 1 and ftype == "term_loan"
        od, weak = 0, "late" in r or "neg" in r or "zero" in r
        if closed:
            pass
        elif weak and j == 0:
            od = int(rng.choice([15, 30, 45, 60, 90]))
        elif "case1" in r and j == 0:
            od = 30
        elif h < -.3 and rng.random() < .2:
            od = 15
        mx = 45 if "case1" in r else max(od, int(rng.choice([0, 0, 0, 7, 15])) if h > -.3 else int(rng.choice([15, 30, 60])))
        status, pdft = ("closed" if closed else "active"), int(weak and j == 0 and rng.random() < .5)
        if "neg" in r and "nov" in r and j == 0:  # one defaulted facility in the portfolio
            status, od, mx, pdft = "defaulted", 120, 120, 1
        rows.append(dict(customer_id=c["customer_id"], facility_id=f"F{j + 1}", report_date=REPORT_DATE.isoformat(),
                         lender=banks[j % len(banks)], facility_type=ftype,
                         currency=c["currency"], limit=float(round(lim / rnd) * rnd),
                         outstanding=float(round(out / rnd) * rnd),
                         overdue_days=od, max_overdue_days_24m=max(mx, od), past_defaults=pdft, status=status))
    return rows


# ----------------------------------------------------------------------------- invoices
def make_invoices(c, rng) -> list[dict]:
    """Monthly invoices around expected purchases; lateness per customer (CASE1 worsening)."""
    r, rows = c["roles"], []
    lam = float(rng.integers(2, 9))
    mean_amt = c["expected_monthly_purchases"] / lam
    start = max(LEDGER_START, c["relationship_since"])
    for m in range(24):
        y, mo = 2024 + (9 + m) // 12, (9 + m) % 12 + 1
        for _ in range(int(rng.poisson(lam))):
            inv_d = date(y, mo, int(rng.integers(1, 29)))
            if inv_d < start:
                continue
            amt = mean_amt * rng.lognormal(0, .35)
            if "big" in r and rng.random() < .02:
                amt *= rng.uniform(3, 5)
            rnd = 2 if c["currency"] != "CNY" else 0
            amt = round(float(amt), rnd)
            due = inv_d + timedelta(days=c["terms"])
            mu = 22 + 16 * m / 23 if "case1" in r else c["late_mu"]
            late = int(np.round(rng.normal(mu, 3 + .2 * abs(mu))))
            if "case2" in r: late = int(np.clip(late, -2, 12))
            pay_d = max(due + timedelta(days=late), inv_d + timedelta(days=3))
            paid, pdate = amt, pay_d
            if pay_d > AS_OF:
                paid, pdate = 0.0, None
            elif rng.random() < (.04 if c["late_mu"] > 20 else .005):
                paid = round(amt * float(rng.uniform(.3, .9)), rnd)
            rows.append(dict(customer_id=c["customer_id"], invoice_date=inv_d.isoformat(), due_date=due.isoformat(),
                             currency=c["currency"], amount=float(amt), paid_amount=float(paid),
                             paid_date=pdate.isoformat() if pdate else None))
    return rows


# ----------------------------------------------------------------------------- contacts
TEXT = {
    "visit": ("现场拜访，参观生产线，了解下季度采购计划。", "On-site visit; reviewed their production plan for next quarter."),
    "call": ("电话沟通订单交期和价格。", "Call about delivery schedule and prices."),
    "call_late": ("催收逾期发票，客户称资金周转紧张，承诺月底前付款。",
                  "Chased overdue invoices; customer cites tight cash, promises payment by month end."),
    "email": ("邮件确认报价和付款条件。", "Email confirming quotation and payment terms."),
    "meeting": ("业务回顾会议，讨论采购量和信用额度。", "Business review meeting: volumes and credit limit discussed."),
    "complaint": ("客户投诉部分批次交货延迟。", "Customer complained about a delayed shipment."),
    "dispute": ("客户对发票金额和质量扣款有异议。", "Customer disputes invoice amount / quality deduction."),
    "feedback": ("客户反馈产品质量稳定，服务满意。", "Positive feedback on product quality and service."),
}


def make_contacts(c, rng) -> list[dict]:
    """Contact log over the ledger period; weak customers dispute more and resolve less."""
    r, h, dom = c["roles"], c["h"], c["country"] == "CN"
    start, days = max(LEDGER_START, c["relationship_since"]), (AS_OF - max(LEDGER_START, c["relationship_since"])).days
    last_visit = date(2025, 8, 31) if "nov" in r else AS_OF
    gap, rows = (90 if dom else 160), []
    v = start + timedelta(days=int(rng.integers(5, gap)))
    while v <= last_visit:  # regular visits, every ~3 months at home and ~5 months abroad
        rows.append(dict(customer_id=c["customer_id"], date=v.isoformat(), kind="visit", account_manager=c["account_manager"],
                         summary=TEXT["visit"][0 if dom else 1], resolved=None, resolved_date=None))
        v += timedelta(days=int(gap * rng.uniform(.7, 1.3)))
    rate = {"call": 1 / 35, "email": 1 / 45, "meeting": 1 / 240,
            "complaint": 1 / 400, "dispute": (1 / 250 if h < -.8 else 1 / 1200), "feedback": 1 / 300}
    for kind, lam in rate.items():
        for _ in range(int(rng.poisson(lam * days))):
            dt = start + timedelta(days=int(rng.integers(0, days + 1)))
            key = "call_late" if kind == "call" and c["late_mu"] > 15 and rng.random() < .6 else kind
            res, rdate = None, None
            if kind in ("complaint", "dispute"):
                rdate = dt + timedelta(days=int(rng.integers(3, 60)))
                res = bool(rdate <= AS_OF and rng.random() < (.9 if h > -.5 else .55))
                rdate = rdate if res else None
            rows.append(dict(customer_id=c["customer_id"], date=dt.isoformat(), kind=kind,
                             account_manager=c["account_manager"], summary=TEXT[key][0 if dom else 1], resolved=res,
                             resolved_date=rdate.isoformat() if rdate else None))
    return rows


# ----------------------------------------------------------------------------- outcomes
def make_outcomes(rng, policy, n_cust: int = 1260) -> pd.DataFrame:
    """Historical customer-years with correlated characteristics and a logistic default draw."""
    inds = list(IND)
    risk = {"low": -.35, "medium": 0., "high": .35}
    inv_share = {"electronics": .35, "textiles": .38, "machinery": .42, "food": .25, "construction": .15,
                 "wholesale": .35, "logistics": .04}
    cid, yrs, hs, ind, ctry, rel, size, rated, lines = [], [], [], [], [], [], [], [], []
    for i in range(n_cust):
        n = int(rng.integers(1, 7)); y0 = int(rng.integers(2015, 2026 - n))
        z, i_ind = rng.normal(), inds[rng.choice(7, p=[.2, .13, .14, .12, .12, .17, .12])]
        cc = "CN" if rng.random() < .78 else str(rng.choice(["VN", "TH", "DE", "US", "TR", "BD", "MX", "AE"]))
        r0, sz, rt, ln = rng.exponential(4), rng.normal(0, .6), rng.random() < .5, rng.random() < .88
        for t in range(n):
            z = z if t == 0 else .85 * z + np.sqrt(1 - .85 ** 2) * rng.normal()
            cid.append(f"H{i + 1:05d}"); yrs.append(y0 + t); hs.append(z); ind.append(i_ind); ctry.append(cc)
            rel.append(r0 + t); size.append(sz); rated.append(rt); lines.append(ln)
    h, N = np.array(hs), len(hs)
    e = lambda sd: rng.normal(0, sd, N)  # noqa: E731
    ind_a = np.array(ind)
    cr = np.exp(np.log(1.4) + .30 * h + e(.2))
    qr = cr * (1 - np.clip(np.array([inv_share[x] for x in ind]) + e(.08), .02, .7))
    er = .36 + .13 * h + e(.09)
    debt_frac = np.clip(.55 - .05 * h + e(.15), .05, .9) * (rng.random(N) > .04)
    de = np.where(er > 0, debt_frac * (1 - er) / np.where(er > 0, er, 1), np.nan)
    em = np.array([IND[x]["em"] for x in ind]) + .03 * h + e(.025)
    rev = np.clip(np.exp(np.log(30e6) + .15 * h + np.array(size) + e(.15)), 3e6, 3e8)
    ta = rev * np.exp(np.log(.8) + e(.2))
    interest = .055 * debt_frac * (1 - er).clip(0.05) * ta
    ic = np.where(interest > 0, em * rev / np.where(interest > 0, interest, 1), np.nan)
    ebt = em * rev - interest
    roa = (ebt - .22 * ebt.clip(0)) / ta + e(.005)
    od_days = rng.choice([15, 30, 45, 60, 90, 120], N, p=[.3, .3, .15, .12, .08, .05])
    od = np.where(rng.random(N) < 1 / (1 + np.exp(3.0 + 1.2 * h)), od_days, 0)
    util = np.where(lines, np.clip(1 / (1 + np.exp(-(.5 - .8 * h + e(.7)))), 0, 1.1), np.nan)
    pdef = rng.poisson(np.exp(-3.6 - 1.0 * h))
    dbt = np.exp(1.6 - .55 * h + e(.5)) - 4
    rating = np.clip(np.round(3.8 - 1.1 * h + e(.6)), 0, 9).astype(int)
    disp = rng.poisson(np.exp(-1.9 - .6 * h))
    rc = np.array([risk[policy["industries"][x]["risk_class"]] for x in ind])
    x = (-1.3 * np.log(cr) - .8 * np.log(qr.clip(.05)) + .35 * np.log1p(np.nan_to_num(de, nan=0)) + 1.2 * (er <= 0)
         - .06 * np.nan_to_num(np.clip(ic, -5, 15), nan=5) - 7 * em + .015 * od + .9 * np.minimum(pdef, 3)
         + .035 * dbt.clip(-5, 60) + .7 * np.nan_to_num(util, nan=.5) + .3 * disp + rc + .15 * (np.array(ctry) != "CN")
         - .04 * np.array(rel).clip(0, 15) - .15 * np.log(rev / 30e6))
    x = .75 * x
    lo, hi = -15.0, 5.0
    for _ in range(60):  # calibrate intercept: mean PD = 5 %
        a = (lo + hi) / 2
        lo, hi = (a, hi) if (1 / (1 + np.exp(-(a + x)))).mean() < .058 else (lo, a)
    pd_true = 1 / (1 + np.exp(-(a + x)))
    dflt = (rng.random(N) < pd_true).astype(int)
    df = pd.DataFrame(dict(customer_id=cid, fiscal_year=yrs, industry=ind_a, country=ctry,
                           current_ratio=cr.round(3), quick_ratio=qr.round(3), debt_to_equity=np.round(de, 3),
                           interest_coverage=np.round(ic, 2), ebit_margin=em.round(4), roa=roa.round(4),
                           revenue=np.round(rev, -3), bank_overdue_days=od, credit_line_utilization=np.round(util, 3),
                           bank_past_defaults=pdef, days_beyond_terms=dbt.round(1), relationship_years=np.round(rel, 1),
                           third_party_rating=np.where(rated, np.array(policy["rating_scale"])[rating], None),
                           unresolved_disputes=disp, default=dflt))
    df["_pd"] = pd_true
    for cols in (["current_ratio", "quick_ratio"], ["interest_coverage"], ["ebit_margin"], ["roa"], ["days_beyond_terms"]):
        df.loc[rng.random(N) < .025, cols] = np.nan  # a few missing values
    first_def = df[df["default"] == 1].groupby("customer_id")["fiscal_year"].min()
    keep = df["fiscal_year"] <= df["customer_id"].map(first_def).fillna(9999)
    df = df[keep].reset_index(drop=True)  # a customer's history ends with its default
    return df


def auc(score: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve by the rank (Mann-Whitney) formula."""
    ranks = np.empty(len(score)); ranks[np.argsort(score, kind="mergesort")] = np.arange(1, len(score) + 1)
    n1, n0 = y.sum(), len(y) - y.sum()
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# ----------------------------------------------------------------------------- writing
def write_table(rows, name: str, out: Path) -> pd.DataFrame:
    """Write ``rows`` with exactly the contract's columns, in contract order."""
    table = TABLES[name]
    df = pd.DataFrame(rows).reindex(columns=table.names)
    for col in table.columns:
        if col.kind == "bool":
            df[col.name] = df[col.name].map({True: "true", False: "false"})
        elif col.kind == "int":
            df[col.name] = df[col.name].astype("Int64")
    df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
    return df


def simulate_customer(c: dict, rng) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """One customer's statements, bank facilities, invoices and contacts (sets its purchases, limit, staff)."""
    rows = simulate_statements(c, rng)
    last = rows[-1]
    rev_cny = last["revenue"] * UNIT_FACTORS[last["unit"]] * 12 / last["months"] * FX.get(c["currency"], 1)
    lo, hi = IND[c["industry"]]["share"]
    emp = rev_cny * rng.uniform(lo, hi) / 12 / FX.get(c["currency"], 1)
    rnd = 1000 if c["currency"] == "CNY" else 100
    c["expected_monthly_purchases"] = float(round(emp / rnd) * rnd)
    c["requested_limit"] = float(round(emp * (c["terms"] / 30 + 1) * rng.uniform(.9, 1.3) / (rnd * 10)) * rnd * 10)
    c["employees"] = int(np.clip(rev_cny / 1000 / rng.uniform(250, 900), 5, 300))
    return rows, make_bank(c, last, rng), make_invoices(c, rng), make_contacts(c, rng)


def numbered(rows: list[dict], table: str, sort: list[str], fmt: str, start: int = 0) -> pd.DataFrame:
    """``rows`` of ``table`` sorted stably by ``sort``, its id column (the first) numbered from ``start + 1``."""
    col, *rest = TABLES[table].names
    df = pd.DataFrame(rows, columns=None if rows else rest).sort_values(sort, kind="mergesort")
    df.insert(0, col, [fmt.format(start + i + 1) for i in range(len(df))])
    return df


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--customers", type=int, default=60, metavar="N",
                    help="number of current customers, at least 60 (default 60: the committed sample); "
                         "the first 60 are always the same")
    args = ap.parse_args(argv)
    if args.customers < 60:
        ap.error("--customers must be at least 60 (the base sample)")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    pol_path = out / "policy.yaml" if (out / "policy.yaml").exists() else ROOT / "data" / "sample" / "policy.yaml"
    policy = yaml.safe_load(pol_path.read_text(encoding="utf-8"))
    rng = np.random.default_rng(SEED)
    custs = build_customers(rng, policy)
    stm, bank, inv, con = [], [], [], []
    for c in custs:
        rows, b, i, k = simulate_customer(c, rng)
        stm += rows; bank += b; inv += i; con += k
    cut = assign_audit(stm, rng)
    add_market_profile(custs, np.random.default_rng(SEED + 1))
    inv_df = numbered(inv, "invoices", ["invoice_date", "customer_id"], "INV-{:06d}")
    con_df = numbered(con, "contacts", ["date", "customer_id", "kind"], "CT-{:05d}")
    qa = make_assessments(custs, stm, con_df, policy, np.random.default_rng(SEED + 2))

    # Extra customers C059, C060, ...: each its own generator, its rows after the base sample's in every table.
    x_custs, x_stm, x_bank, x_inv, x_con, x_qa = [], [], [], [], [], []
    for k in range(59, args.customers - 1):
        xr = np.random.default_rng([SEED + 3, k])
        c = build_extra_customer(k, xr, policy)
        rows, b, i, cc = simulate_customer(c, xr)
        assign_audit(rows, xr, cut=cut)
        add_market_profile([c], xr)
        qa_c = make_assessments([c], rows, pd.DataFrame(cc, columns=TABLES["contacts"].names[1:]), policy, xr)
        x_custs.append(c); x_stm += rows; x_bank += b; x_inv += i; x_con += cc; x_qa += qa_c
    if x_custs:
        custs, stm, bank, qa = custs + x_custs, stm + x_stm, bank + x_bank, qa + x_qa
        inv_df = pd.concat([inv_df, numbered(x_inv, "invoices", ["invoice_date", "customer_id"], "INV-{:06d}",
                                             len(inv_df))], ignore_index=True)
        con_df = pd.concat([con_df, numbered(x_con, "contacts", ["date", "customer_id", "kind"], "CT-{:05d}",
                                             len(con_df))], ignore_index=True)
    cust_rows = [{**c, "founded": c["founded"].isoformat(), "relationship_since": c["relationship_since"].isoformat()}
                 for c in custs]
    write_table(cust_rows, "customers", out)
    write_table(stm, "financial_statements", out)
    write_table(bank, "bank_credit", out)
    write_table(inv_df, "invoices", out)
    write_table(con_df, "contacts", out)
    write_table(qa, "assessments", out)
    oc = make_outcomes(rng, policy)
    print(f"outcomes: {len(oc)} rows, default rate {oc['default'].mean():.2%}, "
          f"AUC of true PD {auc(oc['_pd'].to_numpy(), oc['default'].to_numpy()):.3f}")
    write_table(oc, "outcomes", out)
    write_table([dict(currency=k, rate_to_base=v, as_of=AS_OF.isoformat()) for k, v in FX.items()], "fx_rates", out)
    write_table(BENCHMARKS, "industry_benchmarks", out)
    summarize(out)


#: External quartiles for one industry, to show the optional table at work. Illustrative figures made up
#: for the sample, and labelled so in the report; real ones come from a statistics office or a vendor.
BENCHMARKS = [dict(industry="logistics", ratio=r, q1=q1, median=m, q3=q3,
                   source="illustrative benchmark (sample data)", year=2025)
              for r, q1, m, q3 in (("current_ratio", 1.05, 1.35, 1.75), ("quick_ratio", 0.85, 1.15, 1.55),
                                   ("debt_to_equity", 0.45, 0.95, 1.80), ("ebit_margin", 0.02, 0.045, 0.07),
                                   ("dso", 45.0, 62.0, 85.0))]


def add_market_profile(custs: list[dict], rng) -> None:
    """Export share and largest buyer's share, drawn with their own generator so that every other
    figure of the sample stays as it was. About one customer in six leaves them empty (not on file)."""
    for c in custs:
        if c["customer_id"] == "CASE1":
            c["export_share"], c["largest_buyer_share"] = 0.05, 0.22
            continue
        if c["customer_id"] == "CASE2":  # a garment exporter selling to a few European and US buyers
            c["export_share"], c["largest_buyer_share"] = 0.88, 0.35
            c["insurer_limit"] = 100000.0  # the export credit insurer's own limit on the buyer, USD
            continue
        known = rng.random() > 0.17
        foreign = c["country"] != "CN"
        exporter = c["industry"] in ("textiles", "electronics", "machinery") and (foreign or rng.random() < .3)
        export = rng.uniform(.45, .9) if exporter and foreign else rng.uniform(.1, .5) if exporter else rng.uniform(0, .12)
        buyer = float(np.clip(rng.beta(2.2, 8.0), .04, .6))
        c["export_share"] = round(float(export), 2) if known else None
        c["largest_buyer_share"] = round(buyer, 2) if known else None


# ----------------------------------------------------------------------------- assessments
ANALYSTS_CN, ANALYSTS_EN = ["赵敏", "孙浩"], ["Grace Chen"]
#: Evidence per question and answer quality (good, middling, poor), Chinese for domestic customers.
EVIDENCE = {
    "management_experience": (("总经理从业十五年以上，核心团队稳定。", "Managing director 15+ years in the trade; stable team."),
                              ("管理层从业年限一般，近两年有高管变动。", "Management moderately experienced; a senior change in two years."),
                              ("管理层经验不足，主要决策依赖实际控制人一人。", "Thin management; decisions rest on the owner alone.")),
    "ownership_succession": (("股权结构清晰，已安排副总经理接班。", "Clear ownership; deputy named as successor."),
                             ("家族持股，接班人尚未明确。", "Family-owned; successor not yet named."),
                             ("股权存在代持及关联方往来，无接班安排。", "Nominee shareholding and related-party flows; no succession.")),
    "internal_controls": (("财务岗位分离，月度对账，年报经审计。", "Duties separated, monthly reconciliations, audited accounts."),
                          ("有专职会计，但出纳与记账未分离。", "Qualified bookkeeper, but cash and books not separated."),
                          ("账务由代账公司处理，报表未经审计且对账滞后。", "Books kept by an outside agent; unaudited, reconciliations late.")),
    "customer_supplier_dependence": (("客户分散，前五大客户占比不足四成。", "Spread customer base; top five under 40 % of sales."),
                                     ("对前两大客户依赖较明显。", "Noticeable dependence on its two largest buyers."),
                                     ("单一大客户占销售额比重过高。", "One buyer takes a very large share of sales.")),
    "legal_disputes": (("查询裁判文书网及执行信息公开网，未发现涉诉记录。", "Court and enforcement registers searched: nothing found."),
                       ("存在少量买卖合同纠纷，金额不大。", "A few small sales-contract disputes on record."),
                       ("存在未结诉讼及质量扣款争议。", "Open litigation and disputed quality deductions.")),
    "site_visit": (("厂区整洁，开工率高，库存与报表相符。", "Tidy premises, busy lines, stock as reported."),
                   ("经营正常，部分库存积压。", "Operating normally; some slow-moving stock."),
                   ("开工不足，库存与报表差异较大。", "Lines idle; stock far below the reported figure.")),
    "industry_outlook": (("下游需求旺盛，订单饱满。", "Strong downstream demand; full order book."),
                         ("细分市场需求平稳。", "Demand in its niche is steady."),
                         ("下游需求疲软，价格竞争激烈。", "Weak downstream demand and price pressure.")),
    "transparency": (("按时提供报表和征信授权，沟通顺畅。", "Statements and bank-report consent given on time."),
                     ("资料提供需多次催要。", "Documents arrive after several reminders."),
                     ("拒绝提供银行流水和完整报表。", "Refuses bank statements and full accounts.")),
}
#: The seed cases, answered by hand: CASE1's weak liquidity and unaudited books, CASE2's export exposure.
CASE_ANSWERS = {
    "CASE1": ("2026-08-20", "赵敏", {
        "management_experience": ("adequate", "总经理从事电子元器件贸易十余年，但财务总监于2025年离职后未补缺。"),
        "ownership_succession": ("adequate", "夫妻二人持股100%，接班人尚未明确。"),
        "internal_controls": ("weak", "2025年报表未经审计；出纳与会计由同一人兼任，应收账款对账滞后两个月。"),
        "customer_supplier_dependence": ("moderate", "最大客户占销售额约22%，主要供应商两家。"),
        "legal_disputes": ("minor", "执行信息公开网无记录；与一家下游客户有一起小额买卖合同纠纷。"),
        "site_visit": ("acceptable", "2026年8月走访：生产线开工约七成，部分库存积压。"),
        "industry_outlook": ("stable", "消费电子下游需求平稳，价格竞争加剧。"),
        "transparency": ("adequate", "报表和征信授权需催要后提供。")}),
    "CASE2": ("2026-07-15", "Grace Chen", {
        "management_experience": ("strong", "Founder has run garment exports for 20 years; experienced sales team."),
        "ownership_succession": ("adequate", "Family-owned; the founder's son is deputy director."),
        "internal_controls": ("adequate", "Audited accounts (local auditor); ERP for orders, manual cash book."),
        "customer_supplier_dependence": ("high", "Largest buyer (EU retailer) about 35 % of sales; top three over 70 %."),
        "legal_disputes": ("none", "No court or enforcement records found in Vietnam."),
        "site_visit": ("good", "Visited July 2026: three lines running, order book to December."),
        "industry_outlook": ("uncertain", "Export demand from the EU and US uncertain; tariffs and price pressure."),
        "transparency": ("strong", "Audited statements and bank references supplied promptly.")}),
}


def make_assessments(custs: list[dict], stm: list[dict], contacts: pd.DataFrame, policy: dict, rng) -> list[dict]:
    """The analyst's questionnaire per customer, consistent with its figures and contact log.

    About 15 % of customers have none, about 10 % only one older than 12 months (stale) and about 15 %
    an older one besides the current one. A customer without a visit in the last 12 months has no
    site-visit answer. The answer to each question follows the hidden health ``h`` plus noise, moved by
    what the files show: audited latest statements (internal controls), the largest buyer's share
    (dependence), open or recent disputes and complaints (legal disputes), the policy's industry outlook.
    """
    qa = policy["assessment"]
    scales = {k: [lv["answer"] for lv in v] for k, v in qa["scales"].items()}
    audited = {r["customer_id"]: r["audited"] for r in sorted(stm, key=lambda r: (r["customer_id"], r["period_end"]))}
    co = contacts.assign(date=pd.to_datetime(contacts["date"]))
    rows = []

    def answer(scale: str, x: float) -> str:  # x: higher is better; four answers, best first
        levels = scales[scale]
        return levels[int(np.clip(np.digitize(-x, [-0.9, -0.1, 0.7]), 0, len(levels) - 1))]

    for c in custs:
        cid, dom = c["customer_id"], c["country"] == "CN"
        if cid in CASE_ANSWERS:
            when, analyst, answers = CASE_ANSWERS[cid]
            rows += [dict(customer_id=cid, assessment_date=when, analyst=analyst, question=q, answer=a, evidence=e)
                     for q, (a, e) in answers.items()]
            continue
        u = rng.random()
        if u < 0.15:
            continue
        stale = u < 0.25
        age = int(rng.integers(13, 22)) if stale else int(rng.integers(0, 11))
        dates = [pd.Timestamp(AS_OF) - pd.DateOffset(months=age, days=int(rng.integers(0, 25)))]
        if not stale and rng.random() < 0.18:
            dates.insert(0, dates[0] - pd.DateOffset(months=int(rng.integers(12, 18))))
        mine = co[co["customer_id"] == cid]
        for k, when in enumerate(dates):
            when = max(when, pd.Timestamp(c["relationship_since"]))
            if when > pd.Timestamp(AS_OF):
                continue
            analyst = (ANALYSTS_CN if dom else ANALYSTS_EN)[int(rng.integers(2 if dom else 1))]
            past = mine[mine["date"] <= when]
            disputes = past[past["kind"].isin(["complaint", "dispute"])]
            recent = disputes[disputes["date"] > when - pd.DateOffset(months=12)]
            open_ = disputes[~disputes["resolved"].fillna(False).astype(bool)]
            visited = (past[past["kind"].isin(["visit", "meeting"])]["date"] > when - pd.DateOffset(months=12)).any()
            h = c["h"] - (0.3 if k == len(dates) - 1 else 0.0) * (c["h"] < 0)  # weak firms drift weaker
            buyer = c.get("largest_buyer_share")
            outlook = policy["industries"][c["industry"]].get("outlook", "stable")
            x = {
                "management_experience": h + rng.normal(0, .5),
                "ownership_succession": 0.5 * h + rng.normal(0.1, .6),
                "internal_controls": h + (0.5 if audited.get(cid) else -0.3) + rng.normal(0, .4),
                "customer_supplier_dependence": (1.2 - 4 * buyer + rng.normal(0, .3)) if buyer is not None
                else h + rng.normal(0, .6),
                "legal_disputes": 1.0 - 0.6 * len(recent) - 0.9 * len(open_) + 0.3 * h + rng.normal(0, .3),
                "site_visit": h + rng.normal(0.1, .5),
                "industry_outlook": {"improving": 1.0, "stable": 0.3, "uncertain": -0.5, "deteriorating": -1.2}[outlook]
                + rng.normal(0, .35),
                "transparency": h + (-0.8 if "nb" in c["roles"] else 0.2) + rng.normal(0, .5),
            }
            for q in qa["questions"]:
                name = q["name"]
                if name == "site_visit" and not visited:
                    continue  # no visit in the year before: the analyst cannot answer it
                a = answer(q["scale"], x[name])
                quality = 0 if a == scales[q["scale"]][0] else 2 if a in scales[q["scale"]][2:] else 1
                evidence = EVIDENCE[name][quality][0 if dom else 1]
                if rng.random() < 0.02:
                    evidence = None  # an answer without evidence: a warning of the validation
                rows.append(dict(customer_id=cid, assessment_date=when.date().isoformat(), analyst=analyst,
                                 question=name, answer=a, evidence=evidence))
    return rows


def summarize(out: Path) -> None:
    """Print row counts, file hashes and headline figures read back from the written CSVs."""
    for name in TABLES:
        p = out / f"{name}.csv"
        print(f"{p.name:26s} {len(pd.read_csv(p)):6d} rows  sha256 {hashlib.sha256(p.read_bytes()).hexdigest()[:16]}")
    fs = pd.read_csv(out / "financial_statements.csv").sort_values("period_end").groupby("customer_id").tail(1)
    for cid in ("CASE1", "CASE2"):
        r = fs[fs["customer_id"] == cid].iloc[0]
        print(f"{cid} {r['fiscal_year']}: current ratio {r['current_assets'] / r['current_liabilities']:.2f}, "
              f"quick ratio {(r['current_assets'] - r['inventory']) / r['current_liabilities']:.2f}")
    cu = pd.read_csv(out / "customers.csv")
    print("customers per industry:", cu["industry"].value_counts().sort_index().to_dict())
    print(f"domestic {int((cu['country'] == 'CN').sum())}, foreign {int((cu['country'] != 'CN').sum())}")

if __name__ == "__main__":
    main()
