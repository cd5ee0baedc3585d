"""Personal data (个人信息): configured PII columns are dropped or replaced by a keyed hash (HMAC-SHA256),
and customer ids are pseudonymised the same way when configured. The only thing derived from PII is the
``looks_like_test`` flag that cleaning uses to quarantine test accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import ibis
import ibis.expr.types as ir

from custseg.errors import ConfigError


@ibis.udf.scalar.pyarrow
def _hmac_sha256(value: str, key: str) -> str:
    import pyarrow as pyarrow

    secret = key[0].as_py().encode() if len(key) else b""
    return pyarrow.array([None if v is None else hmac.new(secret, v.encode(), hashlib.sha256).hexdigest()[:20].upper()
                          for v in value.to_pylist()], type=pyarrow.string())


def pii_key(privacy: dict) -> str:
    """The pseudonymisation key: ``$<privacy.key_env>``, else ``privacy.key``; ConfigError if neither is set."""
    key = os.environ.get(privacy["key_env"]) or privacy["key"]
    if not key:
        raise ConfigError(f"pseudonymisation is configured (privacy.pii_action / privacy.pseudonymise_ids) but there "
                          f"is no key: set the environment variable {privacy['key_env']} (privacy.key_env) or "
                          f"privacy.key. Keep the key to get the same pseudonyms in later runs.")
    return key


def pseudonym(value: ir.Value, key: str) -> ir.StringValue:
    """The keyed hash (HMAC-SHA256, 20 upper-case hex digits) of a column: stable for a given key."""
    return _hmac_sha256(value.cast("string"), ibis.literal(key))


def pseudonym_of(value: str, key: str) -> str:
    """:func:`pseudonym` of one value, in Python (to look a customer up)."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:20].upper()


def protect_pii(customers: ir.Table, pii_columns: list[str], test_patterns: list[str],
                key: str | None = None) -> ir.Table:
    """Drop (or, with ``key``, pseudonymise) PII columns, adding a ``looks_like_test`` flag derived from them.

    Parameters
    ----------
    customers : ibis Table
        The CRM table.
    pii_columns : list of str
        Columns holding personal data (those absent are ignored).
    test_patterns : list of str
        Case-insensitive substrings marking internal test accounts in any PII column or the id.
    key : str, optional
        Replace PII values by their keyed hash instead of dropping the columns.
    """
    present = [c for c in pii_columns if c in customers.columns]
    flag = ibis.literal(False)
    for col in [customers.customer_id, *(customers[c] for c in present)]:
        text = col.cast("string").lower().fill_null("")
        for pattern in test_patterns:
            flag = flag | text.contains(pattern.lower())
    return without_pii(customers.mutate(looks_like_test=flag), pii_columns, key)


def without_pii(table: ir.Table, pii_columns: list[str], key: str | None) -> ir.Table:
    present = [c for c in pii_columns if c in table.columns]
    if key is None:
        return table.drop(*present) if present else table
    return table.mutate(**{c: pseudonym(table[c], key) for c in present})


def protect_ids(ids: ir.Value, privacy: dict, key: str | None = None, case_sensitive: bool = False
                ) -> ir.StringValue:
    """Customer ids as every stage compares them (:func:`custseg.schema.normalise_id`, with the run's
    ``case_sensitive`` from :func:`custseg.schema.ids_case_sensitive`), pseudonymised with the run's key when
    ``privacy.pseudonymise_ids`` is on: the normalised id is hashed, so id variants (full-width, padded, in
    another case unless case-sensitive) stay one customer and every source (01's and 09's campaign results)
    gets the same pseudonyms."""
    from custseg.schema import normalise_id

    ids = normalise_id(ids, case_sensitive)
    return pseudonym(ids, key or pii_key(privacy)) if privacy["pseudonymise_ids"] else ids


# personal data recognised in a column's name (its words, lower case, without spaces or punctuation; English and
# Chinese) or in its values: what `custseg init` proposes under privacy.pii_columns
PII_NAMES = {
    "name": ("name", "fullname", "firstname", "lastname", "surname", "givenname", "customername", "contactname",
             "姓名", "名字", "联系人", "收货人", "客户姓名", "会员姓名"),
    "phone": ("phone", "phonenumber", "mobile", "mobilephone", "cellphone", "tel", "telephone", "手机", "手机号",
              "手机号码", "电话", "联系电话", "电话号码"),
    "e-mail": ("email", "emailaddress", "mail", "邮箱", "电子邮件", "电子邮箱"),
    "ID-card number": ("idcard", "idcardno", "idnumber", "nationalid", "ssn", "passport", "身份证", "身份证号",
                       "身份证号码", "证件号", "证件号码"),
    "address": ("address", "street", "streetaddress", "homeaddress", "addr", "地址", "收货地址", "住址", "家庭住址",
                "详细地址"),
}
PII_PATTERNS = {
    "e-mail": r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
    "phone": r"^(\+?86[- ]?)?1[3-9]\d{9}$|^\+\d[\d ()-]{7,}\d$|^\d{3,4}-\d{7,8}$",
    "ID-card number": r"^\d{17}[\dXx]$",
}
PII_SHARE = 0.8  # the share of a column's values that must look like personal data for it to be called so


def pii_kind(column: str, values) -> tuple[str, str] | None:
    """Whether a column holds personal data, from its name or its values, and why.

    Parameters
    ----------
    column : str
        The column's name.
    values : pandas Series
        Its values (a sample is enough), as text.

    Returns
    -------
    (str, str) or None
        The kind (name, phone, e-mail, ID-card number, address) and the reason in words; None for neither.
    """
    import re

    import pandas as pd

    key = re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", str(column).lower())
    for kind, words in PII_NAMES.items():
        if key in words or any(len(w) >= 2 and not w.isascii() and w in key for w in words):
            return kind, f"its name says {kind}"
    text = pd.Series(values, dtype="str").dropna().str.strip()
    text = text[text != ""]
    if text.empty:
        return None
    for kind, pattern in PII_PATTERNS.items():
        share = float(text.str.fullmatch(pattern).mean())
        if share >= PII_SHARE:
            return kind, f"{share:.0%} of its values look like {kind}s"
    return None
