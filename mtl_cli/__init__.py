"""mtl: multi-task and meta-learning experiments on text classification."""

__version__ = "0.3.0"
