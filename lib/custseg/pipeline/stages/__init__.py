"""The stage bodies, one module each: thin functions ``body(ctx) -> Result`` over the domain modules.

Importing this package registers every body with :mod:`custseg.pipeline.runner`. scikit-learn is imported
inside the bodies that need it (04–08): it takes 1.5 s to import, and notebooks 01–03 start a kernel each.
"""

from custseg.pipeline.stages import (  # noqa: F401  (each registers its body)
    s01_collect,
    s02_clean,
    s03_describe,
    s04_features,
    s05_cluster,
    s06_personas,
    s07_evaluate,
    s08_target,
    s09_measure,
)
