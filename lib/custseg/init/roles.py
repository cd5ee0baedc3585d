"""Which canonical column (:data:`custseg.schema.SCHEMAS`) each column of an export is, from its name in English
or Chinese and from its values, with the reason in words; and how its dates and numbers are written."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from custseg.schema import SCHEMAS
from custseg.sources.parsing import DATE_SHAPES, AmbiguousNumbers, NumberFormat, number_format

# a column's name, lower case without spaces or punctuation ("Customer ID" → customerid), → the canonical column it
# names; Chinese names as exports write them. The first words of each are exact names, a Chinese word also counts
# inside a longer name (会员编号 in 会员编号（新）).
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customerid", "custid", "customer", "customerno", "customernumber", "customercode", "clientid",
                    "client", "userid", "user", "memberid", "member", "memberno", "accountid", "account", "buyerid",
                    "buyer", "shopperid", "respondent", "respondentid", "id", "会员编号", "会员id", "会员号",
                    "会员卡号", "客户编号", "客户id", "客户号", "客户代码", "用户id", "用户编号", "买家id", "买家",
                    "受访者", "答卷编号"),
    "order_ts": ("orderdate", "orderts", "ordertime", "orderdatetime", "date", "invoicedate", "purchasedate",
                 "transactiondate", "txndate", "timestamp", "datetime", "time", "createdat", "paidat", "下单日期",
                 "下单时间", "订单日期", "订单时间", "交易日期", "交易时间", "购买日期", "购买时间", "支付时间",
                 "付款时间", "成交时间", "日期", "时间"),
    "amount": ("amount", "total", "totalamount", "sales", "sale", "revenue", "spend", "value", "linetotal",
               "ordervalue", "paid", "payment", "amt", "netamount", "金额", "实付金额", "实付", "销售额", "订单金额",
               "消费金额", "总价", "总金额", "成交金额", "支付金额", "付款金额"),
    "quantity": ("quantity", "qty", "units", "数量", "件数", "购买数量", "商品数量"),
    "unit_price": ("unitprice", "price", "单价", "价格", "商品单价"),
    "order_id": ("orderid", "orderno", "ordernumber", "order", "invoice", "invoiceno", "invoicenumber", "invoiceid",
                 "transactionid", "txnid", "receipt", "receiptno", "订单号", "订单编号", "订单id", "单号", "交易号",
                 "流水号"),
    "product_id": ("productid", "product", "stockcode", "sku", "itemid", "item", "productcode", "商品编号", "商品id",
                   "商品编码", "货号", "商品"),
    "category": ("category", "productcategory", "cat", "品类", "类目", "商品类别", "商品分类", "分类", "类别"),
    "channel": ("channel", "saleschannel", "orderchannel", "渠道", "下单渠道", "销售渠道"),
    "status": ("status", "orderstatus", "状态", "订单状态"),
    "discount": ("discount", "discountamount", "折扣", "优惠", "优惠金额", "折扣金额"),
    "line_no": ("lineno", "linenumber", "行号"),
    "gender": ("gender", "sex", "性别"),
    "birth_date": ("birthdate", "birthday", "dob", "dateofbirth", "出生日期", "生日"),
    "city": ("city", "城市"),
    "province": ("province", "state", "省份", "省"),
    "city_tier": ("citytier", "城市等级", "城市级别", "城市线级"),
    "signup_date": ("signupdate", "joindate", "joined", "registrationdate", "registerdate", "注册日期", "注册时间",
                    "入会日期", "开卡日期"),
    "acquisition_channel": ("acquisitionchannel", "signupchannel", "注册渠道", "来源渠道"),
    "membership_tier": ("membershiptier", "tier", "memberlevel", "level", "会员等级", "会员级别", "等级"),
}
SHAPES = {"log": "an order log", "table": "a customer table", "survey": "a survey"}
LOG_ROLES = tuple(SCHEMAS["transactions"])
TABLE_ROLES = tuple(SCHEMAS["customers"])


def name_key(name: str) -> str:
    """A column name as :data:`ROLE_NAMES` spells it: lower case, letters, digits and Chinese only."""
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", str(name).lower())


def role_by_name(name: str, roles: tuple[str, ...]) -> tuple[str, int] | None:
    """The canonical column a name says, among ``roles``, and how surely: higher for the whole name than for a
    Chinese word inside it, and for a specific word (``customerid``) than for a vague one (``id``) listed later."""
    key = name_key(name)
    for role in roles:
        words = ROLE_NAMES.get(role, ())
        if key in words:
            return role, 2000 - words.index(key)
    for role in roles:
        words = ROLE_NAMES.get(role, ())
        inside = [i for i, w in enumerate(words) if len(w) >= 2 and not w.isascii() and w in key]
        if inside:
            return role, 1000 - inside[0]
    return None


def texts(values: pd.Series) -> pd.Series:
    """The non-empty values of a column as stripped text."""
    text = values.dropna().astype("str").str.strip()
    return text[(text != "") & ~text.str.lower().isin({"nan", "nat", "none", "null"})]


@dataclass(frozen=True)
class Dates:
    """How a column writes dates: the strptime format to set (None: custseg reads them as they are), day first."""

    date_format: str | None
    dayfirst: bool
    why: str
    ambiguous: bool = False


DATE_SHARE = 0.95  # the share of a column's values that must be dates for it to be a date column


def _range(values: pd.Series) -> str:
    return f"{values.min()}–{values.max()}"


def dates(values: pd.Series) -> Dates | None:
    """Whether a column holds dates, and how they are written.

    Parameters
    ----------
    values : Series
        The column (a sample), as read.

    Returns
    -------
    Dates or None
        None when fewer than :data:`DATE_SHARE` of its values look like dates of one shape.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return Dates(None, False, "date values") if values.notna().any() else None
    text = texts(values)
    if text.empty:
        return None
    shapes = {name: float(text.str.match(rx).mean()) for name, rx, _ in DATE_SHAPES}  # each starts with ^
    name, share = max(shapes.items(), key=lambda kv: kv[1])
    if share < DATE_SHARE:
        return None
    if name == "compact yyyymmdd":
        ok = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        if ok.notna().mean() < DATE_SHARE or not ok.dropna().dt.year.between(1900, 2100).all():
            return None
        return Dates("%Y%m%d", False, f"8-digit numbers {_range(text)}: dates %Y%m%d")
    if name == "Excel day number":
        return None  # a 5-digit number is as likely an amount or an id: only a named date column is read so
    if name == "day or month first":
        parts = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})")
        first, second = parts[0].astype(float), parts[1].astype(float)
        sep = text.iloc[0][len(parts[0].iloc[0])]
        timed = " %H:%M:%S" if text.str.contains(r"\d:\d\d:\d\d").mean() > 0.5 else \
            " %H:%M" if text.str.contains(r"\d:\d\d").mean() > 0.5 else ""
        if (first > 12).any() and not (second > 12).any():
            return Dates(None, True, f"dates like {text.iloc[0]!r} with a first number up to {int(first.max())}: "
                                     "day first")
        if (second > 12).any() and not (first > 12).any():
            fmt = f"%m{sep}%d{sep}%Y{timed}"
            return Dates(fmt, False, f"dates like {text.iloc[0]!r} with a second number up to {int(second.max())}: "
                                     f"month first ({fmt})")
        return Dates(None, True, f"dates like {text.iloc[0]!r} that could be day or month first (no number above "
                                 "12 decides): read as day first", ambiguous=True)
    return Dates(None, False, f"{name} dates ({text.iloc[0]!r})")


@dataclass(frozen=True)
class Numbers:
    """How a column writes numbers and what they are like."""

    fmt: NumberFormat | None  # None: the values do not say (1,234 only), or there is no separator
    share: float  # of the values that are numbers
    whole: bool  # every number is whole
    low: float
    high: float
    distinct: int
    ambiguous: str = ""


NUMBER = re.compile(r"^[+-]?[(]?\s*(rmb|cny|usd|eur|us\$|[¥￥$€£])?\s*[0-9][0-9.,' ]*\s*(元)?[)]?-?$", re.I)


def numbers(values: pd.Series) -> Numbers | None:
    """Whether a column holds numbers, how they are written (:func:`custseg.sources.parsing.number_format`) and
    their range; None for a column of no numbers."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        v = values.dropna().astype(float)
        if v.empty:
            return None
        return Numbers(NumberFormat(), 1.0, bool((v == v.round()).all()), float(v.min()), float(v.max()),
                       int(v.nunique()))
    text = texts(values)
    if text.empty:
        return None
    shaped = text[text.str.match(NUMBER)]
    share = len(shaped) / len(text)
    if share < DATE_SHARE:
        return None
    cleaned = shaped.str.replace(r"(?i)rmb|cny|usd|eur|us\$|[¥￥$€£元()\s]", "", regex=True).str.rstrip("-")
    marked = sorted(set(cleaned[cleaned.str.contains(r"[.,']")]))[:20_000]
    ambiguous, fmt = "", None
    try:
        fmt = number_format(marked)
    except AmbiguousNumbers as err:
        ambiguous = str(err)
    use = fmt or (NumberFormat(".", ",") if ambiguous else NumberFormat())  # 1,234: read as thousands, asked
    plain = cleaned.str.replace(use.thousands, "", regex=False) if use.thousands else cleaned
    parsed = pd.to_numeric(plain.str.replace(use.decimal, ".", regex=False) if use.decimal == "," else plain,
                           errors="coerce").dropna()
    if parsed.empty:
        return None
    return Numbers(fmt if marked else None, share, bool((parsed == parsed.round()).all()), float(parsed.min()),
                   float(parsed.max()), int(parsed.nunique()), ambiguous)


def repeats(values: pd.Series) -> float:
    """The share of a column's rows whose value another row has too (0: every value unique)."""
    text = texts(values)
    return 0.0 if text.empty else 1 - text.nunique() / len(text)
