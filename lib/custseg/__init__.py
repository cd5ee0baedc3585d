"""custseg: a customer segmentation workbook (collect → clean → describe → RFM/features → cluster → personas)."""

__version__ = "0.1.0"
