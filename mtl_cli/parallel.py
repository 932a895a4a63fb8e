"""Running independent tasks in parallel: in this process beside loky workers, or on a dask cluster.

A task is a ``joblib.delayed`` call; each result goes to ``on_result`` in
this process's main thread as soon as it is ready, in completion order
(results never depend on where or when a task ran: each is a pure function
of its arguments). With ``n_jobs`` local jobs, this process is one of them:
it runs tasks itself while ``n_jobs - 1`` loky workers start and then run
the others, all taking the next task from one queue. Spawning a worker and
importing scikit-learn in it takes about a second on 2 cores, which this
process spends working instead of waiting.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import threading

import joblib

from .errors import UserError

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def local_jobs(n_jobs: int) -> int:
    """Processes to use on this machine: ``n_jobs`` capped at the cores (more only cost memory); -1 is all cores."""
    cores = joblib.cpu_count()
    return min(n_jobs, cores) if n_jobs > 0 else max(cores + 1 + n_jobs, 1)


def threads_per_job(jobs: int) -> int:
    """BLAS and OpenMP threads for each of ``jobs`` processes sharing this machine's cores."""
    return max(joblib.cpu_count() // jobs, 1)


def execute(tasks, n_jobs: int, backend: dict, on_result) -> None:
    """Run delayed tasks, handing each result to ``on_result`` as it finishes."""
    if not tasks:
        return
    try:
        if backend["name"] == "dask":
            with dask_cluster(backend, n_jobs):
                for outcome in joblib.Parallel(n_jobs=-1, return_as="generator_unordered")(tasks):
                    on_result(outcome)
        elif (jobs := local_jobs(n_jobs)) == 1:
            for function, args, kwargs in tasks:
                on_result(function(*args, **kwargs))
        else:
            run_here_and_in_workers(tasks, jobs, on_result)
    except KeyboardInterrupt:
        stop_workers()
        raise


def run_here_and_in_workers(tasks, jobs: int, on_result) -> None:
    """This process and ``jobs - 1`` loky workers take tasks from one queue until it is empty.

    One feeder thread per worker hands it a task, waits for the result and
    takes the next; the main thread runs tasks itself in between and passes
    every result to ``on_result``. Each process gets cores/jobs BLAS threads.
    A task that raises empties the queue and its error is raised here: at
    once if this process ran it, else once this process's own task is done.
    """
    from threadpoolctl import threadpool_limits

    threads = threads_per_job(jobs)
    executor = workers(jobs)
    pending, lock, finished = collections.deque(tasks), threading.Lock(), queue.SimpleQueue()

    def take():
        with lock:
            return pending.popleft() if pending else None

    def give_up():
        with lock:
            pending.clear()

    def feed():
        while (task := take()) is not None:
            function, args, kwargs = task
            try:
                finished.put((executor.submit(function, *args, **kwargs).result(), None))
            except BaseException as exc:  # handed to the main thread, which raises it
                give_up()
                finished.put((None, exc))
        finished.put(None)  # this feeder is done

    feeders = [threading.Thread(target=feed, daemon=True) for _ in range(jobs - 1)]
    for feeder in feeders:
        feeder.start()
    error, feeding = None, len(feeders)

    def hand_over(item) -> None:
        nonlocal error, feeding
        if item is None:
            feeding -= 1
        elif item[1] is not None:
            error = error or item[1]
        elif error is None:
            on_result(item[0])

    try:
        while (task := take()) is not None:
            function, args, kwargs = task
            with threadpool_limits(limits=threads):
                result = function(*args, **kwargs)
            hand_over((result, None))
            while not finished.empty():
                hand_over(finished.get())
    except BaseException:
        give_up()
        raise
    while feeding:
        hand_over(finished.get())
    if error is not None:
        raise error


def workers(jobs: int):
    """The ``jobs - 1`` loky workers beside this process, each with cores/jobs BLAS and OpenMP threads
    (as joblib sets them; a user's own setting wins). They are started once and reused by later stages."""
    from joblib.externals.loky import get_reusable_executor

    threads = str(threads_per_job(jobs))
    return get_reusable_executor(max_workers=jobs - 1,
                                 env={name: os.environ.get(name, threads) for name in THREAD_VARIABLES})


def start_workers(n_jobs: int, backend: dict, first_task, *args) -> None:
    """Start the workers now and hand each ``first_task(*args)`` (``worker.start``), without waiting:
    a worker's start-up (about a second on 2 cores) and what it prepares then overlap this
    process's own start instead of delaying the grid. Workers already running take it next."""
    if backend["name"] == "loky" and (jobs := local_jobs(n_jobs)) > 1:
        executor = workers(jobs)
        for _ in range(jobs - 1):
            executor.submit(first_task, *args)


@contextlib.contextmanager
def workers_for_this_command():
    """Stop the workers when a command ends: idle ones are killed at once, where Python's exit
    waits for each to shut down on its own (0.7 to 1 s of the quickstart's 12 s with 2 jobs)."""
    try:
        yield
    finally:
        stop_workers()


def stop_workers() -> None:
    """Kill loky's worker processes (they outlive an interrupted run, waiting for more work)."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(reuse=True).shutdown(wait=True, kill_workers=True)


@contextlib.contextmanager
def dask_cluster(backend: dict, n_jobs: int):
    """joblib's dask backend, on the cluster at ``backend['address']`` or on a local one with ``n_jobs`` workers."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UserError("backend 'dask' needs dask.distributed: pip install 'mtl-cli[dask]'") from None
    if backend.get("address"):
        cluster, client = None, Client(backend["address"], timeout="10s")
    else:
        workers = n_jobs if n_jobs > 0 else joblib.cpu_count()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        with joblib.parallel_config(backend="dask"):
            yield
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
