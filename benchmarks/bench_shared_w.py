"""Shared-W fit time against independent scikit-learn models, on the full comp-vs-rec tasks.

For each penalty: the fit time of MultiTaskLinearClassifier against the sum
of the fit times of independent LogisticRegression models, one per task, on
the same 20 tasks (all ~1,180 training posts each, TF-IDF), at the same
tolerance on the max-abs gradient (scikit-learn's lbfgs scales its objective
per task exactly as ours: C = 1 / (l2 * n_t)). Each repeat times the two back
to back; the median of the paired ratios is reported. Then iterations to
tolerance of the accelerated solver (FISTA) against plain proximal gradient.

    python benchmarks/bench_shared_w.py [--tol 1e-4] [--l2 1e-3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from mtl_cli.data.newsgroups import Newsgroups
from mtl_cli.data.splits import HierarchyPairs
from mtl_cli.features import featurize
from mtl_cli.learners import MultiTaskLinearClassifier

ALPHAS = {"none": 0.0, "mean": 1e-2, "graph": 1e-2, "l21": 1e-3, "trace": 1e-3}


def timed(fit, repeats):
    seconds, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    corpus = Newsgroups(download=False).load()
    tasks = HierarchyPairs(["comp", "rec"]).tasks(corpus)
    data = featurize(corpus, tasks, "tfidf", {"sublinear_tf": True, "min_df": 2}, seed=0)
    X, y, t = data.X_train, data.y_train, data.task_train
    print(f"comp vs rec: {len(tasks)} tasks, X {X.shape[0]} x {X.shape[1]}, {X.nnz} nonzeros, "
          f"tol={args.tol}, l2={args.l2}, median of {args.repeats}, 1 BLAS thread\n")

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")

        def independent():
            return [
                LogisticRegression(C=1 / (args.l2 * np.sum(t == k)), tol=args.tol, max_iter=10000).fit(X[t == k], y[t == k])
                for k in range(len(tasks))
            ]

        # The machine's speed drifts between runs, so each repeat times the baseline and the
        # penalty back to back, and the ratio is the median of those paired ratios.
        print("| penalty | alpha | fit s | independent s | ratio to independent | iterations | objective |")
        print("|---|---|---|---|---|---|---|")
        edges = [(k, k + 1) for k in range(len(tasks) - 1)]
        for penalty, alpha in ALPHAS.items():
            params = dict(penalty=penalty, alpha=alpha, l2=args.l2, tol=args.tol, max_iter=20000,
                          task_graph=edges if penalty == "graph" else None)
            pairs = []
            for _ in range(args.repeats):
                base_seconds, _ = timed(independent, 1)
                seconds, model = timed(lambda: MultiTaskLinearClassifier(**params).fit(X, y, t), 1)
                pairs.append((seconds / base_seconds, seconds, base_seconds))
            ratio, seconds, base_seconds = sorted(pairs)[len(pairs) // 2]
            print(f"| {penalty} | {alpha:g} | {seconds:.2f} | {base_seconds:.2f} | {ratio:.2f}x | {model.n_iter_} | {model.objective_:.6f} |")

        print("\nAccelerated vs plain proximal gradient, iterations to tol:\n")
        print("| penalty | FISTA iterations | proximal gradient iterations | ratio |")
        print("|---|---|---|---|")
        for penalty in ("mean", "l21", "trace"):
            params = dict(penalty=penalty, alpha=ALPHAS[penalty], l2=args.l2, tol=args.tol, max_iter=20000)
            fast = MultiTaskLinearClassifier(solver="fista", **params).fit(X, y, t)
            slow = MultiTaskLinearClassifier(solver="pgd", **params).fit(X, y, t)
            print(f"| {penalty} | {fast.n_iter_} | {slow.n_iter_} | {slow.n_iter_ / fast.n_iter_:.1f}x |")


if __name__ == "__main__":
    main()
