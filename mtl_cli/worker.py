"""A grid worker's first task, run as it starts while the main process imports and checks the data.

It imports the runner's task functions and warms up on the config's first
grid point (reads the corpus and its token counts, tokenizing on a cold
cache), so that the worker's first grid task pays for none of it. loky
measures a worker's memory after its first task and restarts one that has
grown by 300 MB since: all of this is in that first task. (Workers never
import skops: the main process writes the model files.) Nothing heavy is
imported at this module's top, so the main process can name ``start``
before its own imports.
"""

from __future__ import annotations

import warnings


def start(config: str | None = None, runs_root: str | None = None) -> None:
    """Import what tasks need and, given the config and runs folder of ``mtl train``, warm up on its
    first grid point. A config that does not load is left to the main process, which reports it."""
    from .runner import fit_cell, prepare_grid_point  # noqa: F401  (imported for their own imports)

    if config is not None and runs_root is not None:
        with warnings.catch_warnings():  # the main process meets the same data and says it once
            warnings.simplefilter("ignore")
            warm_up_on(config, runs_root)


def warm_up_on(config: str, runs_root: str) -> None:
    from .config import load
    from .prepare import warm_up
    from .rundir import cache_dir_of

    try:
        experiment = load(config)
        spec = experiment.feature_spec(experiment.seeds[0], experiment.sizes[0])
    except Exception:  # noqa: BLE001  (the main process loads the same config and reports what is wrong)
        return
    warm_up(spec, cache_dir_of(runs_root))
