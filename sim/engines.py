"""Where chunks of runs execute: in this process, in a local process pool, or on a Dask
distributed cluster. All three submit a picklable function and hand back futures; the
batch driver waits for the first to finish, so results arrive in completion order and the
numbers never depend on the engine (each run seeds from its own index). ``slots``, the
tasks that run at once, is read again as chunks finish: a Dask cluster can grow or shrink
while a batch runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

__all__ = ["DASK_ENV", "WORKERS_PER_CORE", "DaskEngine", "Engine", "EngineError", "EngineLost", "PoolEngine", "SerialEngine",
           "cpu_count", "make_engine", "open_engine"]

DASK_ENV = "DASK_SCHEDULER_ADDRESS"
WORKERS_PER_CORE = 4    # the most local processes per core: the runs are CPU-bound, more only costs memory


class EngineError(ValueError):
    """An engine that cannot be had as asked (bad worker count, unreachable scheduler)."""


class EngineLost(EngineError):
    """An engine that went away while a batch ran (the Dask scheduler stopped or became
    unreachable); the tasks it held are lost, the chunks already written are not."""


def cpu_count() -> int:
    """The number of cores this process may use.

    Returns
    -------
    int
        Cores in this process's CPU affinity set (Linux), else all cores; at least 1.
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_PR_SET_PDEATHSIG = 1   # prctl(2): the signal a process gets when its parent dies (Linux)


def _start_worker() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them and keeps finished chunks,
    and on Linux end with the process that started them (a driver killed with ``kill -9``
    would otherwise leave them running, each holding its memory)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class SerialEngine:
    """Runs each task in this process when it is submitted.

    Attributes
    ----------
    name : str
        ``"serial"``, as manifests record it.
    slots : int
        Tasks that run at once: 1.

    Examples
    --------
    >>> SerialEngine().submit(pow, 2, 10).result()
    1024
    """

    name = "serial"
    slots = 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        """Run ``fn(*args)`` now.

        Parameters
        ----------
        fn : callable
            The task (picklable, as for every engine).
        *args
            Its arguments.

        Returns
        -------
        concurrent.futures.Future
            Already done: holding the result, or the exception the task raised.
        """
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed back like any engine's task failure
            future.set_exception(exc)
        return future

    def wait_first(self, futures: Iterable[cf.Future]) -> tuple[set, set]:
        """Wait until at least one of ``futures`` is done.

        Parameters
        ----------
        futures : iterable of Future
            Futures this engine handed out.

        Returns
        -------
        done, pending : tuple of set
            The futures that are done, and the rest.
        """
        done, pending = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def cancel(self, futures: Iterable[cf.Future]) -> None:
        """Cancel the tasks of ``futures`` that have not started.

        Parameters
        ----------
        futures : iterable of Future
            Futures this engine handed out.
        """
        for future in futures:
            future.cancel()

    def close(self, abort: bool = False) -> None:
        """Release the engine (nothing to release here).

        Parameters
        ----------
        abort : bool, optional
            Also stop running tasks (used on errors and Ctrl-C).
        """


def _context() -> multiprocessing.context.BaseContext:
    """Fork (instant: the simulator is already imported) while this process has no other
    thread, since forking a threaded process can deadlock; else a fork server that imports
    the simulator once."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.batch"])
    return context


class PoolEngine(SerialEngine):
    """A local pool of ``workers`` processes, all started before it returns.

    Parameters
    ----------
    workers : int
        Worker processes (and ``slots``, the tasks that run at once).
    """

    name = "processes"

    def __init__(self, workers: int):
        self.slots = workers
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_start_worker)
        self.pool.submit(int).result()   # start the workers now, before any other thread

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        """Queue ``fn(*args)`` on the pool.

        Parameters
        ----------
        fn : callable
            The task; picklable.
        *args
            Its arguments; picklable.

        Returns
        -------
        concurrent.futures.Future
            The task's future.
        """
        return self.pool.submit(fn, *args)

    def close(self, abort: bool = False) -> None:
        """Shut the pool down, waiting for its workers to exit; queued tasks are cancelled.

        Parameters
        ----------
        abort : bool, optional
            Also stop tasks that are running (on errors and Ctrl-C).
        """
        # Python < 3.14 has no public call to stop a running task; the pool's own table of
        # its worker processes is the only handle on them.
        if abort:
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """A Dask distributed cluster.

    Parameters
    ----------
    address : str
        The scheduler's address, e.g. ``tcp://host:8786``.

    Raises
    ------
    EngineError
        When the scheduler cannot be reached within 20 seconds.

    Notes
    -----
    Losing the scheduler while waiting (it stopped, the network went) raises
    :class:`EngineLost` at once, instead of the client's own reconnection attempts and their
    logged tracebacks.
    """

    name = "dask"

    def __init__(self, address: str):
        from dask.distributed import Client

        self.address = address
        try:
            self.client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    @property
    def slots(self) -> int:
        """The cluster's worker threads now (at least 1): workers that joined count at once.

        Raises
        ------
        EngineLost
            When the scheduler is gone.
        """
        self._check()
        try:
            return max(1, sum(self.client.nthreads().values()))
        except (OSError, TimeoutError) as exc:
            raise self._lost(exc) from None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Submit ``fn(*args)`` to the cluster (``pure=False``: never deduplicated).

        Parameters
        ----------
        fn : callable
            The task; picklable.
        *args
            Its arguments; picklable.

        Returns
        -------
        dask.distributed.Future
            The task's future.

        Raises
        ------
        EngineLost
            When the scheduler is gone.
        """
        self._check()
        return self.client.submit(fn, *args, pure=False)

    def wait_first(self, futures: Iterable[Any]) -> tuple[set, set]:
        """Wait until at least one of ``futures`` is done.

        Parameters
        ----------
        futures : iterable of dask.distributed.Future
            Futures this engine handed out.

        Returns
        -------
        done, pending : tuple of set
            The futures that are done, and the rest.

        Raises
        ------
        EngineLost
            When the scheduler is lost before or while waiting (the client cancels every
            future then).
        """
        from dask.distributed import wait

        self._check()
        try:
            result = wait(list(futures), return_when="FIRST_COMPLETED")
        except (cf.CancelledError, OSError, TimeoutError) as exc:
            raise self._lost(exc) from None
        if any(future.cancelled() for future in result.done):
            raise self._lost("its tasks were cancelled")
        return set(result.done), set(result.not_done)

    def cancel(self, futures: Iterable[Any]) -> None:
        """Cancel the tasks of ``futures`` on the cluster (nothing to cancel once it is lost).

        Parameters
        ----------
        futures : iterable of dask.distributed.Future
            Futures this engine handed out.
        """
        futures = list(futures)
        if futures and self.client.status == "running":
            self.client.cancel(futures)

    def close(self, abort: bool = False) -> None:
        """Disconnect from the cluster; the cluster itself keeps running.

        Parameters
        ----------
        abort : bool, optional
            Not used: disconnecting releases the client's tasks.
        """
        self.client.close(timeout=5)

    def _check(self) -> None:
        """Raise :class:`EngineLost` when the client has lost its scheduler."""
        if self.client.status != "running":
            raise self._lost(f"the client is {self.client.status}")

    def _lost(self, why: object) -> EngineLost:
        """Stop the client's reconnection attempts and say what was lost. The client logs
        each failed attempt with a traceback; the batch reports the loss itself, once."""
        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
        self.client.close(timeout=5)
        reason = f"the connection was lost: {type(why).__name__}" if isinstance(why, BaseException) else why
        return EngineLost(f"lost the Dask scheduler at {self.address} ({reason})")


Engine = SerialEngine | PoolEngine | DaskEngine


def make_engine(workers: int | None = None, scheduler: str | None = None, tasks: int | None = None) -> Engine:
    """The engine asked for.

    Parameters
    ----------
    workers : int or None, optional
        Processes to run at once; None for :func:`cpu_count`. Ignored when a scheduler is
        given.
    scheduler : str or None, optional
        A Dask scheduler address; None to use ``$DASK_SCHEDULER_ADDRESS`` if set.
    tasks : int or None, optional
        The most tasks there will be (e.g. the runs to do): no more processes are started,
        since the pool starts every worker up front. Nor more than
        :data:`WORKERS_PER_CORE` per core: ``--workers 100000`` would fork until the
        machine gives out.

    Returns
    -------
    Engine
        A :class:`DaskEngine` when a scheduler address is given or set, a
        :class:`SerialEngine` for one worker, else a :class:`PoolEngine`.

    Raises
    ------
    EngineError
        When ``workers`` is below 1 or the scheduler cannot be reached.
    """
    address = scheduler or os.environ.get(DASK_ENV)
    if address:
        return DaskEngine(address)
    workers = cpu_count() if workers is None else workers
    if workers < 1:
        raise EngineError(f"--workers must be at least 1, got {workers}")
    workers = min(workers, WORKERS_PER_CORE * cpu_count())
    workers = workers if tasks is None else max(1, min(workers, tasks))
    return SerialEngine() if workers == 1 else PoolEngine(workers)


@contextmanager
def open_engine(workers: int | None = None, scheduler: str | None = None,
                tasks: int | None = None) -> Iterator[Engine]:
    """An engine for a ``with`` block, closed at its end.

    Parameters
    ----------
    workers : int or None, optional
        As for :func:`make_engine`.
    scheduler : str or None, optional
        As for :func:`make_engine`.
    tasks : int or None, optional
        As for :func:`make_engine`.

    Yields
    ------
    Engine
        The engine; on an error or Ctrl-C in the block its running tasks are stopped.

    Raises
    ------
    EngineError
        As :func:`make_engine`.
    """
    engine = make_engine(workers, scheduler, tasks)
    try:
        yield engine
    except BaseException:
        engine.close(abort=True)
        raise
    engine.close()
