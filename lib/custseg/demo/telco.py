"""A telecom subscriber table in the shape of the public Telco churn export: one row per subscriber, no log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.demo.draws import pick

SERVICES = ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies"]
PAYMENT = ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"]


def _held(rng: np.random.Generator, taste: np.ndarray, bind: np.ndarray | float, rate: np.ndarray | float
          ) -> np.ndarray:
    """Who holds a service: a customer's taste for its kind (standard normal, shared by the services of one kind),
    weighed by ``bind`` (1: the services of the kind go together, 0: each is drawn alone), plus their own noise,
    cut where a share ``rate`` holds it (per customer: fibre customers stream more)."""
    from scipy.stats import norm

    n = len(taste)
    bind = np.broadcast_to(bind, n)
    latent = bind * taste + np.sqrt(1 - bind ** 2) * rng.normal(size=n) + rng.normal(0, 0.6, n)
    return latent > norm.ppf(1 - np.broadcast_to(rate, n)) * np.sqrt(1 + 0.6 ** 2)


def _services(rng: np.random.Generator, internet: np.ndarray, tenure: np.ndarray, contract: np.ndarray
              ) -> dict[str, np.ndarray]:
    """The six add-ons as the real export has them: held in bundles, not one by one.

    Streaming TV and movies go together (one taste for streaming) on fibre, not on DSL, and fibre customers stream
    more; online security, backup and device protection go together (one taste for protection) among settled
    customers (two years or more, or on a contract), not among newcomers on month-to-month; tech support follows
    the protection taste loosely. So the pairings are stronger in some segments than in the whole base, which is
    what makes an offer (:func:`custseg.offers.offers`). Phone-only customers hold none ("No internet service")."""
    n = len(internet)
    has_net, fibre = internet != "No", internet == "Fiber optic"
    settled = (tenure >= 24) | (contract != "Month-to-month")
    stream, protect = rng.normal(size=n), rng.normal(size=n)
    out = {}
    for s in SERVICES:
        if "Streaming" in s:
            yes = _held(rng, stream, np.where(fibre, 0.95, 0.0), np.where(fibre, 0.55, 0.3))
        elif s == "TechSupport":
            yes = _held(rng, protect, 0.3, 0.3)
        else:
            yes = _held(rng, protect, np.where(settled, 0.95, 0.0), 0.38)
        out[s] = np.where(~has_net, "No internet service", np.where(yes, "Yes", "No"))
    return out


def subscribers(n_customers: int = 5000, seed: int = 7) -> pd.DataFrame:
    """A telecom subscriber table (the shape of the public Telco churn export), with no order log.

    One row per subscriber: ``customerID``, gender, ``SeniorCitizen`` (1/0), Partner and Dependents (Yes/No),
    ``tenure`` (months), phone and internet services, Contract, paperless billing, PaymentMethod,
    ``MonthlyCharges``, ``TotalCharges`` and ``Churn`` (Yes/No).

    It carries the traps of the real export:

    * **nested labels** — the six add-on columns say "No internet service" exactly where InternetService is No,
      MultipleLines says "No phone service" exactly where PhoneService is No (subscribers without a phone all
      have internet, as in the real export);
    * **structural blanks** — ``TotalCharges`` is text, blank (" ") for the subscribers who joined this month
      (tenure 0, about 0.4 %): nothing has been billed yet;
    * **a derived column** — ``TotalCharges`` ≈ ``tenure`` × ``MonthlyCharges`` (within ±5 %: price changes).

    Tenure is U-shaped like the real one (many newcomers, a block of subscribers there from the start, 72
    months). Contract and tenure drive churn (month-to-month about 40 %, one year about 10 %, two year about 3 %;
    churn falls with tenure); fibre, electronic checks and seniors churn more, tech support and partners less.
    So a rule on the contract separates churn about as well as, or better than, clusters of all the columns.
    Long tenure goes with long contracts; fibre and the add-ons raise the charges. The add-ons come in bundles, as
    in the real export (:func:`_services`): streaming TV with streaming movies (more of both on fibre), online
    security with backup and device protection (tightly among settled customers), so 08 finds services that go
    together and whom to offer them to.

    Parameters
    ----------
    n_customers : int
        Subscribers drawn; the few whose random id repeats one before are dropped.
    seed : int
        Random seed; the same seed gives the same table.

    Returns
    -------
    DataFrame
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    newcomer, settled = rng.random(n) < 0.55, rng.random(n) < 0.12
    tenure = np.where(settled, 72, np.where(newcomer, 1 + rng.exponential(14, n), rng.uniform(1, 72, n)))
    tenure = np.where(rng.random(n) < 0.004, 0, np.minimum(tenure, 72).astype(int))
    contract = np.where(rng.random(n) < 0.85 - tenure / 85, "Month-to-month",
                        np.where(rng.random(n) < 0.45 + tenure / 300, "One year", "Two year"))
    contract = np.where(contract == "One year", np.where(rng.random(n) < tenure / 200, "Two year", "One year"),
                        contract)
    internet = pick(rng, {"Fiber optic": 0.44, "DSL": 0.34, "No": 0.22}, n)
    has_net = internet != "No"
    phone = np.where(internet == "DSL", rng.random(n) < 0.72, True)  # only DSL comes without a phone line
    services = _services(rng, internet, tenure, contract)
    multiple = np.where(~phone, "No phone service", np.where(rng.random(n) < 0.42 + tenure / 400, "Yes", "No"))
    senior = (rng.random(n) < 0.16).astype(int)
    partner = rng.random(n) < 0.3 + tenure / 150
    payment = np.where(rng.random(n) < 0.15 + 0.3 * (contract == "Month-to-month"), PAYMENT[0],
                       pick(rng, dict.fromkeys(PAYMENT[1:], 1 / 3), n))
    extras = sum((services[s] == "Yes").astype(float) * (10 if "Streaming" in s else 5) for s in SERVICES)
    monthly = (20 * phone + 5 * (multiple == "Yes") + np.select([internet == "Fiber optic", internet == "DSL"],
                                                                [50, 25], 0) + extras
               + rng.normal(0, 1.5, n)).clip(18.25).round(2)
    total = (monthly * tenure * rng.uniform(0.95, 1.05, n)).round(2)
    logit = (-1.2 + 1.9 * (contract == "Month-to-month") - 1.1 * (contract == "Two year")
             - 1.8 * np.log1p(tenure) / np.log1p(72) + 0.8 * (internet == "Fiber optic") - 0.9 * ~has_net
             + 0.4 * (payment == PAYMENT[0]) + 0.3 * senior - 0.4 * (services["TechSupport"] == "Yes")
             - 0.2 * partner)
    churn = (rng.random(n) < 1 / (1 + np.exp(-logit))) & (tenure > 0)  # who joined this month has not left yet
    yes = np.array(["No", "Yes"])
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))[rng.integers(0, 26, (n, 5))]
    ids = pd.Series(rng.integers(1000, 9999, n).astype(str)) + "-" + pd.Series(["".join(r) for r in letters])
    out = pd.DataFrame({"customerID": ids, "gender": np.where(rng.random(n) < 0.5, "Female", "Male"),
                        "SeniorCitizen": senior, "Partner": yes[partner.astype(int)],
                        "Dependents": yes[(rng.random(n) < 0.1 + 0.4 * partner).astype(int)], "tenure": tenure,
                        "PhoneService": yes[phone.astype(int)], "MultipleLines": multiple, "InternetService": internet,
                        **services, "Contract": contract, "PaperlessBilling": yes[(rng.random(n) < 0.6).astype(int)],
                        "PaymentMethod": payment, "MonthlyCharges": monthly,
                        "TotalCharges": np.where(tenure == 0, " ", total.astype(str)), "Churn": yes[churn.astype(int)]})
    return out.drop_duplicates("customerID", ignore_index=True)
