"""Optimization for shared-W multitask learning: datafits, penalties, solvers."""
