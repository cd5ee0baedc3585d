"""Measure a campaign per segment (效果评估): response, uplift against a random control group, incremental
revenue and ROI, with intervals that say when an effect is beyond noise.

Response rate alone is not effect: loyal customers buy anyway, so a segment with a high response rate can gain
nothing from being contacted. The effect is the *uplift*, the treated group's rate minus the control group's,
and a campaign's money is the *incremental revenue*, the difference in revenue per customer times the customers
treated. Intervals: Newcombe's hybrid score interval for the difference of two proportions (it behaves at low
response rates, where the textbook Wald interval does not) and a percentile bootstrap for revenue per customer.
With many segments some will look significant by chance; Holm's adjusted p-values say which survive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg import i18n
from custseg.errors import SourceError
from custseg.stats import bootstrap_mean_difference, holm, newcombe, two_proportion_p

TREATMENT, CONTROL = "treatment", "control"
# how a results table may spell its groups and yes/no answers (lower-cased, trimmed)
GROUP_WORDS = {TREATMENT: ("treatment", "treated", "test", "t", "target", "contacted", "实验组", "处理组"),
               CONTROL: ("control", "holdout", "hold-out", "c", "not contacted", "对照组", "控制组")}
YES = ("1", "1.0", "true", "yes", "y", "t", "是", "responded", "converted")
NO = ("0", "0.0", "false", "no", "n", "f", "否", "")


def _words(values: pd.Series, table: dict[str, tuple]) -> pd.Series:
    text = values.astype("str").str.strip().str.lower().where(values.notna())
    out = pd.Series(pd.NA, index=values.index, dtype="str")
    for label, words in table.items():
        out = out.mask(text.isin(words), label)
    return out


def prepare(results: pd.DataFrame, segments: pd.DataFrame, where: str = "sources.campaign", language: str = "en"
            ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Check a campaign results table and join it to the segments.

    Parameters
    ----------
    results : DataFrame
        One row per customer in the campaign: ``customer_id``, ``group`` (treatment or control, spelled as
        :data:`GROUP_WORDS` allows), ``responded`` (yes/no, 1/0, true/false); optional ``contacted``,
        ``revenue`` and ``cost``.
    segments : DataFrame
        ``customer_id`` and ``segment`` (and optionally ``segment_name``).

    Returns
    -------
    (DataFrame, DataFrame, list of str)
        The usable rows with their segment (one per customer; several rows of one customer in one group are
        summed, responded if any row did), the quarantined rows with a ``reason``, and notes for the report.

    Raises
    ------
    SourceError
        Without a control group or a treated group (uplift cannot be measured), or without ``group`` or
        ``responded``.
    """
    for column in ("customer_id", "group", "responded"):
        if column not in results.columns:
            raise SourceError(f"{where}: the campaign results have no '{column}' column (columns: "
                              f"{', '.join(map(str, results.columns))}). To fix: map it in {where}.columns")
    r = results.copy()
    r["group"] = _words(r["group"], GROUP_WORDS)
    r["responded"] = _words(r["responded"], {"yes": YES, "no": NO}).map({"yes": True, "no": False})
    if "contacted" in r:
        r["contacted"] = _words(r["contacted"], {"yes": YES, "no": NO}).map({"yes": True, "no": False})
    for column in ("revenue", "cost"):
        if column in r:
            r[column] = pd.to_numeric(r[column], errors="coerce")
    if "revenue" not in r:
        r["revenue"] = 0.0
    r["revenue"] = r["revenue"].fillna(0.0)
    known = set(segments["customer_id"])
    reason = pd.Series(pd.NA, index=r.index, dtype="str")
    reason = reason.mask(r["customer_id"].isna(), "missing_customer_id")
    reason = reason.mask(reason.isna() & r["group"].isna(), "unknown_group")
    reason = reason.mask(reason.isna() & r["responded"].isna(), "unreadable_response")
    reason = reason.mask(reason.isna() & ~r["customer_id"].isin(known), "not_segmented")
    groups = r[reason.isna()].groupby("customer_id")["group"].nunique()
    both = set(groups.index[groups > 1])
    reason = reason.mask(reason.isna() & r["customer_id"].isin(both), "in_both_groups")
    quarantine = r[reason.notna()].assign(reason=reason[reason.notna()])
    kept = r[reason.isna()].astype({"responded": bool})
    if "contacted" in kept:  # a treated customer without the flag counts as contacted, a control one as not
        kept["contacted"] = kept["contacted"].fillna(kept["group"] == TREATMENT).astype(bool)
    notes = []
    repeated = int(kept["customer_id"].duplicated().sum())
    if repeated:
        notes.append(i18n.text("campaign_rows.repeated", language, n=f"{repeated:,}"))
    agg = {"group": "first", "responded": "max", "revenue": "sum",
           **({"cost": "sum"} if "cost" in kept else {}), **({"contacted": "max"} if "contacted" in kept else {})}
    # sorted by id, so that the bootstrap draws the same customers whatever order the engine read them in
    kept = kept.groupby("customer_id", as_index=False, sort=True).agg(agg)
    seg_cols = ["customer_id", "segment", *(["segment_name"] if "segment_name" in segments else [])]
    kept = kept.merge(segments[seg_cols], on="customer_id", how="inner", validate="one_to_one")
    missing = [g for g in (TREATMENT, CONTROL) if not (kept["group"] == g).any()]
    if missing:
        spelled = ", ".join(sorted(map(str, results["group"].dropna().astype("str").unique()[:8])))
        raise SourceError(f"{where}: the campaign results have no {' and no '.join(missing)} group (groups found: "
                          f"{spelled or 'none'}). Uplift needs a randomly held-out control group beside the treated "
                          "one: a response rate alone is not an effect. To fix: include the control customers, "
                          "spelled " + " / ".join(GROUP_WORDS[CONTROL][:3]))
    if len(quarantine):
        counts = quarantine["reason"].value_counts()
        m = i18n.messages(language)["printed"]["campaign_rows"]
        notes.append(m["set_aside"].format(parts=m["sep"].join(m["part"].format(n=f"{n:,}", why=m["why"][why])
                                                               for why, n in counts.items())))
    return kept, quarantine, notes


def _verdict(low: float, high: float) -> str:
    if np.isnan(low):
        return "not measured"
    if low > 0:
        return "worked"
    if high < 0:
        return "harmed"
    return "no clear effect"


def measure(kept: pd.DataFrame, resamples: int = 1000, seed: int = 0, cost_per_contact: float | None = None,
            min_group: int = 30) -> pd.DataFrame:
    """Per segment and overall: response rates, uplift with its interval, incremental revenue and ROI.

    Parameters
    ----------
    kept : DataFrame
        From :func:`prepare`.
    resamples : int
        Bootstrap resamples for revenue per customer.
    cost_per_contact : float, optional
        The cost of treating one customer, when the table has no ``cost`` column.
    min_group : int
        A segment with fewer treated or control customers than this is reported but not judged.

    Returns
    -------
    DataFrame
        One row per segment plus ``all``: treated, control, response rates, ``uplift`` (``uplift_low``,
        ``uplift_high``), ``p_value`` and Holm's ``p_holm``, revenue per customer difference (``revenue_uplift``,
        low, high), ``incremental_revenue`` (low, high), ``cost``, ``roi`` and ``verdict``.
    """
    rows = []
    parts = [(seg, d) for seg, d in kept.groupby("segment", sort=True)] + [("all", kept)]
    for i, (seg, d) in enumerate(parts):
        t, c = d[d["group"] == TREATMENT], d[d["group"] == CONTROL]
        xt, xc = int(t["responded"].sum()), int(c["responded"].sum())
        uplift, low, high = newcombe(xt, len(t), xc, len(c))
        rev, rev_low, rev_high = bootstrap_mean_difference(t["revenue"], c["revenue"], resamples, seed + i)
        if "cost" in d:
            cost = float(t["cost"].fillna(0).sum())
        elif cost_per_contact is not None:
            contacted = t["contacted"].sum() if "contacted" in t else len(t)
            cost = float(contacted * cost_per_contact)
        else:
            cost = np.nan
        incremental = rev * len(t)
        judged = len(t) >= min_group and len(c) >= min_group
        row = {"segment": seg, "treated": len(t), "control": len(c),
               "response_treated": xt / len(t) if len(t) else np.nan,
               "response_control": xc / len(c) if len(c) else np.nan,
               "uplift": uplift, "uplift_low": low, "uplift_high": high,
               "p_value": two_proportion_p(xt, len(t), xc, len(c)),
               "revenue_treated": t["revenue"].mean() if len(t) else np.nan,
               "revenue_control": c["revenue"].mean() if len(c) else np.nan,
               "revenue_uplift": rev, "revenue_uplift_low": rev_low, "revenue_uplift_high": rev_high,
               "incremental_responders": uplift * len(t), "incremental_revenue": incremental,
               "incremental_revenue_low": rev_low * len(t), "incremental_revenue_high": rev_high * len(t),
               "cost": cost, "roi": (incremental - cost) / cost if cost and cost > 0 else np.nan,
               "judged": judged}
        if "segment_name" in d and seg != "all":
            row["segment_name"] = d["segment_name"].iloc[0]
        response = _verdict(low, high) if judged else "too few customers"
        revenue = _verdict(rev_low, rev_high) if judged else "too few customers"
        row["response_verdict"], row["revenue_verdict"] = response, revenue
        row["verdict"] = ("harmed" if "harmed" in (response, revenue) else
                          "worked" if response == "worked" or revenue == "worked" else response)
        rows.append(row)
    out = pd.DataFrame(rows)
    per_segment = out["segment"] != "all"
    out["p_holm"] = holm(out["p_value"].where(per_segment & out["judged"]))
    return out


def multiple_comparisons_note(table: pd.DataFrame, alpha: float = 0.05, language: str = "en") -> str:
    """One sentence on testing many segments at once: how many false alarms to expect and what survives Holm."""
    seg = table[(table["segment"] != "all") & table["judged"]]
    m = len(seg)
    if m < 2:
        return ""
    raw = int((seg["p_value"] < alpha).sum())
    held = int((seg["p_holm"] < alpha).sum())
    return i18n.text("campaign.tests", language, m=m, expected=f"{alpha * m:.1f}", raw=raw, alpha=alpha, held=held)


def feedback(targeting: dict | None, per: pd.DataFrame, language: str = "en") -> str:
    """What the campaign says about 08's targets, and where the budget would have paid (持续优化)."""
    rows = per.assign(segment=per["segment"].astype("int64")).set_index("segment")
    paid = [int(s) for s, r in rows.iterrows() if r["verdict"] == "worked" and r["roi"] > 0]
    text = ""
    if targeting:
        for seg in targeting["targets"]:
            if seg not in rows.index:
                continue
            r = rows.loc[seg]
            if r["verdict"] != "worked":
                text += i18n.text("campaign.target_missed", language, segment=seg, name=r.get("segment_name", seg),
                                  verdict=i18n.word(r["verdict"], language), control=f"{r['response_control']:.0%}")
    if paid:
        text += i18n.text("campaign.paid", language, segments=paid)
    return text


def verdicts(table: pd.DataFrame, language: str = "en") -> tuple[str, dict]:
    """The overall sentence of a measured campaign (:func:`measure`'s table, Holm's note included) and the
    segments where it worked, had no clear effect or harmed, in ``language``."""
    overall = table[table["segment"] == "all"].iloc[0]
    per = table[table["segment"] != "all"]
    found = {key: [int(s) for s in per.loc[per["verdict"] == verdict, "segment"]]
             for key, verdict in (("worked", "worked"), ("no_effect", "no clear effect"), ("harmed", "harmed"))}
    say = lambda key, **kw: i18n.text(f"campaign.{key}", language, **kw)  # noqa: E731
    text = say("overall", treated=f"{overall['response_treated']:.1%}", control=f"{overall['response_control']:.1%}",
               uplift=f"{overall['uplift']:+.1%}", low=f"{overall['uplift_low']:+.1%}",
               high=f"{overall['uplift_high']:+.1%}", revenue=f"{overall['incremental_revenue']:,.0f}",
               roi="" if pd.isna(overall["roi"]) else say("roi", roi=f"{overall['roi']:.0%}"),
               worked=found["worked"] or say("none"), no_effect=found["no_effect"] or say("none"),
               harmed=say("harmed", segments=found["harmed"]) if found["harmed"] else "")
    return text + multiple_comparisons_note(per, language=language), found
