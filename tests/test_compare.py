"""Paired comparisons with a baseline, by hand and from the CLI."""

import json

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from mtl_cli.cli import app
from mtl_cli.compare import paired_rows, resolve_baseline
from mtl_cli.errors import UserError


def records(learner, accuracies, size=10):
    """accuracies[seed][task] -> records of a non-episodic run."""
    return [
        {"learner": learner, "n_train_per_task": size, "seed": seed, "task": f"t{task}", "accuracy": value,
         "macro_f1": value / 2}
        for seed, per_task in enumerate(accuracies) for task, value in enumerate(per_task)
    ]


def test_difference_is_the_mean_of_per_seed_differences_with_a_t_interval():
    base = records("single", [[0.5, 0.7], [0.6, 0.6], [0.9, 0.7]])
    shared = records("shared", [[0.7, 0.8], [0.7, 0.8], [0.9, 0.9]])
    (row,) = paired_rows(base + shared, "single")
    per_seed = np.array([0.75 - 0.6, 0.75 - 0.6, 0.9 - 0.8])
    half = stats.t.ppf(0.975, 2) * per_seed.std(ddof=1) / np.sqrt(3)
    assert row["learner"] == "shared" and row["baseline"] == "single" and row["n_pairs"] == 3
    assert row["difference_mean"] == pytest.approx(per_seed.mean())
    assert row["difference_ci95"] == pytest.approx(half)
    assert row["baseline_accuracy_mean"] == pytest.approx(2.0 / 3) and row["accuracy_mean"] == pytest.approx(0.8)
    assert row["verdict"] == "better"
    (row,) = paired_rows(base + shared, "single", "macro_f1")
    assert row["difference_mean"] == pytest.approx(per_seed.mean() / 2)


def test_pairing_sees_a_steady_gain_that_unpaired_intervals_hide():
    # seeds differ a lot (0.5 ... 0.9), the learner is 0.02 above the baseline on every seed
    seeds = [0.5, 0.7, 0.9, 0.6]
    base = records("single", [[s] for s in seeds])
    better = records("shared", [[s + 0.02] for s in seeds])
    worse = records("other", [[s - 0.02 + 0.001 * k] for k, s in enumerate(seeds)])
    rows = {row["learner"]: row for row in paired_rows(base + better + worse, "single")}
    assert rows["shared"]["verdict"] == "better" and rows["shared"]["difference_ci95"] == pytest.approx(0, abs=1e-12)
    assert rows["other"]["verdict"] == "worse"
    unpaired_half = stats.t.ppf(0.975, 3) * np.std(seeds, ddof=1) / 2
    assert unpaired_half > 0.1  # side by side, the two intervals overlap by far


def test_a_gain_within_the_noise_is_no_clear_difference_and_sizes_are_matched():
    base = records("single", [[0.6], [0.7], [0.8]]) + records("single", [[0.9], [0.9], [0.9]], size=50)
    shared = records("shared", [[0.62], [0.68], [0.81]]) + records("shared", [[0.9], [0.9], [0.9]], size=200)
    (row,) = paired_rows(base + shared, "single")  # size 200 has no baseline, size 50 no learner
    assert row["n_train_per_task"] == 10 and row["verdict"] == "no clear difference"


def test_episodic_runs_pair_the_same_episodes():
    def episodes(learner, values):
        return [
            {
                "learner": learner,
                "protocol": "episodic",
                "k_shot": 1,
                "n_way": 5,
                "seed": 0,
                "episode": e,
                "accuracy": v,
            }
            for e, v in enumerate(values)
        ]

    rows = paired_rows(
        episodes("prototypes", [0.2, 0.4, 0.6, 0.8]) + episodes("ridge", [0.3, 0.5, 0.7, 0.9]), "prototypes"
    )
    assert rows[0]["k_shot"] == 1 and rows[0]["n_pairs"] == 4
    assert rows[0]["difference_mean"] == pytest.approx(0.1) and rows[0]["verdict"] == "better"
    # 10-way episodes share seeds and episode numbers with the 5-way ones, but are other episodes
    ten_way = [dict(r, n_way=10, accuracy=r["accuracy"] / 2) for r in
               episodes("prototypes", [0.2, 0.4, 0.6, 0.8]) + episodes("ridge", [0.2, 0.4, 0.6, 0.8])]
    rows = paired_rows(episodes("prototypes", [0.2, 0.4, 0.6, 0.8]) + episodes("ridge", [0.3, 0.5, 0.7, 0.9]) + ten_way,
                       "prototypes")
    assert [(r["n_way"], r["k_shot"]) for r in rows] == [(5, 1), (10, 1)]
    assert rows[1]["difference_mean"] == 0 and rows[1]["verdict"] == "no clear difference"


def test_baseline_names_resolve_to_one_label():
    labels = ["single-task[C=1.0]", "single-task[C=10.0]", "pooled[C=1.0]"]
    assert resolve_baseline(labels, "pooled") == "pooled[C=1.0]"
    assert resolve_baseline(labels, "single-task[C=1.0]") == "single-task[C=1.0]"
    with pytest.raises(UserError, match="starts several learners"):
        resolve_baseline(labels, "single-task")
    with pytest.raises(UserError, match="no learner of this run"):
        resolve_baseline(labels, "shared-w")


def test_cli_compares_a_real_run_and_writes_the_table(synthetic_runs):
    result = CliRunner().invoke(app, ["compare", "--runs", str(synthetic_runs), "--baseline", "pooled"])
    assert result.exit_code == 0, result.output
    run = synthetic_runs / "syn"
    table = (run / "comparison.md").read_text()
    assert "paired difference with pooled[estimator=ridge]" in table
    lines = [line for line in table.splitlines() if line.startswith("| single-task")]
    assert len(lines) == 4 and all(" | 2 | " in line for line in lines)  # 2 settings x 2 sizes, 2 seeds paired
    csv_rows = (run / "comparison.csv").read_text().splitlines()
    assert csv_rows[0].startswith(
        "learner,n_train_per_task,baseline,baseline_accuracy_mean,accuracy_mean,difference_mean"
    )
    records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    row = paired_rows(records, "pooled")[0]
    assert row["verdict"] in table.splitlines()[4]


@pytest.mark.parametrize("args, message", [
    (["--baseline", "shared-w"], "--baseline: no learner of this run is 'shared-w'"),
    (["--baseline", "pooled", "--metric", "auc"], "--metric: 'auc' is not in"),
])
def test_cli_bad_options_are_one_line_errors_with_exit_code_2(synthetic_runs, args, message):
    result = CliRunner().invoke(app, ["compare", str(synthetic_runs / "syn"), *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_cli_without_a_run_is_a_user_error(tmp_path):
    result = CliRunner().invoke(app, ["compare", str(tmp_path), "--baseline", "pooled"])
    assert result.exit_code == 2 and "no results.jsonl" in result.stderr


def test_holm_adjusts_step_down_and_keeps_order():
    from mtl_cli.compare import holm

    # m = 4: 0.01*4 = 0.04, 0.02*3 = 0.06, 0.03*2 = 0.06 (monotone), 0.5*1 = 0.5; NaN is not counted
    assert holm([0.03, 0.01, float("nan"), 0.5, 0.02]) == pytest.approx([0.06, 0.04, float("nan"), 0.5, 0.06],
                                                                        nan_ok=True)
    assert holm([0.9, 0.8]) == [1.0, 1.0]  # 2 x 0.8 caps at 1, and no later value may be smaller


def test_p_values_are_the_paired_t_test_and_the_verdict_uses_holm():
    from scipy import stats

    from mtl_cli.compare import paired_p_value

    differences = [0.02, 0.03, 0.01, 0.04, 0.02]
    assert paired_p_value(differences, "t") == pytest.approx(stats.ttest_1samp(differences, 0).pvalue)
    assert paired_p_value([0.1], "t") != paired_p_value([0.1], "t")  # NaN: one pair
    assert paired_p_value([0, 0, 0], "t") == 1.0 and paired_p_value([0.1, 0.1], "t") == 0.0


def test_identical_differences_in_every_pair_are_not_called_significant():
    """At size 'all' the seeds change nothing: three equal runs are one observation, not a certainty."""
    records = [{"learner": name, "n_train_per_task": "all", "seed": seed, "task": "t", "accuracy": accuracy}
               for seed in (0, 1, 2) for name, accuracy in (("base", 0.80), ("other", 0.81))]
    (row,) = paired_rows(records, "base")
    assert row["difference_ci95"] == 0 and row["verdict"] == "no variation over units: not tested"
    assert row["p_value"] != row["p_value"] and row["p_holm"] != row["p_holm"]  # NaN, and not counted by Holm
    # one small gain (p < 0.05 alone) among many comparisons of nothing: Holm says no clear difference
    seeds = range(5)
    rows = [{"learner": "base", "n_train_per_task": 10, "seed": s, "task": "t", "accuracy": 0.5 + 0.01 * s}
            for s in seeds]
    gains = {"small": [0.010, 0.030, 0.015, 0.025, 0.012]}
    for k in range(8):
        gains[f"none{k}"] = [0.01, -0.01, 0.02, -0.02, 0.0 + 0.001 * k]
    for name, gain in gains.items():
        rows += [{"learner": name, "n_train_per_task": 10, "seed": s, "task": "t", "accuracy": 0.5 + 0.01 * s + g}
                 for s, g in zip(seeds, gain)]
    result = {r["learner"]: r for r in paired_rows(rows, "base")}
    small = result["small"]
    assert small["p_value"] < 0.05 and small["p_holm"] == pytest.approx(min(1, 9 * small["p_value"]))
    assert small["p_holm"] > 0.05 and small["verdict"] == "no clear difference"


def test_wilcoxon_pairs_seeds_and_tasks():
    from scipy import stats

    rows = []
    for s in range(3):
        for t in ("a", "b", "c"):
            rows.append({"learner": "base", "n_train_per_task": 5, "seed": s, "task": t, "accuracy": 0.5})
            rows.append({"learner": "new", "n_train_per_task": 5, "seed": s, "task": t,
                         "accuracy": 0.5 + 0.01 * (1 + s + ord(t) - ord("a"))})
    (row,) = paired_rows(rows, "base", test="wilcoxon")
    expected = stats.wilcoxon([0.01 * (1 + s + k) for s in range(3) for k in range(3)]).pvalue
    assert row["p_value"] == pytest.approx(expected) and row["test"] == "Wilcoxon signed-rank"
    assert row["verdict"] == "better"
    with pytest.raises(UserError, match="--test"):
        paired_rows(rows, "base", test="z")


def test_tables_and_comparisons_are_written_as_booktabs_latex(synthetic_runs):
    from typer.testing import CliRunner

    from mtl_cli.cli import app
    from mtl_cli.results import latex_escape, to_latex

    run = synthetic_runs / "syn"
    tex = (run / "accuracy.tex").read_text()
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert tex.count("\\\\\n") == 1 + 6  # the header and one line per (learner setting, size): 2 x 2 + 2
    assert "n\\_train\\_per\\_task" in tex and "$\\pm$" in tex
    assert latex_escape("a_b & 50% {x}") == "a\\_b \\& 50\\% \\{x\\}"
    assert CliRunner().invoke(app, ["compare", str(run), "-b", "pooled"]).exit_code == 0
    assert "\\begin{tabular}" in (run / "comparison.tex").read_text()
    assert to_latex([], "empty").startswith("% empty")


def test_several_baselines_pair_each_learner_with_those_of_its_inference_and_holm_runs_over_all_rows():
    def of(learner, values, inference):
        return [{**r, "inference": inference} for r in records(learner, [[v] for v in values])]

    rows = paired_rows(
        of("proto", [0.5, 0.6, 0.7], "inductive") + of("proto-t", [0.7, 0.8, 0.9], "transductive")
        + of("ridge", [0.52, 0.63, 0.71], "inductive") + of("ridge-t", [0.66, 0.77, 0.85], "transductive")
        + of("single", [0.5, 0.61, 0.7], "inductive"),
        ["proto", "proto-t", "single"],
    )
    pairs = [(row["learner"], row["baseline"]) for row in rows]
    # inductive with inductive, transductive with transductive; proto vs single once (single is listed later)
    assert pairs == [("ridge", "proto"), ("single", "proto"), ("ridge-t", "proto-t"), ("ridge", "single")]
    raw = [row["p_value"] for row in rows]
    order = np.argsort(raw)
    assert rows[order[0]]["p_holm"] == pytest.approx(min(1.0, 4 * raw[order[0]]))  # m = 4: every baseline's rows
    assert {row["learner"]: row for row in rows if row["baseline"] == "proto-t"}["ridge-t"]["difference_mean"] == (
        pytest.approx(-0.04))


def test_the_cli_takes_the_baseline_option_several_times(synthetic_runs):
    result = CliRunner().invoke(app, ["compare", "--runs", str(synthetic_runs), "-b", "pooled",
                                      "-b", "single-task[C=0.1"])
    assert result.exit_code == 0, result.output
    table = (synthetic_runs / "syn" / "comparison.md").read_text()
    assert "paired difference with pooled[estimator=ridge] / single-task[C=0.1,estimator=logistic]" in table
    rows = [line.split(" | ")[:3] for line in table.splitlines() if line.startswith("| single-task")]
    # C=0.1 and C=1.0 against pooled at both sizes; then C=1.0 against C=0.1 (pooled, an earlier baseline, is not)
    assert [(learner[2:], baseline) for learner, _, baseline in rows] == [
        ("single-task[C=0.1,estimator=logistic]", "pooled[estimator=ridge]")] * 2 + [
        ("single-task[C=1.0,estimator=logistic]", "pooled[estimator=ridge]")] * 2 + [
        ("single-task[C=1.0,estimator=logistic]", "single-task[C=0.1,estimator=logistic]")] * 2
    assert "over the 6 comparisons" in table
