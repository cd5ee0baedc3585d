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
