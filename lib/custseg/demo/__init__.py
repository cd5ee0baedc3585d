"""Generated demo data of several real shapes, seeded, with the traps real exports carry.

* the demo retailer (:func:`generate`, :mod:`~custseg.demo.retailer`): a messy omnichannel company with
  planted personas (:mod:`~custseg.demo.personas`), its CRM export (:mod:`~custseg.demo.customers`), order log
  (:mod:`~custseg.demo.orders`) and their mess (:mod:`~custseg.demo.mess`), a survey and a campaign with a
  planted uplift (:func:`campaign`, :mod:`~custseg.demo.uplift`);
* :func:`log_only`: the retailer's orders as a bare ``customer_id, order_date, amount`` export;
* :func:`online_retail`: a log in the shape of the UCI "Online Retail" dataset;
* :func:`subscribers`: a telecom subscriber table (Telco churn), no log;
* :func:`survey_study`: a survey study with Likert answers as text, no log.

:func:`ensure` writes the shape the config asks for into ``paths.raw`` and generates it again only when the
settings change (:mod:`~custseg.demo.files`). The random helpers and named streams all generators share are
in :mod:`~custseg.demo.draws`.
"""

from custseg.demo.customers import GIVEN, SURNAMES
from custseg.demo.files import GENERATOR, ensure, write
from custseg.demo.order_log import log_only
from custseg.demo.personas import (
    BUY_ANYWAY_ORDERS,
    BUY_ANYWAY_RATE,
    CAMPAIGN,
    CATEGORIES,
    CHANNELS,
    COMMON_CHANNELS,
    CONSENT,
    PERSONA_WEIGHT,
    PERSONAS,
    RATE_SHAPE,
    SEASON,
    SURVEY_ITEMS,
    Persona,
)
from custseg.demo.retailer import generate
from custseg.demo.study import LIKERT_LABELS, LIKERT_LABELS_ZH, STUDY_GROUPS, STUDY_ITEMS, survey_study
from custseg.demo.telco import PAYMENT, SERVICES, subscribers
from custseg.demo.uci_retail import COUNTRIES, NON_PRODUCTS, PRODUCTS, online_retail
from custseg.demo.uplift import campaign, campaign_plan

__all__ = ["BUY_ANYWAY_ORDERS", "BUY_ANYWAY_RATE", "CAMPAIGN", "CATEGORIES", "CHANNELS", "COMMON_CHANNELS", "CONSENT",
           "COUNTRIES", "GENERATOR", "GIVEN", "LIKERT_LABELS", "LIKERT_LABELS_ZH", "NON_PRODUCTS", "PAYMENT",
           "PERSONAS", "PERSONA_WEIGHT", "PRODUCTS", "RATE_SHAPE", "SEASON", "SERVICES", "STUDY_GROUPS", "STUDY_ITEMS",
           "SURNAMES", "SURVEY_ITEMS", "Persona", "campaign", "campaign_plan", "ensure", "generate", "log_only",
           "online_retail", "subscribers", "survey_study", "write"]
