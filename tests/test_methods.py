"""The statistical methods a build chooses (analysis.methods): parsing, where each option goes, and
the method note each report prints, which must change when an option does."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.methods import Methods, parse_methods
from analysis.pipeline import analyse
from analysis.report import AreaReport
from analysis.snapshot import load
from analysis.synth import synthesise

AREA = "synthetic-area-001"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """Five probation areas with 14 quarters of 200 offenders: funnels, XmR charts and tests."""
    data = tmp_path_factory.mktemp("methods") / "data"
    synthesise(data, areas=6, quarters=14, offenders_per_quarter=200, seed=1)
    return data


def test_the_defaults_are_the_peers_and_have_no_text() -> None:
    methods = parse_methods("")
    assert methods == Methods() and methods.spec() == ""
    assert (methods.funnel_method, methods.significance, methods.spc_screening) == ("arcsine", "auto", True)


def test_text_round_trips_and_names_only_what_differs() -> None:
    methods = parse_methods("funnel_method=wilson; spc_rebase=2019-Q3,2020-Q2\nspc_screening=off")
    assert methods.funnel_method == "wilson" and methods.spc_rebase == ("2019-Q3", "2020-Q2")
    assert methods.spc_screening is False
    assert methods.spec() == "funnel_method=wilson; spc_screening=false; spc_rebase=2019-Q3 2020-Q2"
    assert parse_methods(methods.spec()) == methods


def test_every_bad_option_is_named_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        parse_methods("funnel_method=poisson; colour=red; spc_baseline=5; exact_below=-1; spc_rebase=2019")
    message = str(caught.value)
    for part in ("funnel_method='poisson'", "'colour=red'", "spc_baseline='5'", "exact_below='-1'",
                 "spc_rebase='2019'"):
        assert part in message


def test_where_each_option_goes() -> None:
    methods = parse_methods("funnel_method=legacy; significance=legacy-z-test; interval=wilson; "
                            "spc_rules=legacy; spc_rebase=2020-Q1 2030-Q1; spc_baseline=12")
    assert methods.funnel_options()["method"] == "legacy"
    assert methods.rate_options() == {"significance": "legacy-z-test", "interval": "wilson",
                                      "exact_below": 10.0}
    spc = methods.spc_options({"2019-Q4", "2020-Q1"})
    # A series is rebased only at the given periods it holds.
    assert spc["rebase"] == ["2020-Q1"] and spc["baseline_points"] == 12
    assert (spc["two_of_three"], spc["conflicts"], spc["gaps"]) == (
        "legacy-two-beyond", "legacy-side-of-mean", "legacy-bridge")


def test_the_method_note_names_each_peer_and_follows_the_options() -> None:
    default = dict(Methods().describe())
    assert "FunnelPlotR 0.6.0" in default["Funnel plots"] and "φ > 1" in default["Funnel plots"]
    assert "NHSRplotthedots 0.2.2" in default["Control charts"] and "3.267" in default["Control charts"]
    assert "exact two-sided binomial test" in default["Actual against predicted"]
    assert "below 10" in default["Actual against predicted"]
    chosen = dict(parse_methods("funnel_method=wilson; spc_screening=false; spc_rebase=2020-Q1; "
                                "significance=legacy-z-test; interval=wilson").describe())
    funnel = chosen["Funnel plots"]
    assert "PHEindicatormethods 2.1.0" in funnel and "FunnelPlotR" not in funnel
    assert "3.267" not in chosen["Control charts"] and "afresh at 2020-Q1" in chosen["Control charts"]
    assert chosen["Actual against predicted"].startswith("A two-sided one-sample z-test")
    assert "Clopper" not in chosen["Actual against predicted"]


def test_analyse_uses_the_chosen_methods(synthetic: Path) -> None:
    dataset, default = load(synthetic)
    wilson = analyse(dataset, as_of=default.as_of, methods=parse_methods("funnel_method=wilson"))
    assert set(default.funnel["limits_method"]) == {"arcsine"}
    assert set(wilson.funnel["limits_method"]) == {"wilson"}
    assert wilson.methods.funnel_method == "wilson"
    # Same pooled rates, other limits (PHEindicatormethods' Wilson limits are not arcsine ones).
    assert list(wilson.funnel["target"]) == list(default.funnel["target"])
    assert list(wilson.funnel["lower_inner"]) != list(default.funnel["lower_inner"])
    z = analyse(dataset, as_of=default.as_of, methods=parse_methods("significance=legacy-z-test"))
    tested = z.reoffending_rates["significance_test"].dropna()
    assert len(tested) and set(tested) == {"z-test"}


def test_funnel_levels_are_a_build_option(synthetic: Path) -> None:
    methods = parse_methods("funnel_levels=0.9, 0.99")
    assert methods.funnel_levels == (0.9, 0.99) and methods.spec() == "funnel_levels=0.9 0.99"
    assert parse_methods(methods.spec()) == methods
    assert methods.funnel_options()["levels"] == (0.9, 0.99)
    with pytest.raises(ValueError, match="funnel_levels='0.998 0.95'"):
        parse_methods("funnel_levels=0.998 0.95")  # inner first
    with pytest.raises(ValueError, match="funnel_levels='0.95'"):
        parse_methods("funnel_levels=0.95")
    assert dict(methods.describe())["Funnel plots"].startswith("Limits at 90% and 99% around")

    from analysis.charts.prepare.reoffending import describe_funnel, prepare_funnel

    dataset, default = load(synthetic)
    narrow = analyse(dataset, as_of=default.as_of, methods=methods)
    assert set(narrow.funnel["level_inner"]) == {0.9} and set(narrow.funnel["level_outer"]) == {0.99}
    assert set(default.funnel["level_inner"]) == {0.95} and set(default.funnel["level_outer"]) == {0.998}
    rows = narrow.funnel.dropna(subset=["lower_inner"])
    base = default.funnel.dropna(subset=["lower_inner"])
    # Same pooled rate, narrower limits: 90% inside 95%, 99% inside 99.8%.
    assert list(rows["target"]) == list(base["target"])
    assert (rows["lower_inner"].to_numpy() > base["lower_inner"].to_numpy()).all()
    assert (rows["upper_outer"].to_numpy() < base["upper_outer"].to_numpy()).all()
    positions = set(narrow.funnel["position"].dropna())
    assert positions <= {"within", "above 90%", "below 90%", "above 99%", "below 99%"}
    # The chart's words name the levels its limits were drawn at.
    drawn = prepare_funnel(narrow.funnel, AREA)
    assert drawn is not None and drawn.levels == (0.9, 0.99)
    alt = describe_funnel(drawn).alt
    assert "outside the 90% limits" in alt and "outside the 99% limits" in alt and "95%" not in alt


def test_a_rebase_quarter_the_data_lack_is_said_once(synthetic: Path) -> None:
    from analysis.loader import load_dataset
    from analysis.pipeline import cohort_table, method_warnings

    dataset = load_dataset(synthetic)
    quarters = sorted(c for c in cohort_table(dataset)["cohort"].astype(str) if "-Q" in c)
    assert method_warnings(dataset, parse_methods(f"spc_rebase={quarters[-1]}")) == []
    [warning] = method_warnings(dataset, parse_methods(f"spc_rebase={quarters[-1]} 2099-Q1 2098-Q4"))
    assert warning.startswith("spc_rebase=2098-Q4 2099-Q1: no quarterly series")
    assert "those quarters" in warning


def test_the_report_s_method_note_changes_with_an_option(synthetic: Path) -> None:
    def note(methods: str) -> str:
        report = AreaReport.build(synthetic, AREA, "", methods=methods)
        assert report._figures() == {"Funnel plots", "Control charts", "Actual against predicted"}
        return "\n".join(block.content.body for block in report.about()
                         if "How the figures are worked out" in block.content.body)

    default, wilson = note(""), note("funnel_method=wilson")
    assert "FunnelPlotR 0\\.6\\.0" in default and "PHEindicatormethods" not in default
    assert "PHEindicatormethods 2\\.1\\.0" in wilson and default != wilson


def test_a_snapshot_made_with_other_methods_is_refused(synthetic: Path, tmp_path: Path) -> None:
    import pickle

    from analysis.snapshot import SNAPSHOT_FORMAT

    dataset, results = load(synthetic)
    path = tmp_path / "snapshot.pkl"
    path.write_bytes(pickle.dumps({"format": SNAPSHOT_FORMAT, "data_dir": str(synthetic.resolve()),
                                   "dataset": dataset, "threshold": 10, "methods": "",
                                   "results": {results.as_of: results}, "overview": None}))
    with pytest.raises(ValueError, match="methods the defaults .snapshot. vs funnel_method=wilson"):
        load(synthetic, as_of=results.as_of, snapshot=path, methods="funnel_method=wilson")


def test_the_command_line_takes_and_checks_methods(synthetic: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["export", str(synthetic), "--out", str(tmp_path / "x"),
                              "--method", "funnel_method=poisson", "--method", "spc_baseline=5"])
    assert bad.exit_code == 2
    assert "funnel_method='poisson'" in bad.output and "spc_baseline='5'" in bad.output
    good = runner.invoke(app, ["export", str(synthetic), "--out", str(tmp_path / "y"),
                               "--method", "funnel_method=wilson"])
    assert good.exit_code == 0, good.output
    assert "wilson" in (tmp_path / "y" / "funnel.csv").read_text(encoding="utf-8")
    listed = runner.invoke(app, ["methods"])
    assert listed.exit_code == 0 and "spc_rebase" in listed.output and "making-data-count" in listed.output


def test_the_benchmark_is_the_one_nation_unless_the_build_names_another():
    import pandas as pd

    areas = pd.DataFrame({"area_id": ["ew", "sw", "p"],
                          "area_type": ["nation", "region", "community_safety_partnership"]})
    assert Methods().benchmark_for(areas) == "ew"
    assert parse_methods("benchmark_area=sw").benchmark_for(areas) == "sw"
    assert parse_methods("benchmark_area=none").benchmark_for(areas) is None
    two = pd.DataFrame({"area_id": ["e", "w"], "area_type": ["nation", "nation"]})
    assert Methods().benchmark_for(two) is None  # which nation is not the workbook's guess
    with pytest.raises(ValueError, match="benchmark_area='South West'"):
        parse_methods("benchmark_area=South West")
