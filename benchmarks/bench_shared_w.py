"""Shared-W fit time against independent scikit-learn models, on the full comp-vs-rec tasks.

For each penalty: the fit time of MultiTaskLinearClassifier against the sum
of the fit times of independent LogisticRegression models, one per task, on
the same 20 tasks (all ~1,180 training posts each, TF-IDF), at the same
tolerance on the max-abs gradient (scikit-learn's lbfgs scales its objective
per task exactly as ours: C = 1 / (l2 * n_t)). Each repeat times the two back
to back; the median of the paired ratios is reported. Each row also gives
how far the objective reached is above the optimum (relative gap; the
optimum from FISTA at tol 1e-9, the baseline's from scikit-learn at tol
1e-10), so the accuracy of the two at the same tolerance can be compared.
First, how many weights none and l21 solve for (the support). Then
iterations to tol as the coupling of mean and graph grows, and, for
the proximal solvers, iterations and seconds to the same
tolerance: SpaRSA (solver="auto" for l21 and trace), FISTA and plain
proximal gradient, and the two on unscaled iris, where SpaRSA is behind.
Last, the exact MT-SVM (one liblinear LinearSVC on augmented samples)
against 20 independent liblinear LinearSVC fits, hinge loss.

    python benchmarks/bench_shared_w.py [--tol 1e-4] [--l2 1e-3] [--repeats 3] [--only penalties,mt-svm]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from measured import Measured

from mtl_cli.data.newsgroups import Newsgroups
from mtl_cli.data.splits import HierarchyPairs
from mtl_cli.features import featurize
from mtl_cli.learners import MultiTaskLinearClassifier

ALPHAS = {"none": 0.0, "mean": 1e-2, "graph": 1e-2, "l21": 1e-3, "trace": 1e-3, "cluster": 1e-2}
SECTIONS = ("penalties", "coupling", "proximal", "mt-svm")


def timed(fit, repeats):
    seconds, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), model


def sklearn_objective(model, X, y, l2):
    """mean logistic loss + (l2/2) ||w||^2 of a fitted binary LogisticRegression."""
    z = np.where(y == model.classes_[1], 1.0, -1.0) * (X @ model.coef_[0] + model.intercept_[0])
    return float(np.mean(np.logaddexp(0.0, -z)) + 0.5 * l2 * model.coef_[0] @ model.coef_[0])


def relative_gap(value, optimum):
    return (value - optimum) / abs(optimum)


def support_sizes_table(out, X, t, n_tasks, posts_per_task=(5, 20, 50, 200, None)):
    """Share of the T x d weights whose (task, feature) pair occurs in the data: what none and l21 solve for.

    For n posts per task (seeded sample; None: all), d counts the features that occur in the sample.
    """
    rng = np.random.default_rng(0)
    out.say("| posts per task | features in the sample | weights on the support | share of T x d |")
    out.say("|---|---|---|---|")
    for n in posts_per_task:
        rows = np.concatenate(
            [
                np.flatnonzero(t == k) if n is None else rng.choice(np.flatnonzero(t == k), n, replace=False)
                for k in range(n_tasks)
            ]
        )
        sample, sample_tasks = X[rows], t[rows]
        d = len(np.unique(sample.indices))
        on_support = sum(len(np.unique(sample[sample_tasks == k].indices)) for k in range(n_tasks))
        out.say(f"| {'all' if n is None else n} | {d} | {on_support} | {on_support / (n_tasks * d):.0%} |")
    out.say()


def mt_svm_table(out, X, y, t, n_tasks, args) -> None:
    """MultiTaskSVC (hinge, mean coupling) against 20 independent LinearSVC(hinge) fits, same l2 per task."""
    from sklearn.svm import LinearSVC

    from mtl_cli.learners import MultiTaskSVC

    def independent():
        return [LinearSVC(loss="hinge", C=1 / (args.l2 * np.sum(t == k)), tol=args.tol, max_iter=100000,
                          dual=True).fit(X[t == k], y[t == k]) for k in range(n_tasks)]

    out.say("\nThe exact MT-SVM against 20 independent liblinear fits (hinge loss):\n")
    out.say("| alpha | MT-SVM s | independent s | ratio to independent |")
    out.say("|---|---|---|---|")
    for alpha in (1e-2, 1.0):
        pairs = []
        for _ in range(args.repeats):
            base_seconds, _ = timed(independent, 1)
            seconds, _ = timed(lambda: MultiTaskSVC(alpha=alpha, l2=args.l2, tol=args.tol).fit(X, y, t), 1)
            pairs.append((seconds / base_seconds, seconds, base_seconds))
        ratio, seconds, base_seconds = sorted(pairs)[len(pairs) // 2]
        out.say(f"| {alpha:g} | {seconds:.2f} | {base_seconds:.2f} | {ratio:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    out = Measured("shared-w")
    measure(out, args, sections)
    out.save()


def measure(out, args, sections) -> None:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    corpus = Newsgroups(download=False).load()
    tasks = HierarchyPairs(["comp", "rec"]).tasks(corpus)
    data = featurize(corpus, tasks, "tfidf", {"sublinear_tf": True, "min_df": 2}, seed=0)
    X, y, t = data.X_train, data.y_train, data.task_train
    support_sizes_table(out, X, t, len(tasks))

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")

        def independent(tol=args.tol):
            return [
                LogisticRegression(C=1 / (args.l2 * np.sum(t == k)), tol=tol, max_iter=10000).fit(X[t == k], y[t == k])
                for k in range(len(tasks))
            ]

        def independent_objective(models):
            return sum(sklearn_objective(m, X[t == k], y[t == k], args.l2) for k, m in enumerate(models))

        base_gap = relative_gap(independent_objective(independent()), independent_objective(independent(1e-10)))
        out.say("| tasks | training rows | TF-IDF features | nonzeros | l2 | tol | repeats | independent models' "
                "relative gap |")
        out.say("|---|---|---|---|---|---|---|---|")
        out.say(f"| {len(tasks)} | {X.shape[0]:,} | {X.shape[1]:,} | {X.nnz:,} | {args.l2:g} | {args.tol:g} "
                f"| {args.repeats} | {base_gap:.1e} |\n")

        # The machine's speed drifts between runs, so each repeat times the baseline and the
        # penalty back to back, and the ratio is the median of those paired ratios.
        edges = [(k, k + 1) for k in range(len(tasks) - 1)]
        if "penalties" in sections:
            out.say("| penalty | alpha | solver | fit s | independent s | ratio to independent | iterations "
                  "| relative gap |")
            out.say("|---|---|---|---|---|---|---|---|")
        for penalty, alpha in ALPHAS.items() if "penalties" in sections else ():
            params = dict(penalty=penalty, alpha=alpha, l2=args.l2, tol=args.tol, max_iter=20000,
                          task_graph=edges if penalty == "graph" else None)
            pairs = []
            for _ in range(args.repeats):
                base_seconds, _ = timed(independent, 1)
                seconds, model = timed(lambda: MultiTaskLinearClassifier(**params).fit(X, y, t), 1)
                pairs.append((seconds / base_seconds, seconds, base_seconds))
            ratio, seconds, base_seconds = sorted(pairs)[len(pairs) // 2]
            exact = "lbfgs" if penalty == "cluster" else "fista"  # cluster has no prox
            optimum = MultiTaskLinearClassifier(**{**params, "solver": exact, "tol": 1e-9}).fit(X, y, t).objective_
            solver = "lbfgs" if model.penalty_.smooth else "sparsa"
            out.say(
                f"| {penalty} | {alpha:g} | {solver} | {seconds:.2f} | {base_seconds:.2f} | {ratio:.2f}x "
                f"| {model.n_iter_} "
                f"| {relative_gap(model.objective_, optimum):.1e} |"
            )

        if "mt-svm" in sections:
            mt_svm_table(out, X, y, t, len(tasks), args)
        if "coupling" not in sections and "proximal" not in sections:
            return
        out.say("\nCoupling strength, solver='auto' (L-BFGS preconditioned by the coupling):\n")
        out.say("| penalty | alpha | iterations | fit s | relative gap |")
        out.say("|---|---|---|---|---|")
        for penalty in ("mean", "graph"):
            for alpha in (1e-2, 1.0, 1e3):
                params = dict(penalty=penalty, alpha=alpha, l2=args.l2, max_iter=20000,
                              task_graph=edges if penalty == "graph" else None)
                seconds, model = timed(lambda: MultiTaskLinearClassifier(tol=args.tol, **params).fit(X, y, t), 1)
                optimum = MultiTaskLinearClassifier(solver="fista", tol=1e-9, **params).fit(X, y, t).objective_
                out.say(
                    f"| {penalty} | {alpha:g} | {model.n_iter_} | {seconds:.2f} "
                    f"| {relative_gap(model.objective_, optimum):.1e} |"
                )

        out.say("\nProximal solvers, iterations and seconds to tol:\n")
        out.say("| penalty | SpaRSA | FISTA | proximal gradient | FISTA vs proximal gradient iterations |")
        out.say("|---|---|---|---|---|")
        for penalty in ("mean", "l21", "trace"):
            params = dict(penalty=penalty, alpha=ALPHAS[penalty], l2=args.l2, tol=args.tol, max_iter=20000)
            runs = {}
            for solver in ("sparsa", "fista", "pgd"):
                runs[solver] = timed(lambda: MultiTaskLinearClassifier(solver=solver, **params).fit(X, y, t), 1)
            cells = " | ".join(f"{model.n_iter_} ({seconds:.2f} s)" for seconds, model in runs.values())
            out.say(f"| {penalty} | {cells} | {runs['pgd'][1].n_iter_ / runs['fista'][1].n_iter_:.1f}x |")

        # where SpaRSA is behind: small dense features of very different scales
        from sklearn.datasets import load_iris

        X_iris, y_iris = load_iris(return_X_y=True)
        params = dict(penalty="l21", alpha=0.01, l2=0.01, tol=1e-6, max_iter=100000)
        iterations = {solver: MultiTaskLinearClassifier(solver=solver, **params).fit(X_iris, y_iris).n_iter_
                      for solver in ("sparsa", "fista")}
        out.say("\n| unscaled iris, one-vs-rest l21 (alpha 0.01, l2 0.01, tol 1e-6) | SpaRSA iterations "
                "| FISTA iterations |")
        out.say("|---|---|---|")
        out.say(f"| iris | {iterations['sparsa']} | {iterations['fista']} |")


if __name__ == "__main__":
    main()
