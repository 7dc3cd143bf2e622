"""The Dask worker plugin of the build (imported only with Dask installed)."""

from __future__ import annotations

from distributed import WorkerPlugin


class LoadStages(WorkerPlugin):
    """Each worker loads the build's stages, WeasyPrint and its font configuration
    once, when it starts (or when a build registers this on a running worker), and
    keeps them for every unit it renders, as the local pool's workers do."""

    idempotent = True  # registered again by every build on the same cluster: loaded once

    def setup(self, worker) -> None:
        from pipeline.build.workers import init_worker  # on the worker, when it starts

        init_worker(True)
