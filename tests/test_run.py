"""End to end: `custseg run` on the demo at its default size, asserting on the artifacts."""

import json

import nbformat
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from custseg import config, run

DEMO = config.PROJECT_ROOT / "configs" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo-run")
    assert run.main(["run", str(DEMO), "--workdir", str(workdir), "--name", "e2e"]) == 0
    return workdir, workdir / "reports" / "e2e"


@pytest.mark.slow
def test_planted_personas_are_recovered(demo_run):
    workdir, reports = demo_run
    segments = pd.read_csv(reports / "segments.csv")
    truth = pd.read_csv(workdir / "data" / "raw" / "demo" / "ground_truth.csv")
    both = segments.merge(truth, on="customer_id", validate="one_to_one")
    assert len(both) > 0.95 * len(segments)
    assert adjusted_rand_score(both["persona"], both["segment_id"]) >= 0.85


@pytest.mark.slow
def test_artifacts(demo_run):
    workdir, reports = demo_run
    stems = [nb.stem for nb in run.notebooks()]
    for stem in stems:
        html = (reports / f"{stem}.html").read_text(encoding="utf-8")
        assert "from custseg import" not in html, f"{stem}.html must not show code"
        executed = nbformat.read(reports / "notebooks" / f"{stem}.ipynb", as_version=4)
        assert not any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert index.count('class="persona"') >= 5
    for stem in stems:
        assert f'href="{stem}.html"' in index
    segments = pd.read_csv(reports / "segments.csv")
    assert list(segments.columns) == ["customer_id", "segment_id", "segment_name", "rfm_segment"]
    assert segments["customer_id"].is_unique and segments.notna().all().all()
    meta = json.loads((reports / "run.json").read_text())
    assert set(meta) >= {"config", "versions", "timings_s", "row_counts"}
    assert meta["row_counts"]["customers_segmented"] == len(segments)
    assert meta["row_counts"]["lines_in"] == meta["row_counts"]["lines_kept"] + meta["row_counts"]["lines_quarantined"]
    assert set(meta["timings_s"]) == {*stems, "total"}
    assert len(list((reports / "figures").glob("*.png"))) >= 8
    assert len(list((reports / "personas").glob("*.md"))) == segments["segment_id"].nunique()
    # nothing was written into the repository's own data/ or reports/ folders
    assert not (config.PROJECT_ROOT / "reports" / "e2e").exists()


def test_no_raw_pii_in_outputs(demo_run):
    workdir, reports = demo_run
    crm = pd.read_csv(workdir / "data" / "raw" / "demo" / "customers.csv", dtype=str)
    emails = set(crm["email"].sample(200, random_state=0))
    phones = set(crm["phone"].sample(200, random_state=0))
    for folder in (workdir / "data" / "interim", workdir / "data" / "processed", reports):
        for path in folder.rglob("*"):
            if path.suffix in {".csv", ".html", ".md", ".json", ".ipynb"}:
                text = path.read_text(encoding="utf-8")
                assert not any(e in text for e in emails), path
                assert not any(p in text for p in phones), path


KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def test_failing_notebook_names_notebook_and_cell(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    nb = nbformat.v4.new_notebook(metadata=KERNEL)
    params = nbformat.v4.new_code_cell('config_path = ""\nrun_name = ""\noverrides = ""\nworkdir = ""',
                                       metadata={"tags": ["parameters"]})
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('boom')")]
    nbformat.write(nb, books / "01_fail.ipynb")
    with pytest.raises(run.NotebookFailed, match=r"01_fail.ipynb failed in cell \d+ \('raise ValueError.*boom"):
        run.run(config.PROJECT_ROOT / "configs" / "tiny.yaml", "fail", workdir=tmp_path, progress=False,
                notebook_dir=books)
    assert (tmp_path / "reports" / "fail" / "notebooks" / "01_fail.ipynb").exists(), "partial output kept"


def test_unknown_parameter_is_an_error(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    nb = nbformat.v4.new_notebook(metadata=KERNEL)
    nb.cells = [nbformat.v4.new_code_cell('config_path = ""', metadata={"tags": ["parameters"]})]
    nbformat.write(nb, books / "01_x.ipynb")
    with pytest.raises(config.ConfigError, match=r"01_x.ipynb has no parameter\(s\) \['overrides'"):
        run.run(config.PROJECT_ROOT / "configs" / "tiny.yaml", "x", workdir=tmp_path, notebook_dir=books)


def test_cli_reports_bad_config(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster:\n  kmax: 3\n")
    assert run.main(["run", str(bad)]) == 1
    assert "unknown config key 'cluster.kmax'" in capsys.readouterr().err
    assert run.main(["run", str(config.PROJECT_ROOT / "configs" / "tiny.yaml"), "--set", "cluster.k"]) == 1
    assert "key=value" in capsys.readouterr().err
