"""Assigning customers from a published run: `custseg assign` on a table and on a log, `custseg.assign` in
Python, and `custseg serve` over HTTP (a real server on localhost, started and stopped here)."""

import dataclasses
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pandas as pd
import pytest

import custseg
from custseg import published, scoring
from custseg.errors import ConfigError, SourceError
from custseg.report import cli


def _own(report):
    return pd.read_csv(report / "segments.csv", dtype={"customer_id": "str"}, encoding="utf-8-sig")


def _features(workdir):
    return pd.read_parquet(workdir / "data" / "processed" / "r" / "features.parquet")


def test_a_table_of_the_runs_features_gets_the_runs_own_segments(tiny_report):
    workdir, report = tiny_report
    got = custseg.assign(report, _features(workdir))
    both = _own(report).merge(got, on="customer_id", suffixes=("_run", ""))
    assert len(both) == len(got) == len(_own(report)) and got["problem"].isna().all()
    assert (both["segment_id_run"] == both["segment_id"]).all()
    assert (both["segment_name_run"] == both["segment_name"]).all()


def test_custseg_assign_on_the_runs_own_log_matches_the_run(tiny_report, tmp_path, capsys):
    workdir, report = tiny_report
    out = tmp_path / "assigned.parquet"
    log = workdir / "data" / "raw" / "tiny" / "orders.duckdb"
    assert cli.main(["assign", str(report), str(log), "-o", str(out)]) == 0
    assert f"assigned {len(_own(report)):,} of {len(_own(report)):,} customers" in capsys.readouterr().out
    both = _own(report).merge(pd.read_parquet(out), on="customer_id", suffixes=("_run", ""))
    assert len(both) == len(_own(report)) and (both["segment_id_run"] == both["segment_id"]).all()


def test_bad_rows_are_reported_with_a_reason_not_dropped(tiny_report):
    workdir, report = tiny_report
    saved = scoring.load(report)
    numeric = next(f["name"] for f in saved.card["features"] if f["kind"] == "numeric")
    table = _features(workdir).head(5).astype({numeric: "object"})
    table.loc[0, numeric] = "lots"
    table.loc[2, "customer_id"] = table.loc[3, "customer_id"]
    got = scoring.assign(saved, table)
    assert len(got) == 5
    assert got.loc[0, "problem"] == f"{numeric}: not a number ('lots')" and pd.isna(got.loc[0, "segment_id"])
    assert got.loc[[2, 3], "problem"].str.contains("more than once").all()
    assert got.loc[[1, 4], "segment_id"].notna().all() and got.loc[[1, 4], "problem"].isna().all()
    with pytest.raises(SourceError, match=f"no column for the run's feature\\(s\\) {numeric}"):
        scoring.assign(saved, table.drop(columns=numeric))
    k = got["segment_id"].nunique()
    assert scoring.summary(got) == (f"assigned 2 of 5 customers to {k} segment{'s' if k > 1 else ''}; 3 not assigned "
                                    f"(2× the id is given more than once, 1× {numeric}: not a number; see the problem "
                                    "column)")


def test_a_large_table_is_assigned_inside_the_engine_with_the_same_answers(tiny_report, tmp_path, monkeypatch):
    from custseg.cluster import Segmenter

    workdir, report = tiny_report
    saved = scoring.load(report)
    assert "expected value" in scoring.in_engine_reason(saved)  # the default run needs its model in Python
    table = _features(workdir)
    # the same features clustered without the expected value: a model the engine can apply by itself
    fitted = Segmenter.from_config(saved.config["cluster"], k=saved.card["k"], stability_runs=0)
    plain = dataclasses.replace(saved, segmenter=fitted.fit(table[saved.features]))
    assert scoring.in_engine_reason(plain) is None
    numeric = saved.features[0]
    mixed = table.astype({numeric: "object", "customer_id": "object"})
    mixed.loc[0, numeric] = "lots"
    mixed.loc[1, "customer_id"] = mixed.loc[2, "customer_id"]
    mixed.loc[3, "customer_id"] = None
    want = scoring.assign(plain, mixed)
    source = tmp_path / "customers.csv"
    mixed.to_csv(source, index=False)
    monkeypatch.setattr(scoring, "IN_ENGINE_ROWS", 0)  # as if the table were large
    output, result = scoring.assign_file(plain, source, tmp_path / "assigned.parquet")
    assert not isinstance(result, pd.DataFrame), "the table was read into memory"
    got = pd.read_parquet(output)
    order = ["customer_id", "problem", "segment_id"]
    pd.testing.assert_frame_equal(got.sort_values(order, ignore_index=True),
                                  want.sort_values(order, ignore_index=True), check_dtype=False)
    assert got["problem"].notna().sum() == 4 and scoring.summary(result) == scoring.summary(want)
    output, _ = scoring.assign_file(plain, source, tmp_path / "assigned.csv")
    assert len(pd.read_csv(output)) == len(table)


def test_a_run_without_a_model_or_from_another_scikit_learn_is_refused(tiny_report, tmp_path):
    _, report = tiny_report
    copy = shutil.copytree(report, tmp_path / "r")
    card = json.loads((copy / "model" / "model.json").read_text())
    card["versions"]["scikit-learn"] = "0.1"
    (copy / "model" / "model.json").write_text(json.dumps(card))
    with pytest.raises(ConfigError, match=r"scikit-learn 0.1 \(the run\) vs .* \(installed\)"):
        scoring.load(copy)
    card["versions"].update({"scikit-learn": published.versions()["scikit-learn"], "custseg": "9.0.0"})
    (copy / "model" / "model.json").write_text(json.dumps(card))
    with pytest.raises(ConfigError, match=r"custseg 9.0.0 \(the run\)"):
        scoring.load(copy)
    shutil.rmtree(copy / "model")
    with pytest.raises(ConfigError, match="published without its model"):
        scoring.load(copy)
    with pytest.raises(ConfigError, match="no published run 'nope'"):
        scoring.load("nope", tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, method, path, body=None, token="s3cret"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_the_http_server_assigns_validates_and_needs_the_key(tiny_report):
    workdir, report = tiny_report
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "custseg.report.cli", "serve", str(report), "--port", str(port),
                               "--api-key-env", "SEG_KEY", "--max-customers", "50"],
                              env={**os.environ, "SEG_KEY": "s3cret"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        saved = scoring.load(report)
        assert _call(port, "GET", "/segments", token=None)[0] == 401
        assert _call(port, "GET", "/segments", token="wrong")[0] == 401
        assert _call(port, "GET", "/segments") == (200, saved.card["segments"])
        assert _call(port, "GET", "/model")[1]["features"] == saved.card["features"]
        features = _features(workdir).head(3)[["customer_id", *saved.features]]
        status, body = _call(port, "POST", "/assign", {"customers": json.loads(features.to_json(orient="records"))})
        expected = scoring.assign(saved, features)
        assert status == 200 and [a["segment_id"] for a in body["assignments"]] == expected["segment_id"].tolist()
        assert [a["customer_id"] for a in body["assignments"]] == features["customer_id"].tolist()
        one = json.loads(features.head(1).to_json(orient="records"))[0]
        numeric = next(f["name"] for f in saved.card["features"] if f["kind"] == "numeric")
        status, body = _call(port, "POST", "/assign", {"customers": [{**one, numeric: "lots"}]})
        assert status == 422 and body["detail"][0]["problem"] == f"{numeric}: not a number ('lots')"
        status, body = _call(port, "POST", "/assign", {"customers": [{k: v for k, v in one.items() if k != numeric}]})
        assert status == 422 and numeric in body["detail"]
        assert _call(port, "POST", "/assign", {"customers": [one] * 51})[0] == 422  # over --max-customers
        oversized = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # refused before the body is sent
        oversized.request("POST", "/assign", headers={"Content-Length": "2100000", "Authorization": "Bearer s3cret"})
        assert oversized.getresponse().status == 413
        assert _call(port, "POST", "/assign", b"not json")[0] == 422
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_log_of_a_run_whose_pseudonymisation_key_was_in_its_config_needs_the_key(tiny_report, monkeypatch):
    _, report = tiny_report
    saved = scoring.load(report)
    config = {**saved.config, "privacy": {**saved.config["privacy"], "key": "***", "pseudonymise_ids": True,
                                          "key_env": "CUSTSEG_TEST_NO_SUCH_KEY"}}
    monkeypatch.delenv("CUSTSEG_TEST_NO_SUCH_KEY", raising=False)
    with pytest.raises(ConfigError, match="set the same key in the environment variable CUSTSEG_TEST_NO_SUCH_KEY"):
        scoring.features_from_log(scoring.SavedRun(saved.folder, saved.card, saved.segmenter, config), report)
