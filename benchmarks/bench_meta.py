"""Meta-learner benchmark: meta-fit time and episodes per second, 5-way episodes of the Bao et al. split.

Uses the features of configs/newsgroups-fewshot.yaml (TF-IDF fitted on the
meta-train posts). Each learner runs in one process with one BLAS thread (the
runner runs one such cell per core); episodes/s covers adapting to the
support set and predicting the 125 query posts.

    python benchmarks/bench_meta.py [--config configs/newsgroups-fewshot.yaml] [--episodes 200]
"""

from __future__ import annotations

import argparse
import time

from measured import Measured
from threadpoolctl import threadpool_limits

from mtl_cli import config as config_module
from mtl_cli.data.episodes import sample_episodes
from mtl_cli.protocols.episodic import adapter_of, build_episode_data, episode_accuracy, episodes_split, meta_fit
from mtl_cli.runner import make_learner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/newsgroups-fewshot.yaml")
    parser.add_argument("--episodes", type=int, default=200)
    args = parser.parse_args()
    experiment = config_module.load(args.config)
    seed = experiment.seeds[0]
    spec = experiment.feature_spec(seed, None)
    start = time.perf_counter()
    data = build_episode_data(spec)
    out = Measured("meta")
    out.say("| config | featurizing s | features | episodes per shot |")
    out.say("|---|---|---|---|")
    out.say(f"| {args.config} | {time.perf_counter() - start:.1f} | {data.n_features:,} | {args.episodes} |")
    out.say()
    split = episodes_split(spec)
    out.say("| learner | k_shot | meta-fit s | episodes/s | accuracy |")
    out.say("|---|---|---|---|---|")
    with threadpool_limits(1):
        for cell in experiment.cells():
            if cell.seed != seed:
                continue
            model = make_learner(cell)
            seconds = meta_fit(model, cell, spec, data)
            adapt, with_queries = adapter_of(model)
            episodes = sample_episodes(data.y_support, data.y_query, data.classes["meta_test"], split.n_way,
                                       cell.size, split.n_query, args.episodes, seed, "meta-test",
                                       same_pool=split.queries == "train-part")
            start = time.perf_counter()
            accuracy = sum(episode_accuracy(adapt, data.X_support, data.X_query, e, with_queries)
                           for e in episodes) / len(episodes)
            rate = len(episodes) / (time.perf_counter() - start)
            out.say(f"| {cell.label} | {cell.size} | {seconds:.2f} | {rate:.0f} | {accuracy:.3f} |")
    out.save()


if __name__ == "__main__":
    main()
