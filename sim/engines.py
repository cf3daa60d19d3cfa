"""Where chunks of runs execute: in this process, in a local process pool, or on a Dask
distributed cluster. All three submit a picklable function and hand back futures; the
batch driver waits for the first to finish, so results arrive in completion order and the
numbers never depend on the engine (each run seeds from its own index).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

DASK_ENV = "DASK_SCHEDULER_ADDRESS"


class EngineError(ValueError):
    """An engine that cannot be had as asked (bad worker count, unreachable scheduler)."""


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them and keeps finished chunks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class SerialEngine:
    """Runs each task in this process when it is submitted."""

    name = "serial"
    slots = 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed back like any engine's task failure
            future.set_exception(exc)
        return future

    def wait_first(self, futures: Iterable[cf.Future]) -> tuple[set, set]:
        done, pending = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def cancel(self, futures: Iterable[cf.Future]) -> None:
        for future in futures:
            future.cancel()

    def close(self, abort: bool = False) -> None:
        pass


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
    """A local pool of ``workers`` processes, all started before it returns."""

    name = "processes"

    def __init__(self, workers: int):
        self.slots = workers
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_ignore_sigint)
        self.pool.submit(int).result()   # start the workers now, before any other thread

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        return self.pool.submit(fn, *args)

    def close(self, abort: bool = False) -> None:
        """Shut the pool down; ``abort`` also stops tasks that are running (Ctrl-C)."""
        # Python < 3.14 has no public call to stop a running task; the pool's own table of
        # its worker processes is the only handle on them.
        if abort:
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """A Dask distributed cluster at ``address`` (``tcp://host:8786``)."""

    name = "dask"

    def __init__(self, address: str):
        from dask.distributed import Client

        self.address = address
        try:
            self.client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        workers = self.client.scheduler_info().get("workers", {})
        self.slots = max(1, sum(w.get("nthreads", 1) for w in workers.values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_first(self, futures: Iterable[Any]) -> tuple[set, set]:
        from dask.distributed import wait

        result = wait(list(futures), return_when="FIRST_COMPLETED")
        return set(result.done), set(result.not_done)

    def cancel(self, futures: Iterable[Any]) -> None:
        futures = list(futures)
        if futures:
            self.client.cancel(futures)

    def close(self, abort: bool = False) -> None:
        self.client.close()


Engine = SerialEngine | PoolEngine | DaskEngine


def make_engine(workers: int | None = None, scheduler: str | None = None) -> Engine:
    """``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``) → Dask; ``workers == 1`` → serial;
    otherwise a process pool of ``workers`` (default: all cores)."""
    address = scheduler or os.environ.get(DASK_ENV)
    if address:
        return DaskEngine(address)
    workers = cpu_count() if workers is None else workers
    if workers < 1:
        raise EngineError(f"--workers must be at least 1, got {workers}")
    return SerialEngine() if workers == 1 else PoolEngine(workers)


@contextmanager
def open_engine(workers: int | None = None, scheduler: str | None = None) -> Iterator[Engine]:
    """An engine for a ``with`` block; on an error or Ctrl-C its running tasks are stopped."""
    engine = make_engine(workers, scheduler)
    try:
        yield engine
    except BaseException:
        engine.close(abort=True)
        raise
    engine.close()
