"""Seaborn figures in one house style: titled, labelled axes, readable numbers."""

from __future__ import annotations

import matplotlib
import matplotlib.font_manager as fm
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from custseg.schema import STABLE_ARI, UNSTABLE_ARI

PALETTE = "tab10"
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "SimHei"]


def style() -> None:
    """Apply the house style (call once per notebook); Chinese text falls back to an installed CJK font."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    plt.rcParams.update({"figure.dpi": 100, "axes.titleweight": "bold", "figure.autolayout": True})
    cjk = cjk_font()
    if cjk:
        plt.rcParams["font.family"] = ["sans-serif", cjk]


def segment_colors() -> list[str]:
    """The house palette as hex colours; segment ``s`` is drawn in colour ``s % 10`` everywhere."""
    return sns.color_palette(PALETTE).as_hex()


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs (registering system CJK fonts once), or None."""
    names = {f.name for f in fm.fontManager.ttflist}
    if not names & set(CJK_FONTS):
        for path in fm.findSystemFonts():
            if "SansCJK" in path or "wqy" in path.lower():
                fm.fontManager.addfont(path)
        names = {f.name for f in fm.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in names), None)


def bar(data: pd.DataFrame, x: str, y: str, title: str, xlabel: str | None = None, ylabel: str | None = None,
        percent: bool = False, horizontal: bool = False):
    """A bar chart of ``y`` per ``x`` with value labels; ``horizontal`` puts the categories on the y axis."""
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(data) + 1.5) if horizontal else (7, 4))
    sns.barplot(data=data, x=y if horizontal else x, y=x if horizontal else y, ax=ax, color="C0")
    ax.set_title(title)
    ax.set_xlabel((y if horizontal else x) if xlabel is None else xlabel)
    ax.set_ylabel((x if horizontal else y) if ylabel is None else ylabel)
    if percent:
        axis = ax.xaxis if horizontal else ax.yaxis
        axis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    for container in ax.containers:
        ax.bar_label(container, fmt="{:.1%}" if percent else "{:,.0f}", padding=2, fontsize=8)
    return fig


def histogram(values: pd.Series, title: str, xlabel: str, log: bool = False, bins: int = 40,
              ylabel: str = "customers"):
    """Distribution of one variable; ``log`` uses a log x axis (bins equal in log space) for skewed spend or counts.

    On a log axis values ≤ 0 cannot be shown and are left out; say so in the text when it matters.
    """
    fig, ax = plt.subplots(figsize=(6, 3.5))
    v = values.dropna()
    if log:
        v = v[v > 0]
        v = v[v >= v.quantile(0.001)]  # float residue (1e-10 left after a full return) would stretch the axis
    # seaborn bins a log axis in log space itself (logspace bins on a log-scaled axis overflow)
    sns.histplot(v, bins=bins, log_scale=log, ax=ax)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig


def histograms(numbers: pd.DataFrame, title: str, ylabel: str = "customers", columns: int = 3, bins: int = 30):
    """A histogram of each column of ``numbers`` (small multiples, missing values left out), for a customer
    table's numbers: a glance at each one's spread and skew."""
    n = numbers.shape[1]
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, min(n, columns), figsize=(3.4 * min(n, columns), 2.6 * rows), squeeze=False)
    for ax, column in zip(axes.flat, numbers.columns, strict=False):
        sns.histplot(numbers[column].dropna(), bins=bins, ax=ax)
        ax.set_title(str(column), fontsize=9)
        ax.set_xlabel("")
        ax.set_ylabel(ylabel, fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def crosstab_bars(tables: dict[str, pd.DataFrame], base: float, title: str, xlabel: str, rate: bool = True):
    """An outcome's rate (or mean) per group of each attribute (``tables``: column → cross-tab with ``label``,
    ``value``, ``low`` and ``high``) with its 95 % interval, one panel per attribute, the whole base dashed."""
    fig, axes = plt.subplots(1, len(tables), figsize=(3.6 * len(tables), 0.35 * max(len(t) for t in tables.values())
                                                      + 2), squeeze=False)
    for ax, (column, table) in zip(axes.flat, tables.items(), strict=True):
        y = np.arange(len(table))
        ax.barh(y, table["value"], color="C0", alpha=0.8)
        below, above = (table["value"] - table["low"]).clip(lower=0), (table["high"] - table["value"]).clip(lower=0)
        ax.errorbar(table["value"], y, xerr=[below, above],
                    fmt="none", ecolor="black", capsize=3, linewidth=0.8)
        ax.axvline(base, color="grey", linestyle="--", linewidth=0.8)
        ax.set_yticks(y, table["label"], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(str(column), fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        if rate:
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _text(name: str, language: str):
    """The catalogue's words of figure ``name`` in ``language`` (``charts`` in :func:`custseg.i18n.messages`)."""
    from custseg import i18n

    return i18n.messages(language)["charts"][name]


def pareto(values: pd.Series, title: str | None = None, language: str = "en"):
    """Cumulative share of the total by customers sorted from the largest down."""
    text = _text("pareto", language)
    v = np.sort(values.clip(lower=0).to_numpy())[::-1]
    cum = np.cumsum(v) / v.sum()
    x = np.arange(1, len(v) + 1) / len(v)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, cum)
    top20 = cum[max(int(0.2 * len(v)) - 1, 0)]
    ax.axvline(0.2, ls="--", color="grey")
    ax.annotate(text["top"].format(share=f"{top20:.0%}"), (0.2, top20), xytext=(0.3, top20 - 0.15),
                arrowprops={"arrowstyle": "->"})
    ax.set_title(text["title"] if title is None else title)
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    return fig


def k_criteria(table: pd.DataFrame, chosen: int, language: str = "en"):
    """The k sweep: one small panel per criterion (BIC and subsample stability when the table has them),
    the chosen k marked; the elbow is circled on the inertia panel."""
    text = _text("k_criteria", language)
    names = text["panels"]
    panels = [(col, names[col]) for col in ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin")]
    panels += [(col, names[col]) for col in ("bic", "stability") if col in table]
    cols = min(len(panels), 3)
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3 * rows), squeeze=False)
    for ax, (col, title) in zip(axes.flat, panels, strict=False):
        ax.plot(table["k"], table[col], marker="o")
        ax.axvline(chosen, color="C3", ls="--")
        ax.set_title(title)
        ax.set_xlabel(text["x"])
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    if "stability" in table:
        stab = axes.flat[panels.index(("stability", names["stability"]))]
        stab.axhline(STABLE_ARI, color="grey", ls=":")
        stab.axhline(UNSTABLE_ARI, color="grey", ls=":")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(text["title"].format(k=chosen), fontweight="bold")
    return fig


def before_after(values: pd.Series, title: str, xlabel: str, bins: int = 40, language: str = "en"):
    """Two histograms of one skewed variable: as it is, and after ``log1p`` (why we log-transform)."""
    text, customers = _text("log_transform", language), _text("customers", language)
    v = values.dropna().clip(lower=0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    sns.histplot(v, bins=bins, ax=left)
    left.set_title(text["before"].format(column=xlabel, skew=f"{v.skew():.1f}"))
    left.set_xlabel(xlabel)
    left.set_ylabel(customers)
    logged = np.log1p(v)
    sns.histplot(logged, bins=bins, ax=right, color="C1")
    right.set_title(text["after"].format(skew=f"{logged.skew():.1f}"))
    right.set_xlabel(text["x"].format(column=xlabel))
    right.set_ylabel(customers)
    fig.suptitle(title, fontweight="bold")
    return fig


def rfm_grid(names: pd.DataFrame, shares: pd.DataFrame, title: str | None = None, language: str = "en"):
    """The named RFM grid (from :func:`custseg.rfm.grid_table`): one colour per segment, each cell labelled
    with its segment and share of customers; empty cells (no customer) stay white."""
    segments = sorted({s for s in names.to_numpy().ravel() if isinstance(s, str)})
    code = names.apply(lambda col: col.map({s: i for i, s in enumerate(segments)})).astype("float64")
    palette = sns.color_palette("tab20", len(segments))
    fig, ax = plt.subplots(figsize=(1.5 * names.shape[1] + 2, 0.9 * names.shape[0] + 1.5))
    sns.heatmap(code, cmap=matplotlib.colors.ListedColormap(palette), vmin=-0.5, vmax=len(segments) - 0.5,
                cbar=False, linewidths=1, linecolor="white", ax=ax)
    for i, r in enumerate(names.index):
        for j, f in enumerate(names.columns):
            if isinstance(names.loc[r, f], str):
                share = shares.loc[r, f]
                ax.text(j + 0.5, i + 0.5, f"{names.loc[r, f]}\n{share:.1%}", ha="center", va="center", fontsize=7)
    text = _text("rfm_grid", language)
    ax.set_title(text["title"] if title is None else title)
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    return fig


def dendrogram(linkage: np.ndarray, k: int | None = None, title: str | None = None, leaves: int = 30,
               language: str = "en"):
    """A Ward dendrogram of a scipy linkage matrix, truncated to its last ``leaves`` merges; with ``k`` the
    cut that gives k groups is drawn (its height is the jump in within-group variance when merging further)."""
    from scipy.cluster import hierarchy

    text = _text("dendrogram", language)
    fig, ax = plt.subplots(figsize=(10, 4))
    hierarchy.dendrogram(linkage, truncate_mode="lastp", p=leaves, ax=ax, color_threshold=None,
                         above_threshold_color="grey", no_labels=False, leaf_font_size=7)
    if k and 2 <= k <= len(linkage):
        heights = linkage[:, 2]
        cut = (heights[-k] + heights[-k + 1]) / 2 if k > 1 else heights[-1]
        ax.axhline(cut, color="C3", ls="--")
        ax.annotate(text["cut"].format(k=k), (ax.get_xlim()[1], cut), xytext=(-5, 4), textcoords="offset points",
                    ha="right", color="C3")
    ax.set_title(text["title"] if title is None else title)
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    return fig


def scatter_2d(coords: np.ndarray, labels, title: str, names: dict | None = None, max_points: int = 5000,
               language: str = "en"):
    """A 2-D projection (e.g. PCA) coloured by segment; large data is subsampled for readability."""
    rng = np.random.default_rng(0)
    idx = rng.choice(len(coords), size=min(max_points, len(coords)), replace=False)
    seg = np.asarray(labels)[idx]
    lab = [str((names or {}).get(s, s)) for s in seg]
    order = [str((names or {}).get(s, s)) for s in sorted(set(seg))]
    fig, ax = plt.subplots(figsize=(7, 5))
    sns.scatterplot(x=coords[idx, 0], y=coords[idx, 1], hue=lab, hue_order=order, s=10, alpha=0.6, ax=ax,
                    palette=PALETTE)
    text = _text("pca", language)
    ax.set_title(title)
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    ax.legend(title=text["legend"], fontsize=8, markerscale=2, bbox_to_anchor=(1.02, 1), loc="upper left")
    return fig


def scree(table: pd.DataFrame, language: str = "en"):
    """The scree plot of a factor analysis: the items' eigenvalues against random data's (parallel analysis)
    and the eigenvalue-1 line of the Kaiser rule (``table`` from :func:`custseg.factors.parallel_analysis`)."""
    text = _text("scree", language)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(table["factor"], table["eigenvalue"], marker="o", label=text["items"])
    ax.plot(table["factor"], table["random"], linestyle="--", color="grey", label=text["random"])
    ax.axhline(1, color="C3", linewidth=0.8, linestyle=":", label=text["kaiser"])
    ax.set_xticks(table["factor"])
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    ax.set_title(text["title"].format(n=int(table["parallel"].sum())))
    ax.legend(fontsize=8)
    return fig


def intervals(table: pd.DataFrame, outcome: str, base: float, rate: bool = True, language: str = "en"):
    """One outcome per segment with its 95 % interval (``table`` from
    :func:`custseg.evaluate.outcomes.by_segment`), and the base as a line."""
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(table) + 1.5))
    y = np.arange(len(table))
    ax.errorbar(table["value"], y, xerr=[table["value"] - table["low"], table["high"] - table["value"]], fmt="o",
                capsize=4)
    ax.axvline(base, color="grey", linestyle="--", linewidth=0.8)
    text = _text("intervals", language)
    ax.set_yticks(y, [text["segment"].format(segment=s) for s in table["segment"]])
    ax.set_xlabel(text["rate" if rate else "mean"].format(outcome=outcome))
    if rate:
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title(text["title"].format(outcome=outcome))
    return fig


def heatmap(table: pd.DataFrame, title: str, fmt: str = ".0f", center: float | None = 100, cmap: str = "RdBu_r"):
    """A labelled heatmap, e.g. of index values (100 = average)."""
    fig, ax = plt.subplots(figsize=(1.1 * table.shape[1] + 3, 0.45 * table.shape[0] + 1.5))
    sns.heatmap(table, annot=True, fmt=fmt, center=center, cmap=cmap, ax=ax, cbar_kws={"shrink": 0.6},
                annot_kws={"fontsize": 8})
    ax.set_title(title)
    return fig


def transitions(matrix: pd.DataFrame, title: str):
    """A transition matrix (:func:`custseg.evaluate.transitions`) as shares of each row, as a heatmap."""
    shares = matrix.div(matrix.sum(axis=1).replace(0, 1), axis=0)
    shares.index, shares.columns = [str(i) for i in shares.index], [str(c) for c in shares.columns]
    return heatmap(shares, title, fmt=".0%", center=None, cmap="Blues")


def drift(drifted: pd.DataFrame, title: str):
    """PSI per segment and feature (:func:`custseg.evaluate.drift`) as a heatmap, features as rows."""
    heat = drifted.copy()
    heat.index = [str(i) for i in heat.index]
    return heatmap(heat.T, title, fmt=".2f", center=None, cmap="Reds")


def index_heatmap(index: pd.DataFrame, title: str, xlabel: str = "segment", ylabel: str = ""):
    """A heatmap of index values (100 = average) on a ratio colour scale, annotated with the indexes.

    Colours follow log2(index / 100), so that half (50) is as blue as double (200) is red; indexes
    beyond 1/8 and 8 times the average get the end colours (the annotations keep the exact values).
    """
    ratio = np.log2(index.astype("float64").clip(lower=12.5, upper=800) / 100)
    fig, ax = plt.subplots(figsize=(1.1 * index.shape[1] + 3, 0.45 * index.shape[0] + 1.5))
    ticks = [12.5, 25, 50, 100, 200, 400, 800]
    sns.heatmap(ratio, annot=index.astype("float64"), fmt=".0f", center=0, vmin=-3, vmax=3, cmap="vlag", ax=ax,
                annot_kws={"fontsize": 8}, cbar_kws={"shrink": 0.6, "ticks": np.log2(np.array(ticks) / 100)})
    ax.collections[0].colorbar.set_ticklabels(["≤13", "25", "50", "100", "200", "400", "≥800"])
    if max(len(str(c)) for c in index.columns) > 6:  # names, not segment numbers: slant them so they do not overlap
        plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig


def history(table: pd.DataFrame):
    """Each segment's share of customers over a config's runs (``table`` from :func:`custseg.report.history.sizes`)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    runs = list(dict.fromkeys(table["run"]))
    for (segment, name), rows in table.groupby(["segment_id", "segment_name"], sort=True):
        shares = rows.set_index("run")["share"].reindex(runs)
        ax.plot(runs, shares.to_numpy(), marker="o", label=f"{segment} · {name}")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("share of customers")
    ax.set_xlabel("run")
    ax.set_title("Segment sizes over the runs")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    return fig


def history_features(means: pd.DataFrame):
    """Each segment's mean of the key features over the runs, a panel per feature (``means`` from
    :func:`custseg.report.history.feature_means`)."""
    features = list(dict.fromkeys(means["feature"]))
    runs = list(dict.fromkeys(means["run"]))
    fig, axes = plt.subplots(1, len(features), figsize=(3.6 * len(features), 3.2), squeeze=False)
    for ax, feature in zip(axes[0], features, strict=True):
        for segment, rows in means[means["feature"] == feature].groupby("segment_id"):
            ax.plot(runs, rows.set_index("run")["mean"].reindex(runs).to_numpy(), marker="o",
                    label=f"segment {segment}", color=segment_colors()[int(segment) % 10])
        ax.set_title(feature)
        ax.set_xlabel("run")
    axes[0][0].set_ylabel("segment mean")
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle("Key features per segment over the runs")
    return fig


def targeting(table: pd.DataFrame, targets: list, title: str | None = None,
              criteria: str = "size, value, value per customer, growth", language: str = "en"):
    """Each segment as a bubble (size: customers) at its attractiveness score (its mean rank on ``criteria``) and
    reachable share; targets ringed. Without a measured reach, a bar of each segment's attractiveness (targets
    dark)."""
    text = _text("targeting", language)
    title = text["title"] if title is None else title
    if table["reach"].isna().all():
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.5))
        labels = [f"{r.segment} {r.name}" if isinstance(r.name, str) and str(r.name) != str(r.segment)
                  else str(r.segment) for r in table.itertuples()]
        ax.barh(labels, table["attractiveness"], color=["C0" if s in targets else "#c8d3e0" for s in table["segment"]])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(text["x"].format(criteria=criteria))
        ax.set_title(text["bars"])
        return fig
    fig, ax = plt.subplots(figsize=(7, 5))
    reach = table["reach"]
    colors = segment_colors()
    for i, r in enumerate(table.itertuples()):
        seg = r.segment
        c = colors[seg % len(colors)] if isinstance(seg, (int, np.integer)) else colors[i % len(colors)]
        ax.scatter(r.attractiveness, reach.iloc[i], s=3000 * r.share + 30, color=c, alpha=0.6,
                   edgecolor="black" if seg in targets else "none", linewidth=2)
        label = f"{seg} {r.name}" if isinstance(r.name, str) and str(r.name) != str(seg) else str(seg)
        ax.annotate(label, (r.attractiveness, reach.iloc[i]), fontsize=8, ha="center", va="center")
    ax.set_xlim(-0.1, 1.1)
    ax.set_ylim(min(0.0, reach.min() - 0.1), 1.1)
    ax.set_xlabel(text["x"].format(criteria=criteria))
    ax.set_ylabel(text["y"])
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title(title + text["ringed"])
    return fig


def uplift(table: pd.DataFrame, title: str | None = None, language: str = "en"):
    """Each segment's uplift (treated − control response rate) with its interval, and zero as a line."""
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(table) + 1.5))
    y = np.arange(len(table))
    ax.errorbar(table["uplift"], y, xerr=[table["uplift"] - table["uplift_low"],
                                          table["uplift_high"] - table["uplift"]], fmt="o", capsize=4)
    ax.axvline(0, color="grey", linestyle="--", linewidth=0.8)
    names = [f"{s} {n}" if isinstance(n, str) else str(s)
             for s, n in zip(table["segment"], table.get("segment_name", table["segment"]), strict=True)]
    ax.set_yticks(y, names)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    text = _text("uplift", language)
    ax.set_xlabel(text["x"])
    ax.set_title(text["title"] if title is None else title)
    return fig


def label_grid(points: dict, labels: dict, rows: dict[str, str], columns: dict[str, str], title: str,
               notes: dict | None = None, noise: int = -1, noise_label: str = "noise"):
    """Small multiples of 2-D points coloured by their labels: one row per data set, one column per labelling
    (the true groups, then one algorithm each), the points labelled ``noise`` in grey.

    Parameters
    ----------
    points : dict
        Row key → ndarray of shape (n, 2).
    labels : dict
        (row key, column key) → a label per point.
    rows, columns : dict
        Row and column keys → their names (the rows' on the left, the columns' on top).
    title : str
        The figure's title.
    notes : dict, optional
        (row key, column key) → a short text written in the panel's corner (a score, the noise count).
    noise, noise_label : int, str
        The label drawn in grey, and its name in the legend (shown when some panel has noise).
    """
    colors = segment_colors()
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(2.3 * len(columns), 2.3 * len(rows)),
                             squeeze=False, sharex="row", sharey="row")
    any_noise = False
    for (row, row_name), line in zip(rows.items(), axes, strict=True):
        x = points[row]
        for (col, col_name), ax in zip(columns.items(), line, strict=True):
            lab = np.asarray(labels[row, col])
            grey = lab == noise
            any_noise |= bool(grey.any())
            ax.scatter(x[grey, 0], x[grey, 1], s=6, c="#b0b0b0", linewidths=0)
            ax.scatter(x[~grey, 0], x[~grey, 1], s=6, c=[colors[v % len(colors)] for v in lab[~grey]],
                       linewidths=0)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == next(iter(rows)):
                ax.set_title(col_name, fontsize=9)
            if col == next(iter(columns)):
                ax.set_ylabel(row_name, fontsize=9)
            if notes and (row, col) in notes:
                ax.text(0.03, 0.97, notes[row, col], transform=ax.transAxes, ha="left", va="top", fontsize=7,
                        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
    if any_noise:
        handle = matplotlib.lines.Line2D([], [], marker="o", ls="", color="#b0b0b0", label=noise_label)
        fig.legend(handles=[handle], loc="lower right", fontsize=8, frameon=False)
    fig.suptitle(title, fontweight="bold")
    return fig
