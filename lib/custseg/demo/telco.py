"""A telecom subscriber table in the shape of the public Telco churn export: one row per subscriber, no log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.demo.draws import pick

SERVICES = ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies"]
PAYMENT = ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"]


def subscribers(n_customers: int = 5000, seed: int = 7) -> pd.DataFrame:
    """A telecom subscriber table (the shape of the public Telco churn export), with no order log.

    One row per subscriber: ``customerID``, gender, ``SeniorCitizen`` (1/0), Partner and Dependents (Yes/No),
    ``tenure`` (months), phone and internet services (Yes/No, "No internet service"), Contract, paperless
    billing, PaymentMethod, ``MonthlyCharges``, ``TotalCharges`` (text, blank for subscribers who joined this
    month, as in the real export) and ``Churn`` (Yes/No). The correlations are the real ones' direction:
    long tenure goes with long contracts; fibre and streaming raise the charges; month-to-month contracts,
    fibre, electronic checks, seniors and short tenure churn more, tech support and partners less.

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
    tenure = np.minimum(rng.exponential(30, n).astype(int), 72)
    contract = np.where(rng.random(n) < 0.75 - tenure / 120, "Month-to-month",
                        np.where(rng.random(n) < 0.5, "One year", "Two year"))
    internet = pick(rng, {"Fiber optic": 0.44, "DSL": 0.34, "No": 0.22}, n)
    has_net = internet != "No"
    services = {s: np.where(~has_net, "No internet service", np.where(rng.random(n) < (0.5 if "Streaming" in s
                                                                                       else 0.35), "Yes", "No"))
                for s in SERVICES}
    phone = rng.random(n) < 0.9
    multiple = np.where(~phone, "No phone service", np.where(rng.random(n) < 0.45, "Yes", "No"))
    senior = (rng.random(n) < 0.16).astype(int)
    partner = rng.random(n) < 0.3 + tenure / 150
    payment = np.where(rng.random(n) < 0.2 + 0.25 * (contract == "Month-to-month"), PAYMENT[0],
                       pick(rng, dict.fromkeys(PAYMENT[1:], 1 / 3), n))
    extras = sum((services[s] == "Yes").astype(float) for s in SERVICES)
    monthly = (20 + 5 * phone + 5 * (multiple == "Yes") + np.select([internet == "Fiber optic", internet == "DSL"],
                                                                     [45, 25], 0) + 5 * extras
               + rng.normal(0, 3, n)).round(2)
    total = (monthly * tenure * rng.uniform(0.95, 1.05, n)).round(2)
    logit = (-2.2 + 1.6 * (contract == "Month-to-month") + 0.7 * (internet == "Fiber optic")
             + 0.6 * (payment == PAYMENT[0]) + 0.4 * senior - 0.035 * tenure
             - 0.6 * (services["TechSupport"] == "Yes") - 0.3 * partner)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
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

