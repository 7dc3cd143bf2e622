"""Where a build's units run, by name: ``local`` (the build's own process pool),
``dask-local`` (a Dask ``LocalCluster`` on this machine, to try the cluster path) or
``dask://HOST:PORT`` (the scheduler of a running Dask cluster).

Every one is a ``concurrent.futures.Executor``: the build submits the same units to it
and writes what comes back, so the cluster path is the local path with another
executor. Dask is an optional extra (``pip install -e ".[cluster]"``); it is imported
only when a Dask executor is asked for.

On a cluster:

- each unit is submitted with ``retries`` (a unit whose worker died, or failed for a
  reason of the worker's own, runs again elsewhere; ``render_unit`` never raises, so
  nothing about the handout itself is retried);
- each worker loads WeasyPrint and its fonts once, when it joins
  (``dask_plugin.LoadStages``), as the local pool's workers do;
- a scheduler that cannot be reached in ``CONNECT_TIMEOUT`` seconds, or that goes
  away during the build, is a ``ClusterError`` (exit 1) naming the address; what was
  written before it is whole, since only the build writes, atomically.
"""

from __future__ import annotations

import contextlib
import logging
import os
from concurrent.futures import Executor, Future

from pipeline.build.workers import cores
from pipeline.errors import InputError, PipelineError, shown

ENVIRONMENT = "HANDOUTS_EXECUTOR"  # the executor when --executor is not given
LOCAL, DASK_LOCAL, DASK_SCHEME = "local", "dask-local", "dask://"
CONNECT_TIMEOUT = 5  # seconds to reach a scheduler
RETRIES = 2  # runs of a unit beyond the first, after its worker died
INSTALL_HINT = 'install the cluster extra on this machine and every worker: pip install -e ".[cluster]"'


class ClusterError(PipelineError):
    """The cluster could not be reached, or stopped during the build (exit code 1)."""

    exit_code = 1


def executor_spec(given: str | None) -> str:
    """The executor asked for: ``--executor``, else $HANDOUTS_EXECUTOR, else ``local``."""
    spec = (given or os.environ.get(ENVIRONMENT) or LOCAL).strip()
    if spec in (LOCAL, DASK_LOCAL) or (spec.startswith(DASK_SCHEME) and len(spec) > len(DASK_SCHEME)):
        return spec
    source = "--executor" if given else f"${ENVIRONMENT}"
    raise InputError(None, None, f"{source}: unknown executor '{shown(spec)}'",
                     "use local, dask-local or dask://HOST:PORT (the address of a Dask scheduler)")


@contextlib.contextmanager
def make_executor(spec: str, jobs: int | None = None):
    """The executor named by ``spec`` for one build, closed when the build ends:
    None for ``local`` (the build starts its own pool), otherwise a ``DaskExecutor``.
    ``jobs`` is the number of worker processes of a ``dask-local`` cluster."""
    spec = executor_spec(spec)
    if spec == LOCAL:
        yield None
        return
    distributed = _import_distributed()
    with contextlib.ExitStack() as stack:
        if spec == DASK_LOCAL:
            cluster = stack.enter_context(local_cluster(jobs or cores()))
            address = cluster.scheduler_address
        else:
            address = "tcp://" + spec[len(DASK_SCHEME):]
        client = stack.enter_context(connect(address, distributed))
        executor = DaskExecutor(client, address)
        stack.callback(executor.shutdown, wait=False, cancel_futures=True)
        yield executor


def local_cluster(workers: int):
    """A Dask cluster of ``workers`` processes on this machine, one thread each (a
    process renders one PDF at a time, as the local pool's workers do)."""
    distributed = _import_distributed()
    logging.getLogger("distributed").setLevel(logging.ERROR)  # its start and stop are not the build's news
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    dashboard_address=None, silence_logs=logging.ERROR, memory_limit=0)


@contextlib.contextmanager
def connect(address: str, distributed=None):
    """A ``distributed.Client`` of the scheduler at ``address``, with ``LoadStages``
    registered on its workers; a ``ClusterError`` within ``CONNECT_TIMEOUT`` seconds
    when there is none."""
    distributed = distributed or _import_distributed()
    # Dask logs a lost scheduler with its traceback; the build says it once, as a ClusterError.
    logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
    try:
        client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT}s", set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise ClusterError(f"cannot reach the Dask scheduler at {shown(address)} within {CONNECT_TIMEOUT} s "
                           f"({shown(err)}); what to do: start it (dask scheduler) and its workers "
                           f"(dask worker {shown(address)}), or build with --executor local") from None
    try:
        from pipeline.build.dask_plugin import LoadStages  # imports Dask: only here, where Dask is wanted

        client.register_plugin(LoadStages(), name="handout-pipeline-stages")
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=CONNECT_TIMEOUT)


def _import_distributed():
    try:
        import distributed  # an optional extra, loaded only for a Dask executor
    except ImportError:
        raise ClusterError(f"a Dask executor needs Dask, which is not installed; what to do: {INSTALL_HINT}") \
            from None
    return distributed


class DaskExecutor(Executor):
    """A ``concurrent.futures.Executor`` over a ``distributed.Client``: each call is
    a task that may run again elsewhere (``RETRIES``), and any failure of the cluster
    itself comes back from its future as a ``ClusterError``."""

    def __init__(self, client, address: str, retries: int = RETRIES):
        self.client = client
        self.address = address
        self.retries = retries
        self._futures: set = set()
        self._shutdown = False

    @property
    def worker_count(self) -> int:
        """The workers the scheduler has now."""
        try:
            return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        except TypeError:  # older signatures
            return len(self.client.scheduler_info().get("workers", {}))
        except Exception:
            return 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._shutdown:
            raise RuntimeError("cannot submit to a closed executor")
        task = self.client.submit(fn, *args, pure=False, retries=self.retries, **kwargs)
        self._futures.add(task)
        result: Future = Future()
        result.set_running_or_notify_cancel()

        def finished(task) -> None:
            self._futures.discard(task)
            try:
                value = task.result()
            except BaseException as err:  # the task never failed on its own: render_unit returns its errors
                result.set_exception(ClusterError(
                    f"the Dask cluster at {shown(self.address)} stopped during the build "
                    f"({type(err).__name__}: {shown(' '.join(str(err).split())) or 'no detail'}); "
                    f"the outputs written before are whole; "
                    f"what to do: check the scheduler and its workers, then build again"))
            else:
                result.set_result(value)

        task.add_done_callback(finished)
        return result

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True
        if cancel_futures and self._futures:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self._futures))
        self._futures.clear()

