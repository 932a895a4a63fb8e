"""What the few-shot decision scripts share: scoring a ``prototypes[metric=within-class]`` variant on
meta-validation episodes of each episodic config.

Its choices (shrinkage, temperature) are made on the config's seeded
validation episodes, as in ``mtl train``; it is then scored by its mean
accuracy over ``N_EPISODES`` other seeded episodes of the same classes.
Meta-test classes are never read. Used by ``fewshot_centering.py`` and
``fewshot_balanced.py`` (run from the repository root).
"""

from __future__ import annotations

from mtl_cli import config
from mtl_cli.learners.meta import Prototypes
from mtl_cli.protocols.episodic import EpisodicValidation, cached_episode_data, episodes_split
from mtl_cli.rundir import cache_dir_of

CONFIGS = ("newsgroups-fewshot-embed", "newsgroups-fewshot-lsa", "reuters-fewshot")
SHOTS = (1, 5)
N_EPISODES = 200


def episode_data(name: str):
    """(episode data, split) of ``configs/<name>.yaml``'s first grid point, from the runs' cache."""
    experiment = config.load(f"configs/{name}.yaml")
    spec = experiment.feature_spec(experiment.seeds[0], experiment.sizes[0])
    return cached_episode_data(spec, cache_dir_of("runs")), episodes_split(spec)


def meta_val_accuracy(data, split, k_shot: int, params: dict, scoring_seed: int) -> float:
    """Meta-val accuracy (%) of ``Prototypes(metric="within-class", **params)``, its choices made on the
    validation episodes (seed 0), scored on ``N_EPISODES`` episodes of ``scoring_seed``."""
    def episodes(n_episodes, seed):
        return EpisodicValidation(data.X_meta_val, data.y_meta_val, data.classes["meta_val"], split.n_way, k_shot,
                                  split.n_query, n_episodes, seed)

    model = Prototypes(metric="within-class", random_state=0, **params)
    model.meta_fit(data.X_meta_train, data.y_meta_train, validation=episodes(split.n_val_episodes, 0))
    return 100 * episodes(N_EPISODES, scoring_seed).score(model.adapt, with_queries=model.transductive)
