"""What a grid worker imports as it starts, while the main process reads the data.

``parallel.start_workers`` imports this module in each worker: the runner's
task functions and the model writer (skops, 0.8 s: it imports every
scikit-learn module), so that the worker's first task pays for no import.
"""

from .rundir import skops_io
from .runner import fit_cell, prepare_grid_point  # noqa: F401  (imported for their own imports)

skops_io()
