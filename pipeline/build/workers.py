"""Where units run: any ``concurrent.futures.Executor``.

By default a local process pool whose workers keep the stages and WeasyPrint loaded
from one document to the next, each replaced after ``UNITS_PER_WORKER`` units (WeasyPrint
keeps some memory from every document). Workers return bytes; the build writes. A
Dask cluster's ``client.get_executor()`` can be passed instead (``init_worker`` then
runs once per worker from a ``WorkerPlugin``, or not at all: it only saves time).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from itertools import islice

from pipeline.formats import is_print
from pipeline.model import Config
from pipeline.build.shipping import unit_inputs
from pipeline.build.units import Unit

UNITS_PER_WORKER = 250
IN_FLIGHT_PER_WORKER = 4  # units submitted ahead of the results, per worker
# The workers are forked from a server process that has the stages loaded already (and
# WeasyPrint when PDFs are to be built): each new worker starts with them for free.
PRELOAD = ["pipeline.build.render"]


def init_worker(with_print: bool, parent: int | None = None) -> None:
    """Once per worker: load WeasyPrint and its fonts when PDFs are to be built, and
    leave when the build that started this worker is gone."""
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build stops its workers itself
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    if with_print:
        from pipeline import render_pdf  # the stages load where units run, not in a build with nothing to do

        render_pdf._install()


def _exit_with(parent: int) -> None:
    """A worker whose build was killed would wait for work forever, holding memory."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Workers:
    """The executor of one build: started early when the build will surely need it,
    otherwise only when there is more than one unit to build."""

    def __init__(self, config: Config, jobs: int | None, with_print: bool, executor: Executor | None = None):
        self.config = config
        self.jobs = jobs or cores()
        self.with_print = with_print
        self.executor = executor
        self.own = executor is None
        self.count = 0

    def start(self, count: int | None = None) -> Executor:
        if self.executor is None:
            self.count = count or self.jobs
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD + (["weasyprint"] if self.with_print else []))
            self.executor = ProcessPoolExecutor(
                self.count, mp_context=context, initializer=init_worker, initargs=(self.with_print, os.getpid()),
                max_tasks_per_child=UNITS_PER_WORKER if self.with_print else None)
        elif not self.count:  # a cluster's executor says how many workers it has
            self.count = getattr(self.executor, "worker_count", 0)
        return self.executor

    def run(self, units: list[Unit]):
        """Results of ``units`` as they finish, largest first: PDFs before web pages,
        long handouts before short ones, so no worker waits long for another at the end."""
        if not units:
            return
        from pipeline.build.render import render_unit  # the stages load only when there is work for them

        units = sorted(units, key=lambda u: (sum(map(is_print, u.formats)), u.size), reverse=True)
        if self.executor is None and min(self.jobs, len(units)) == 1:
            self.count = 1
            init_worker(any(is_print(f) for u in units for f in u.formats))
            for unit in units:
                yield render_unit(self.config, unit, unit_inputs(self.config, unit))
            return
        executor = self.start(min(self.jobs, len(units)))
        # Each unit carries its inputs (files as bytes): a window of units is in flight, not the whole build.
        waiting, running = iter(units), set()
        window = max(IN_FLIGHT_PER_WORKER * self.count, 32)
        while True:
            running |= {executor.submit(render_unit, self.config, unit, unit_inputs(self.config, unit))
                        for unit in islice(waiting, window - len(running))}
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def close(self, stop: bool = False) -> None:
        if self.executor is not None and self.own:
            if stop:  # interrupted: every write is atomic and done here, so nothing half-written stays
                for process in list(getattr(self.executor, "_processes", {}).values()):
                    process.terminate()
            self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor = None
