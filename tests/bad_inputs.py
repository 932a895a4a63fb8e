"""A corpus of bad inputs: configs, data files and arguments that must each end in exit code 2,
one line on stderr naming the file and the key (or row), before any cell is fitted.

Each case is ``(id, command, config, files, expected)``: ``command`` is ``check`` (which reads the
data too) or ``train``; ``config`` is the YAML
text (``{csv}`` and ``{jsonl}`` name the case's data files); ``files`` maps file names to their
content (str or bytes); ``expected`` is a piece of the message.
"""

from __future__ import annotations

SYNTHETIC = """\
dataset: {{name: synthetic, n_tasks: 3, n_features: 10, n_train: 30, n_test: 30{dataset}}}
split: {{name: by-column, n_train_per_task: {sizes}{split}}}
featurizer: {{name: none{featurizer}}}
learners:
{learners}
seeds: {seeds}
{extra}"""


def synthetic(learners="  - {name: pooled, estimator: logistic}", dataset="", split="", featurizer="",
              sizes="[10, 20]", seeds="[0]", extra="") -> str:
    return SYNTHETIC.format(learners=learners, dataset=dataset, split=split, featurizer=featurizer, sizes=sizes,
                            seeds=seeds, extra=extra)


def learner(text: str) -> str:
    return synthetic(learners=f"  - {text}")


FILES = """\
dataset: {{name: files, path: {path}{dataset}}}
split: {{name: {split}, n_train_per_task: [2]}}
featurizer: {{name: tfidf{featurizer}}}
learners: [{{name: pooled, estimator: logistic}}]
seeds: [0]
"""


def files_config(path="{csv}", split="by-column", dataset="", featurizer="") -> str:
    return FILES.format(path=path, split=split, dataset=dataset, featurizer=featurizer)


GOOD_CSV = "text,label,task\n" + "".join(
    f"post number {i} about {'cats' if i % 2 else 'dogs'},{'pos' if i % 2 else 'neg'},{'a' if i < 8 else 'b'}\n"
    for i in range(16)
)


def csv_case(content, expected, config=None):
    return ("train", config or files_config(), {"data.csv": content}, expected)


def jsonl_case(lines, expected, config=None):
    content = "".join(line + "\n" for line in lines)
    return ("train", config or files_config("{jsonl}"), {"data.jsonl": content}, expected)


def rows(n=16, label=lambda i: f'"{"pos" if i % 2 else "neg"}"', task=lambda i: '"a"' if i < 8 else '"b"'):
    return [f'{{"text": "post {i} about {"cats" if i % 2 else "dogs"}", "label": {label(i)}, "task": {task(i)}}}'
            for i in range(n)]


CASES = {
    # -- the YAML file itself
    "not-utf8": ("check", b"dataset: {name: synthetic}\nname: caf\xe9\n", {}, "not UTF-8"),
    "too-large": ("check", "# " + "x" * (1 << 20) + "\n", {}, "larger than"),
    "deep-nesting": ("check", "a: " + "[" * 200 + "]" * 200 + "\n", {}, "nested deeper"),
    "alias-bomb": (
        "check",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
            for i in range(8)
        ),
        {},
        "expands to more than",
    ),
    "recursive-alias": ("check", "a: &a [1, *a]\n", {}, "refers to the value that contains it"),
    "duplicate-top-key": ("check", synthetic() + "seeds: [1]\n", {}, "duplicate key 'seeds'"),
    "duplicate-nested-key": ("check", synthetic(dataset=", n_tasks: 4"), {}, "duplicate key 'n_tasks'"),
    "duplicate-learner-key": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator: ridge}"),
        {},
        "duplicate key 'estimator'",
    ),
    "bad-syntax": ("check", "dataset: {name: synthetic\nsplit: [", {}, "not valid YAML"),
    "tab-indent": ("check", "dataset:\n\tname: synthetic\n", {}, "not valid YAML"),
    "two-documents": ("check", synthetic() + "---\nname: x\n", {}, "not valid YAML"),
    "empty-file": ("check", "", {}, "expected a mapping"),
    "only-comment": ("check", "# nothing\n", {}, "expected a mapping"),
    "top-level-list": ("check", "- a\n- b\n", {}, "expected a mapping"),
    "top-level-scalar": ("check", "hello\n", {}, "expected a mapping"),
    "python-tag": ("check", "dataset: !!python/object/apply:os.system [echo hi]\n", {}, "not valid YAML"),
    "unknown-tag": ("check", "dataset: !custom {name: synthetic}\n", {}, "not valid YAML"),
    # -- top-level keys
    "unknown-key": ("check", synthetic(extra="learnrs: []\n"), {}, "learnrs: unknown key"),
    "missing-dataset": ("check", "split: {name: by-column}\nlearners: [{name: pooled}]\n", {}, "dataset: required"),
    "missing-split": ("check", "dataset: {name: synthetic}\nlearners: [{name: pooled}]\n", {}, "split: required"),
    "missing-learners": ("check", "dataset: {name: synthetic}\nsplit: {name: by-column}\n", {}, "learners: required"),
    "empty-learners": ("check", "dataset: {name: synthetic}\nsplit: {name: by-column}\nlearners: []\n", {}, "learners"),
    "learners-mapping": (
        "check",
        "dataset: {name: synthetic}\nsplit: {name: by-column}\nlearners: {name: pooled}\n",
        {},
        "learners",
    ),
    "learner-not-mapping": ("check", synthetic(learners="  - pooled"), {}, "learners[0]"),
    "dataset-not-mapping": (
        "check",
        "dataset: synthetic\nsplit: {name: by-column}\nlearners: [{name: pooled}]\n",
        {},
        "dataset",
    ),
    "seeds-string": ("check", synthetic(seeds="abc"), {}, "seeds"),
    "seeds-empty": ("check", synthetic(seeds="[]"), {}, "seeds"),
    "seeds-duplicate": ("check", synthetic(seeds="[1, 2, 1]"), {}, "seeds: lists a seed twice"),
    "seeds-negative": ("check", synthetic(seeds="[-1]"), {}, "seeds"),
    "seeds-float": ("check", synthetic(seeds="[1.5]"), {}, "seeds"),
    "seeds-bool": ("check", synthetic(seeds="true"), {}, "seeds"),
    "seeds-quoted": ("check", synthetic(seeds="['1']"), {}, "seeds"),
    "seeds-huge": ("check", synthetic(seeds="[99999999999999999999]"), {}, "seeds"),
    "seeds-too-many-cells": (
        "check",
        synthetic(seeds="[" + ", ".join(map(str, range(60000))) + "]"),
        {},
        "more than 100000",
    ),
    "n_jobs-zero": ("check", synthetic(extra="n_jobs: 0\n"), {}, "n_jobs"),
    "n_jobs-string": ("check", synthetic(extra="n_jobs: two\n"), {}, "n_jobs"),
    "n_jobs-quoted-number": ("check", synthetic(extra="n_jobs: '2'\n"), {}, "n_jobs"),
    "n_jobs-minus-two": ("check", synthetic(extra="n_jobs: -2\n"), {}, "n_jobs"),
    "n_jobs-float": ("check", synthetic(extra="n_jobs: 1.5\n"), {}, "n_jobs"),
    "backend-unknown": ("check", synthetic(extra="backend: ray\n"), {}, "backend"),
    "backend-bad-address": ("check", synthetic(extra="backend: {name: dask, address: nowhere}\n"), {}, "backend"),
    "backend-extra-key": ("check", synthetic(extra="backend: {name: dask, workers: 3}\n"), {}, "backend"),
    "backend-unreachable": (
        "check",
        synthetic(extra="backend: {name: dask, address: 'tcp://127.0.0.1:9'}\n"),
        {},
        "no dask scheduler answers",
    ),
    "name-traversal": ("check", synthetic(extra="name: ../../x\n"), {}, "name: run names"),
    "name-absolute": ("check", synthetic(extra="name: /tmp/x\n"), {}, "name: run names"),
    "name-cache": ("check", synthetic(extra="name: .cache\n"), {}, "name: run names"),
    "name-dot": ("check", synthetic(extra="name: '.'\n"), {}, "name: run names"),
    "name-separator": ("check", synthetic(extra="name: a/b\n"), {}, "name: run names"),
    "name-empty": ("check", synthetic(extra="name: ''\n"), {}, "name: run names"),
    "name-number": ("check", synthetic(extra="name: 12\n"), {}, "name"),
    "name-too-long": ("check", synthetic(extra=f"name: {'a' * 101}\n"), {}, "name: run names"),
    "name-space": ("check", synthetic(extra="name: my run\n"), {}, "name: run names"),
    # -- dataset
    "dataset-no-name": (
        "check",
        "dataset: {n_tasks: 3}\nsplit: {name: by-column}\nlearners: [{name: pooled}]\n",
        {},
        "dataset: missing 'name'",
    ),
    "dataset-unknown": ("check", synthetic().replace("synthetic", "synthetik"), {}, "did you mean 'synthetic'"),
    "dataset-name-number": ("check", synthetic().replace("name: synthetic", "name: 5"), {}, "dataset.name"),
    "dataset-unknown-param": ("check", synthetic(dataset=", n_taks: 3"), {}, "unknown parameter 'n_taks'"),
    "dataset-grid": ("check", synthetic(dataset=", seed: {grid: [1, 2]}"), {}, "dataset.seed: a grid axis"),
    "synthetic-n_test-zero": ("check", synthetic(dataset=", n_informative: 0"), {}, "n_informative"),
    "synthetic-n_test-string": ("check", synthetic(dataset=", n_informative: '3'"), {}, "n_informative"),
    "synthetic-n_test-bool": ("check", synthetic(dataset=", rank: true"), {}, "rank"),
    "synthetic-n_test-float": ("check", synthetic(dataset=", rank: 1.5"), {}, "rank"),
    "synthetic-structure": ("check", synthetic(dataset=", structure: dense"), {}, "structure"),
    "synthetic-spread-nan": ("check", synthetic(dataset=", task_spread: .nan"), {}, "task_spread"),
    "synthetic-spread-inf": ("check", synthetic(dataset=", task_spread: .inf"), {}, "task_spread"),
    "synthetic-noise-negative": ("check", synthetic(dataset=", noise: -1"), {}, "noise"),
    "synthetic-seed-negative": ("check", synthetic(dataset=", seed: -3"), {}, "seed"),
    "synthetic-too-big": ("check", synthetic().replace("n_features: 10", "n_features: 10000000"), {}, "memory"),
    "files-no-path": ("check", files_config().replace("path: {csv}", "test_size: 0.2"), {}, "'path' is required"),
    "files-path-number": ("check", files_config(path="5"), {}, "'path' is required"),
    "files-test-size-zero": ("check", files_config(dataset=", test_size: 0"), {}, "test_size"),
    "files-test-size-one": ("check", files_config(dataset=", test_size: 1"), {}, "test_size"),
    "files-test-size-string": ("check", files_config(dataset=", test_size: half"), {}, "test_size"),
    "files-test-size-nan": ("check", files_config(dataset=", test_size: .nan"), {}, "test_size"),
    "newsgroups-remove-bad": (
        "check",
        "dataset: {name: 20newsgroups, remove: [signatures]}\nsplit: {name: single}\nlearners: [{name: pooled}]\n",
        {},
        "remove",
    ),
    "newsgroups-remove-string": (
        "check",
        "dataset: {name: 20newsgroups, remove: headers}\nsplit: {name: single}\nlearners: [{name: pooled}]\n",
        {},
        "remove",
    ),
    "newsgroups-download-string": (
        "check",
        "dataset: {name: 20newsgroups, download: 'no'}\nsplit: {name: single}\nlearners: [{name: pooled}]\n",
        {},
        "download",
    ),
    "newsgroups-data-home-number": (
        "check",
        "dataset: {name: 20newsgroups, data_home: 3}\nsplit: {name: single}\nlearners: [{name: pooled}]\n",
        {},
        "data_home",
    ),
    # -- split
    "split-no-name": ("check", synthetic().replace("name: by-column, ", ""), {}, "split: missing 'name'"),
    "split-unknown": ("check", synthetic().replace("by-column", "by-colum"), {}, "did you mean 'by-column'"),
    "size-zero": ("check", synthetic(sizes="[0]"), {}, "split.n_train_per_task"),
    "size-negative": ("check", synthetic(sizes="-5"), {}, "split.n_train_per_task"),
    "size-empty": ("check", synthetic(sizes="[]"), {}, "split.n_train_per_task"),
    "size-duplicate": ("check", synthetic(sizes="[5, 10, 5]"), {}, "lists a size twice"),
    "size-string": ("check", synthetic(sizes="many"), {}, "split.n_train_per_task"),
    "size-float": ("check", synthetic(sizes="[2.5]"), {}, "split.n_train_per_task"),
    "size-bool": ("check", synthetic(sizes="[true]"), {}, "split.n_train_per_task"),
    "size-mapping": ("check", synthetic(sizes="{a: 1}"), {}, "split.n_train_per_task"),
    "size-grid-marker": ("check", synthetic(sizes="{grid: [5, 10]}"), {}, "split.n_train_per_task"),
    "split-unknown-param": ("check", synthetic(split=", holdout: 0.2"), {}, "unknown parameter 'holdout'"),
    "holdout-too-large": ("check", synthetic(split=", holdout_tasks: 1.5"), {}, "holdout_tasks"),
    "holdout-negative": ("check", synthetic(split=", holdout_tasks: -0.1"), {}, "holdout_tasks"),
    "holdout-string": ("check", synthetic(split=", holdout_tasks: some"), {}, "holdout_tasks"),
    "holdout-seed-string": ("check", synthetic(split=", holdout_tasks: 0.3, holdout_seed: x"), {}, "holdout_seed"),
    "pairs-one-group": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: hierarchy-pairs, groups: [comp]}\nlearners: [{name: pooled}]\n",
        {},
        "groups",
    ),
    "pairs-same-group": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: hierarchy-pairs, groups: [comp, comp]}"
        "\nlearners: [{name: pooled}]\n",
        {},
        "groups",
    ),
    "pairs-unknown-group": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: hierarchy-pairs, groups: [comp, x]}"
        "\nlearners: [{name: pooled}]\n",
        {},
        "groups",
    ),
    "episodes-n-way-zero": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: episodes, n_way: 0}\nlearners: [{name: prototypes}]\n",
        {},
        "n_way",
    ),
    "episodes-k-shot-all": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: episodes, k_shot: all}\nlearners: [{name: prototypes}]\n",
        {},
        "split.k_shot",
    ),
    "episodes-classes-unknown": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: episodes, classes: bao}\nlearners: [{name: prototypes}]\n",
        {},
        "classes",
    ),
    "episodes-n-way-too-large": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: episodes, n_way: 9}\nlearners: [{name: prototypes}]\n",
        {},
        "n_way",
    ),
    "episodes-fit-on": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: episodes, fit_featurizer_on: test}\n"
        "learners: [{name: prototypes}]\n",
        {},
        "fit_featurizer_on",
    ),
    # -- featurizer
    "featurizer-unknown": (
        "check",
        synthetic(featurizer="").replace("name: none", "name: tfid"),
        {},
        "did you mean 'tfidf'",
    ),
    "featurizer-text-on-matrix": (
        "check",
        synthetic().replace("name: none", "name: tfidf"),
        {},
        "tfidf takes text or bags, but dataset synthetic gives matrix",
    ),
    "featurizer-none-on-text": (
        "check",
        files_config(featurizer="").replace("name: tfidf", "name: none"),
        {},
        "none takes matrix",
    ),
    "featurizer-unknown-param": ("check", files_config(featurizer=", min_dff: 2"), {}, "unknown parameter 'min_dff'"),
    "tfidf-min-df-negative": ("check", files_config(featurizer=", min_df: -1"), {}, "min_df"),
    "tfidf-max-df-too-large": ("check", files_config(featurizer=", max_df: 2.5"), {}, "max_df"),
    "tfidf-df-fractions-crossed": ("check", files_config(featurizer=", min_df: 0.5, max_df: 0.1"), {},
                                   "max_df (0.1) is below min_df (0.5)"),
    "tfidf-df-counts-crossed": ("check", files_config(featurizer=", min_df: 3, max_df: 2"), {},
                                "max_df (2) is below min_df (3)"),
    "tfidf-ngram-reversed": ("check", files_config(featurizer=", ngram_range: [2, 1]"), {}, "ngram_range"),
    "tfidf-ngram-string": ("check", files_config(featurizer=", ngram_range: bigrams"), {}, "ngram_range"),
    "tfidf-lowercase-string": ("check", files_config(featurizer=", lowercase: 'yes'"), {}, "lowercase"),
    "tfidf-stop-words-unknown": ("check", files_config(featurizer=", stop_words: klingon"), {}, "stop_words"),
    "tfidf-norm-unknown": ("check", files_config(featurizer=", norm: l3"), {}, "norm"),
    "featurizer-fit-on-test": ("check", files_config(featurizer=", fit_on: test"), {}, "'fit_on' must be one of"),
    "tfidf-grid": ("check", files_config(featurizer=", min_df: {grid: [1, 2]}"), {}, "featurizer.min_df: a grid axis"),
    "lsa-components-zero": (
        "check",
        files_config(featurizer=", n_components: 0").replace("tfidf", "lsa"),
        {},
        "n_components",
    ),
    "lsa-iter-string": ("check", files_config(featurizer=", n_iter: many").replace("tfidf", "lsa"), {}, "n_iter"),
    "hashing-features-zero": (
        "check",
        files_config(featurizer=", n_features: 0").replace("tfidf", "hashing"),
        {},
        "n_features",
    ),
    # -- learners
    "learner-no-name": ("check", learner("{estimator: logistic}"), {}, "learners[0]: missing 'name'"),
    "learner-unknown": ("check", learner("{name: pooledd}"), {}, "did you mean 'pooled'"),
    "learner-name-list": ("check", learner("{name: [pooled]}"), {}, "learners[0].name"),
    "learner-unknown-param": (
        "check",
        learner("{name: pooled, estimater: ridge}"),
        {},
        "unknown parameter 'estimater'",
    ),
    "estimator-unknown": ("check", learner("{name: pooled, estimator: svm}"), {}, "'estimator' must be one of"),
    "estimator-params-unknown": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {CC: 1}}"),
        {},
        "unknown parameter 'CC'",
    ),
    "estimator-params-list": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: [1]}"),
        {},
        "estimator_params",
    ),
    "estimator-C-negative": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {C: -1}}"),
        {},
        "The 'C' parameter of LogisticRegression",
    ),
    "estimator-C-string": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {C: big}}"),
        {},
        "The 'C' parameter",
    ),
    "estimator-C-plain-list": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {C: [1, 2]}}"),
        {},
        "to try each, write C: {grid: [...]}",
    ),
    "estimator-penalty-solver": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {penalty: l1}}"),
        {},
        "supports only",
    ),
    "estimator-max-iter-zero": (
        "check",
        learner("{name: pooled, estimator: linear-svc, estimator_params: {max_iter: -1}}"),
        {},
        "max_iter",
    ),
    "grid-empty": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {C: {grid: []}}}"),
        {},
        "empty grid axis",
    ),
    "grid-duplicate": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {C: {grid: [1, 1]}}}"),
        {},
        "lists a value twice",
    ),
    "grid-not-list": (
        "check",
        learner("{name: pooled, estimator: logistic, estimator_params: {C: {grid: 5}}}"),
        {},
        "a grid axis is written",
    ),
    "grid-extra-key": ("check", learner("{name: shared-w, alpha: {grid: [1], step: 2}}"), {}, "a grid axis is written"),
    "grid-too-deep": (
        "check",
        learner("{name: shared-w, penalty: graph, task_graph: [[a, {grid: [b, c]}]]}"),
        {},
        "a grid axis is allowed",
    ),
    "grid-bad-value": ("check", learner("{name: shared-w, alpha: {grid: [1, -1]}}"), {}, "alpha"),
    "shared-w-alpha-negative": ("check", learner("{name: shared-w, alpha: -1}"), {}, "'alpha' parameter"),
    "shared-w-alpha-nan": ("check", learner("{name: shared-w, alpha: .nan}"), {}, "'alpha' parameter"),
    "shared-w-alpha-inf": ("check", learner("{name: shared-w, alpha: .inf}"), {}, "'alpha' parameter"),
    "shared-w-alpha-string": ("check", learner("{name: shared-w, alpha: strong}"), {}, "'alpha' parameter"),
    "shared-w-alpha-list": ("check", learner("{name: shared-w, alpha: [0.1, 1]}"), {}, "alpha: {grid: [...]}"),
    "shared-w-l2-bool": ("check", learner("{name: shared-w, l2: true}"), {}, "'l2' parameter"),
    "prototypes-metric-unknown": ("check", synthetic(learners="  - {name: prototypes, metric: mahalanobis}",
                                                     split=", holdout_tasks: 0.5"), {}, "'metric' parameter"),
    "prototypes-shrinkage-zero": ("check", synthetic(learners="  - {name: prototypes, shrinkages: [0, 1]}",
                                                     split=", holdout_tasks: 0.5"),
                                  {}, "'shrinkages' parameter of Prototypes must be a float > 0. Got 0 instead."),
    "prototypes-center-string": ("check", synthetic(learners="  - {name: prototypes, center: 'yes'}",
                                                    split=", holdout_tasks: 0.5"),
                                 {}, "'center' parameter of Prototypes must be true or false. Got 'yes' instead."),
    "prototypes-balanced-inductive": ("check", synthetic(learners="  - {name: prototypes, balanced: true}",
                                                         split=", holdout_tasks: 0.5"),
                                      {}, "'balanced' parameter of Prototypes needs 'transductive: true'"),
    "prototypes-refine-rate-zero": ("check", "dataset: {name: 20newsgroups}\nsplit: {name: episodes}\n"
                                             "learners: [{name: prototypes, transductive: true, refine_rate: 0}]\n",
                                    {}, "'refine_rate' parameter of Prototypes must be a float > 0 and <= 1."),
    "shared-w-l2-nan": ("check", learner("{name: shared-w, l2: .nan}"), {}, "'l2' parameter"),
    "shared-w-tol-negative": ("check", learner("{name: shared-w, tol: -1e-4}"), {}, "'tol' parameter"),
    "shared-w-tol-nan": ("check", learner("{name: shared-w, tol: .nan}"), {}, "'tol' parameter"),
    "shared-w-max-iter-zero": ("check", learner("{name: shared-w, max_iter: 0}"), {}, "'max_iter' parameter"),
    "shared-w-max-iter-float": ("check", learner("{name: shared-w, max_iter: 10.5}"), {}, "'max_iter' parameter"),
    "shared-w-penalty": ("check", learner("{name: shared-w, penalty: l12}"), {}, "'penalty' parameter"),
    "shared-w-loss": ("check", learner("{name: shared-w, loss: hinge}"), {}, "'loss' parameter"),
    "shared-w-solver": ("check", learner("{name: shared-w, solver: newton}"), {}, "'solver' parameter"),
    "shared-w-lbfgs-l21": ("check", learner("{name: shared-w, penalty: l21, solver: lbfgs}"), {}, "smooth penalty"),
    "shared-w-warm-start": ("check", learner("{name: shared-w, warm_start: 'no'}"), {}, "warm_start"),
    "graph-without-edges": ("check", learner("{name: shared-w, penalty: graph}"), {}, "'task_graph' parameter"),
    "graph-self-loop": ("check", learner("{name: shared-w, penalty: graph, task_graph: [[a, a]]}"), {}, "to itself"),
    "graph-negative-weight": (
        "check",
        learner("{name: shared-w, penalty: graph, task_graph: [[a, b, -1]]}"),
        {},
        "task_graph",
    ),
    "graph-short-edge": ("check", learner("{name: shared-w, penalty: graph, task_graph: [[a]]}"), {}, "an edge is"),
    "graph-string": ("check", learner("{name: shared-w, penalty: graph, task_graph: star}"), {}, "task_graph"),
    "graph-empty": ("check", learner("{name: shared-w, penalty: graph, task_graph: []}"), {}, "task_graph"),
    "graph-unknown-task": (
        "train",
        learner("{name: shared-w, penalty: graph, task_graph: [[task-00, nine]]}"),
        {},
        "learners[0].task_graph: no task named 'nine'",
    ),
    "graph-in-episodes": ("check", "dataset: {name: 20newsgroups}\nsplit: {name: episodes}\nlearners: "
                          "[{name: shared-w, penalty: graph, task_graph: [[a, b]]}]\n", {},
                          "the episodes split has none"),
    "cv-one-fold": ("check", learner("{name: shared-w-cv, cv: 1}"), {}, "'cv' parameter"),
    "cv-more-than-size": ("check", learner("{name: shared-w-cv, cv: 15}"), {}, "learners[0].cv: 15 folds"),
    "cv-more-than-all": (
        "train",
        synthetic(learners="  - {name: shared-w-cv, cv: 50}", sizes="all"),
        {},
        "learners[0].cv: 50 folds, but the smallest task has",
    ),
    "episodes-n-way-bool": (
        "check",
        "dataset: {name: 20newsgroups}\nsplit: {name: episodes, n_way: true}\nlearners: [{name: prototypes}]\n",
        {},
        "n_way",
    ),
    "cv-l2s-empty": ("check", learner("{name: shared-w-cv, l2s: []}"), {}, "'l2s' parameter"),
    "cv-l2s-negative": ("check", learner("{name: shared-w-cv, l2s: [0.1, -1]}"), {}, "'l2s' parameter"),
    "cv-l2s-duplicate": ("check", learner("{name: shared-w-cv, l2s: [0.1, 0.1]}"), {}, "lists a value twice"),
    "cv-l2s-scalar": ("check", learner("{name: shared-w-cv, l2s: 0.1}"), {}, "'l2s' parameter"),
    "cv-alphas-strings": ("check", learner("{name: shared-w-cv, alphas: [a, b]}"), {}, "'alphas' parameter"),
    "cv-alphas-empty": ("check", learner("{name: shared-w-cv, alphas: []}"), {}, "'alphas' parameter"),
    "cv-n-alphas-zero": ("check", learner("{name: shared-w-cv, n_alphas: 0}"), {}, "'n_alphas' parameter"),
    "cv-scoring": ("check", learner("{name: shared-w-cv, scoring: f1}"), {}, "'scoring' parameter"),
    "meta-in-plain-prototypes": ("check", learner("{name: prototypes}"), {}, "prototypes is a meta-learner"),
    "meta-in-plain-ridge-head": ("check", learner("{name: ridge-head}"), {}, "ridge-head is a meta-learner"),
    "meta-in-plain-reptile": ("check", learner("{name: reptile}"), {}, "reptile is a meta-learner"),
    "transductive-outside-episodes": ("check", synthetic(learners="  - {name: prototypes, transductive: true}",
                                                         split=", holdout_tasks: 0.3"), {},
                                      "learners[0].transductive: transductive inference"),
    "transductive-not-bool": ("check", "dataset: {name: 20newsgroups}\nsplit: {name: episodes}\n"
                              "learners: [{name: prototypes, transductive: 'yes'}]\n", {}, "'transductive' parameter"),
    "ridge-head-l2s-empty": (
        "check",
        synthetic(learners="  - {name: ridge-head, l2s: []}", split=", holdout_tasks: 0.3"),
        {},
        "'l2s' parameter",
    ),
    "subspace-ranks-zero": (
        "check",
        synthetic(learners="  - {name: meta-subspace, ranks: [0, 5]}", split=", holdout_tasks: 0.3"),
        {},
        "'ranks' parameter",
    ),
    "reptile-lrs-negative": (
        "check",
        synthetic(learners="  - {name: reptile, inner_lrs: [-1.0]}", split=", holdout_tasks: 0.3"),
        {},
        "'inner_lrs' parameter",
    ),
    "reptile-steps-string": (
        "check",
        synthetic(learners="  - {name: reptile, inner_steps: ten}", split=", holdout_tasks: 0.3"),
        {},
        "'inner_steps' parameter",
    ),
    "meta-projection": (
        "check",
        synthetic(learners="  - {name: prototypes, projection: pca}", split=", holdout_tasks: 0.3"),
        {},
        "'projection' parameter",
    ),
    "meta-components-zero": (
        "check",
        synthetic(learners="  - {name: prototypes, projection: lsa, n_components: 0}", split=", holdout_tasks: 0.3"),
        {},
        "'n_components' parameter",
    ),
    # -- data files (found by mtl train before any cell is fitted)
    "data-missing-file": ("train", files_config(path="nowhere.csv"), {}, "no such file"),
    "data-wrong-extension": ("train", files_config(path="{txt}"), {"data.txt": "text,label\n"}, "unknown file type"),
    "data-not-utf8": csv_case(b"text,label\ncaf\xe9,pos\n", "not UTF-8"),
    "data-empty": csv_case("", "holds no rows"),
    "data-header-only": csv_case("text,label\n", "holds no rows"),
    "data-no-text-column": csv_case("body,label\nhi,pos\n", "has no column 'text'"),
    "data-no-label-column": csv_case("text,class\nhi,pos\n", "has no column 'label'"),
    "data-duplicate-header": csv_case("text,label,label\nhi,pos,neg\n", "names column 'label' twice"),
    "data-extra-field": csv_case("text,label\nhi,pos,extra\n", "3 fields where the header has 2"),
    "data-missing-field": csv_case("text,label,task\nhi,pos\n", "2 fields where the header has 3"),
    "data-empty-text": csv_case("text,label\n   ,pos\n", "column 'text' is empty"),
    "data-empty-label": csv_case("text,label\nhi, \n", "column 'label' is empty"),
    "data-empty-task": csv_case("text,label,task\nhi,pos,\n", "column 'task' is empty"),
    "data-unterminated-quote": csv_case('text,label\n"hi,pos\n', "1 fields where the header has 2"),
    "data-bad-split-value": csv_case("text,label,split\nhi,pos,dev\n", "column 'split' must be"),
    "data-only-train": csv_case("text,label,split\nhi,pos,train\nho,neg,train\n", "needs both training and test"),
    "data-only-test": csv_case("text,label,split\nhi,pos,test\nho,neg,test\n", "needs both training and test"),
    "data-task-only-in-test": csv_case(
        "text,label,task,split\na b,pos,x,train\nb c,neg,x,train\nc d,pos,x,test\nd e,neg,y,test\n",
        "task 'y' has test rows but no training rows",
    ),
    "data-no-task-column": csv_case(
        GOOD_CSV.replace(",task", "").replace(",a\n", "\n").replace(",b\n", "\n"), "split by-column needs a task column"
    ),
    "data-empty-vocabulary": (
        "train",
        files_config(featurizer=", stop_words: english"),
        {"data.csv": "text,label,task\n" + "the and,pos,a\nof the,neg,a\n" * 4},
        "featurizer tfidf",
    ),
    "data-class-without-test": csv_case("text,label,split\ngood,pos,train\nbad,neg,train\nok,odd,train\n"
                                        "fine,pos,test\nawful,neg,test\n", "task 'odd' has no test samples",
                                        files_config(split="one-vs-rest")),
    "data-pairs-on-files": csv_case(
        GOOD_CSV, "hierarchy-pairs needs the 20 Newsgroups labels", files_config(split="hierarchy-pairs")
    ),
    "data-episodes-on-files": (
        "train",
        files_config()
        .replace("{name: by-column, n_train_per_task: [2]}", "{name: episodes}")
        .replace("pooled, estimator: logistic", "prototypes"),
        {"data.csv": GOOD_CSV},
        "split episodes",
    ),
    "jsonl-invalid-line": jsonl_case(rows(4) + ["{not json"], "line 5: not valid JSON"),
    "jsonl-not-object": jsonl_case(rows(4) + ["[1, 2]"], "line 5: expected a JSON object"),
    "jsonl-label-float": jsonl_case(rows(label=lambda i: "1.0"), "column 'label' must be a string"),
    "jsonl-label-null": jsonl_case(rows(label=lambda i: "null"), "column 'label' must be a string"),
    "jsonl-label-list": jsonl_case(rows(label=lambda i: "[1]"), "column 'label' must be a string"),
    "jsonl-label-mixed": jsonl_case(rows(label=lambda i: "1" if i % 2 else '"1"'), "column 'label' mixes types"),
    "jsonl-task-mixed": jsonl_case(rows(task=lambda i: "1" if i < 8 else '"b"'), "column 'task' mixes types"),
    "jsonl-text-number": jsonl_case(['{"text": 5, "label": "a", "task": "t"}'], "column 'text' is empty or not"),
    "jsonl-deep": jsonl_case(['{"text": ' + "[" * 100000 + "]" * 100000 + "}"], "not valid JSON"),
    # -- arguments and environment
    "arg-missing-config": ("check", None, {}, "no such config file"),
    "arg-jobs-zero": ("train", synthetic(), {}, "--jobs"),
    "arg-runs-is-a-file": ("train", synthetic(), {}, "a file stands where a folder is needed"),
}
