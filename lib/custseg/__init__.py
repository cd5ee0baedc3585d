"""custseg: a customer segmentation workbook (collect → clean → describe → RFM/features → cluster → personas)."""

__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "assign":  # custseg.assign(run, table): imported on first use, so `import custseg` stays light
        from custseg.scoring import assign

        return assign
    raise AttributeError(f"module 'custseg' has no attribute {name!r}")
