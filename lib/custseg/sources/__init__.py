"""Sources: read each configured source (:mod:`~custseg.sources.readers`), parse its columns
(:mod:`~custseg.sources.parsing`), map them to canonical names with clear errors (:mod:`~custseg.sources.mapping`)
and protect personal data (:mod:`~custseg.sources.privacy`).
"""

from custseg.errors import SourceError
from custseg.sources.mapping import read_source

__all__ = ["SourceError", "read_source"]
