"""Load and validate a run configuration (YAML) and resolve its paths.

A config is a nested mapping. Every key a user may set, its default and its type live in
:data:`DEFAULTS` (:mod:`custseg.config.defaults`); a user file is merged over it
(:mod:`custseg.config.load`, :mod:`custseg.config.validate`, :mod:`custseg.config.names`). An unknown key or a
value of the wrong type is a :class:`ConfigError` that names the key, so a typo never passes silently.
"""

from custseg.config.defaults import ANY_OF, CHOICES, DATE_KEYS, DEFAULTS, ENGINES, LANGUAGES
from custseg.config.load import load, load_for_notebook, overrides_json, parse_override, set_dotted
from custseg.config.names import check_names
from custseg.config.redact import redact_url, redacted
from custseg.config.validate import RUN_KEYS, as_date, check_run_name, from_dict
from custseg.env import PROJECT_ROOT, interactive
from custseg.errors import ConfigError

__all__ = ["ANY_OF", "CHOICES", "DATE_KEYS", "DEFAULTS", "ENGINES", "LANGUAGES", "PROJECT_ROOT", "RUN_KEYS",
           "ConfigError", "as_date", "check_names", "check_run_name", "from_dict", "interactive", "load",
           "load_for_notebook", "overrides_json", "parse_override", "redact_url", "redacted", "set_dotted"]
