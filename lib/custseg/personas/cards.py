"""What every persona card shares, whatever the data: the survey line, the rule line, names made unique by what
tells segments apart, the rendering of the cards, the CRM export and the JupyterLab browser."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg import i18n, phrases, profile, stats

SURVEY_EFFECT = 0.5  # effect size for a survey item to be mentioned as above/below average


def _values(customers: pd.DataFrame, seg, d: pd.Series, segment: str, language: str) -> str:
    """What the survey says they value: items clearly above / below the other customers (by effect size), each as
    the share who agree (answer above the scale's middle) against the base."""
    m = i18n.messages(language)["values"]
    items = [c for c in customers.columns if c.startswith("survey_")]
    part = customers.loc[customers[segment] == seg, items]
    n = int(part.notna().any(axis=1).sum()) if items else 0
    if n == 0:
        return m["none"] if items else ""

    def agree(values: pd.Series) -> float:
        """The share answering above the scale's middle (4–5 of 1–5): an answer's label share, not a mean of codes."""
        known = customers[values.name].dropna()
        middle = (known.min() + known.max()) / 2
        return float((values.dropna() > middle).mean()) if values.notna().any() else np.nan

    def listed(cols):
        return i18n.join([m["item"].format(label=i18n.value_label("survey", c.removeprefix("survey_"), language),
                                           value=i18n.percent(agree(part[c])), base=i18n.percent(agree(customers[c])))
                          for c in cols], language)

    effect = d.reindex(items).dropna().sort_values(ascending=False)
    above, below = listed(effect[effect >= SURVEY_EFFECT].index), listed(effect[effect <= -SURVEY_EFFECT].index[::-1])
    kind = "both" if above and below else "above" if above else "below" if below else "flat"
    return m[kind].format(n=i18n.integer(n), above=above, below=below)


def _rule(rules: profile.Surrogate | None, seg, language: str, segment: str) -> str:
    if rules is None:
        return ""
    m = i18n.messages(language)
    own = rules.rules[rules.rules[segment] == seg]
    if own.empty:
        return m["rule_none"].format(depth=rules.tree.get_depth())
    best = own.iloc[0]  # largest coverage first
    return m["rule"].format(rule=best["rule"], precision=i18n.percent(best["precision"]),
                            coverage=i18n.percent(best["coverage"]))


def _disambiguate(cards: list[dict], language: str = "en", customers: pd.DataFrame | None = None,
                  segment: str = "segment", features: list[str] | None = None) -> None:
    """Make names unique by what tells the segments that share a name apart, never by a number: their main
    channel ('… (web)') where that differs; else the feature that separates them most (the largest eta² over their
    customers, of ``features``, default every numeric feature) at each one's median ('Lapsed one-time buyers
    (typical order 14)' and '… (typical order 98)'); only segments alike in everything are told by their id."""
    m = i18n.messages(language)
    for attempt in ("channel", "detail", "segment"):
        names = pd.Series([c["name"] for c in cards], dtype="str")
        for dup in names[names.duplicated()].unique():
            same = [c for c in cards if c["name"] == dup]
            if attempt == "channel":
                channels = [c.get("main_channel") for c in same]
                details = dict(enumerate(channels)) if all(channels) and len(set(channels)) == len(same) else None
            elif attempt == "detail":
                found = None if customers is None else _details(
                    customers, [c["segment"] for c in same], segment, features, language)
                details = None if found is None else {n: found[c["segment"]] for n, c in enumerate(same)}
            else:
                details = {n: m["table"]["coded"].format(segment=c.get("segment", n)) for n, c in enumerate(same)}
            if details:
                for n, card in enumerate(same):
                    card["name"] = m["qualified"].format(name=dup, detail=details[n])


def _details(customers: pd.DataFrame, group: list, segment: str, features: list[str] | None, language: str
             ) -> dict | None:
    """Each segment of ``group`` by the feature that separates them most, at its median (catalogue ``detail``:
    'typical order 14'), or None when no feature gives each a different text."""
    near = customers[customers[segment].isin(group)]
    columns = [c for c in (features if features is not None else profile.numeric_features(customers, segment))
               if c in near and pd.api.types.is_numeric_dtype(near[c])]
    eta = {c: stats.eta_squared(near[c], near[segment]) for c in columns}
    for column in sorted((c for c in eta if pd.notna(eta[c])), key=lambda c: -eta[c]):
        medians = near.groupby(segment)[column].median()
        texts = {seg: _detail(column, medians.get(seg, np.nan), language) for seg in group}
        if len(set(texts.values())) == len(group):
            return texts
    return None


def _detail(column: str, value: float, language: str) -> str:
    """A feature's typical value in a few words: 'typical order 14', '12 orders', 'tenure 9'."""
    d = i18n.messages(language)["detail"]
    shown = (i18n.percent(value) if i18n.is_share(column) else i18n.integer(value) if abs(value) >= 10
             else i18n.number(value))
    return d.get(column, d["default"]).format(label=phrases.plain_label(column, language), value=shown)


def render(card: dict, kind: str = "md", color: str | None = None) -> str:
    """A card as Markdown (``md``) or an HTML fragment (``html``, ``color`` marks its edge), in its language."""
    return i18n.render(f"persona.{kind}.j2", card.get("language", "en"), card=card, color=color)


def card_files(cards: list[dict]) -> dict[str, str]:
    """Each card as ``segment_<id>.md`` and ``segment_<id>.html`` (file name → text)."""
    return {f"segment_{card['segment']}.{kind}": render(card, kind) for card in cards for kind in ("md", "html")}


def with_targeting(cards: list[dict], target: dict | None, made_from: str | None) -> list[dict]:
    """The persona cards of 06 with what 08 added when it ran on these cards (``made_from``: 06's fingerprint):
    the offers, whether a segment is a target and a target's draft positioning (:mod:`custseg.positioning`)."""
    if target is None or target.get("personas_fingerprint") != made_from:  # 08 ran on other cards (or never)
        return cards
    return [{**c, "offers": target["offers"].get(str(c["segment"]), []),
             "target": target["target_labels"].get(str(c["segment"]), ""),
             "positioning": target.get("positioning", {}).get(str(c["segment"]))} for c in cards]


def crm_export(segments: pd.DataFrame, rfm_scores: pd.DataFrame, cards: list[dict]) -> pd.DataFrame:
    """customer_id, segment_id, segment_name, rfm_segment (and predicted_spend when the segments have it) —
    ready to import into a CRM."""
    names = {c["segment"]: c["name"] for c in cards}
    out = segments.rename(columns={"segment": "segment_id"})
    if "rfm_segment" in rfm_scores:  # no RFM column without transactions
        out = out.merge(rfm_scores[["customer_id", "rfm_segment"]], on="customer_id", how="left",
                        validate="one_to_one")
    out.insert(2, "segment_name", out["segment_id"].map(names))
    first = [c for c in ("customer_id", "segment_id", "segment_name", "rfm_segment") if c in out]
    return out[first + [c for c in out.columns if c not in first]]


def value_table(cards: list[dict]) -> pd.DataFrame:
    """Segment, name, customers, share and share of net spend of every card."""
    return pd.DataFrame(cards)[["segment", "name", "customers", "share", "value_share"]]


def browser(cards: list[dict], summary: pd.DataFrame, segment: str = "segment"):
    """A small ipywidgets app for JupyterLab: pick a segment to read its card, and another to compare profiles.

    Parameters
    ----------
    cards : list of dict
        From :func:`build`.
    summary : DataFrame
        From :func:`custseg.profile.feature_summary`.

    Returns
    -------
    ipywidgets.VBox
        Two drop-downs, the persona card and the comparison table (top features of the first segment).
    """
    import ipywidgets as widgets

    language = cards[0].get("language", "en") if cards else "en"
    t = i18n.messages(language)["ui"]
    options = [(f"{c['segment']} · {c['name']}", c["segment"]) for c in cards]
    first = widgets.Dropdown(options=options, description=t["browse_segment"])
    second = widgets.Dropdown(options=[("—", None), *options], description=t["browse_compare"])
    card_view, table_view = widgets.HTML(), widgets.HTML()

    def update(_=None) -> None:
        card = next(c for c in cards if c["segment"] == first.value)
        card_view.value = render(card, "html")
        table = profile.compare(summary, first.value, second.value, segment, language=language)
        table_view.value = table.to_html(float_format=lambda x: i18n.number(x), border=0)

    first.observe(update, "value")
    second.observe(update, "value")
    update()
    layout = widgets.Layout(width="50%", padding="0 1em 0 0")
    card_view.layout, table_view.layout = layout, widgets.Layout(width="50%")
    return widgets.VBox([widgets.HBox([first, second]), widgets.HBox([card_view, table_view])])
