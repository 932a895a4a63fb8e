"""Optimization: datafits, penalties and solvers of shared-W multitask learning; the balanced assignment
of transductive few-shot learning (``transport``).

One orientation throughout the package: a weight matrix W is (T, d), one row
per task (per column of the lifted problem) and one column per feature, as
scikit-learn's ``coef_``. ``W[t]`` is task t's weight vector, ``W[:, j]``
feature j across tasks. (The few-shot heads of ``learners/meta.py`` map
features to the classes of one episode, Z @ H with H of shape (d, classes);
they are not task weights.)
"""
