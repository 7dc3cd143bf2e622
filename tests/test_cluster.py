"""The build on a Dask cluster: the same outputs, byte for byte, as the local pool;
a worker killed during a build changes nothing in the result; a scheduler that
cannot be reached is a clear error, exit 1, within seconds.

One ``LocalCluster`` of two worker processes serves every test here (starting one
costs seconds)."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import Executor, Future

import cloudpickle
import pytest

from conftest import run_cli, small_project, snapshot
from pipeline.build import build
from pipeline.build.executors import ClusterError, DaskExecutor, connect, executor_spec, local_cluster
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.formats import DEFAULT_FORMATS

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test hook below runs on the workers

SLUGS = {"chairs": "A handout about chairs", "tables": "A handout about tables"}
SELECTION = dict(clinics=["pune"], locales=["en", "mr"], formats=DEFAULT_FORMATS)


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(2) as running:
        with connect(running.scheduler_address) as client:
            client.wait_for_workers(2, timeout=60)
            yield running


@pytest.fixture(scope="module")
def local_build(tmp_path_factory):
    """The small project built by the local executor (the reference)."""
    project = small_project(tmp_path_factory.mktemp("local"), SLUGS)
    config = load_config(project / "clinics.yaml")
    summary = build(config, jobs=2, **SELECTION)
    assert summary.failed == 0 and summary.built == 4, summary.problems
    outputs = snapshot(config.output_dir)
    assert sum(name.endswith(".pdf") for name in outputs) >= 4  # PDFs in both languages, not only web pages
    return project, outputs


def _copy(project, target):
    copy = shutil.copytree(project, target, ignore=shutil.ignore_patterns("outputs"))
    return load_config(copy / "clinics.yaml")


def test_cluster_builds_byte_identical_outputs(cluster, local_build, tmp_path):
    project, expected = local_build
    config = _copy(project, tmp_path / "project")
    seen = []
    with connect(cluster.scheduler_address) as client:
        summary = build(config, executor=DaskExecutor(client, cluster.scheduler_address),
                        progress=lambda done, total, result: seen.append((done, total)), **SELECTION)
    assert summary.failed == 0 and summary.built == 4, summary.problems
    assert summary.timings.workers == 2
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]  # progress as with the local pool
    assert snapshot(config.output_dir) == expected


def kill_once(marker: str, fn, *args):
    """Runs on a worker: the first unit to get here kills its own worker process
    (a worker dying mid-unit); every other call renders as usual."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return fn(*args)
    os.kill(os.getpid(), signal.SIGKILL)


class KillsOneWorker(DaskExecutor):
    def __init__(self, client, address, marker):
        super().__init__(client, address)
        self.marker = marker

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(kill_once, self.marker, fn, *args, **kwargs)


def test_a_worker_killed_mid_unit_leaves_a_complete_identical_build(cluster, local_build, tmp_path):
    project, expected = local_build
    config = _copy(project, tmp_path / "project")
    marker = tmp_path / "killed"
    with connect(cluster.scheduler_address) as client:
        summary = build(config, executor=KillsOneWorker(client, cluster.scheduler_address, str(marker)), **SELECTION)
        client.wait_for_workers(2, timeout=60)  # the nanny has started a new worker for the next test
    assert marker.exists()  # a worker did die
    assert summary.failed == 0 and summary.built == 4, summary.problems
    assert snapshot(config.output_dir) == expected


def test_an_unreachable_scheduler_is_exit_1_within_seconds(tmp_path, capsys):
    project = small_project(tmp_path, {"chairs": SLUGS["chairs"]})
    started = time.monotonic()
    code = run_cli(project, "build", env={"HANDOUTS_EXECUTOR": "dask://127.0.0.1:9"})
    elapsed = time.monotonic() - started
    assert code == 1
    assert elapsed < 10
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert not (project / "outputs").exists() or not list((project / "outputs").rglob("*.pdf"))


def test_executor_names():
    assert executor_spec(None) in ("local", os.environ.get("HANDOUTS_EXECUTOR", "local"))
    assert executor_spec("dask://scheduler.example:8786") == "dask://scheduler.example:8786"
    for wrong in ("dask://", "ray://x:1", "Local"):
        with pytest.raises(InputError, match="unknown executor"):
            executor_spec(wrong)



class ProjectAway(Executor):
    """Runs the units as a worker on another machine would: each call is pickled when
    submitted and run once all are in, with the project folder moved out of reach."""

    def __init__(self, project, units: int):
        self.project, self.units, self.calls = project, units, []

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        self.calls.append((pickle.dumps((fn, args, kwargs)), future))
        if len(self.calls) == self.units:
            threading.Thread(target=self._run).start()
        return future

    def _run(self):
        away = self.project.rename(self.project.with_name("away"))
        try:
            results = [(pickle.loads(call)[0](*pickle.loads(call)[1], **pickle.loads(call)[2]), future)
                       for call, future in self.calls]
        finally:
            away.rename(self.project)
        for result, future in results:
            future.set_result(result)


def test_units_carry_their_inputs_as_data(local_build, tmp_path):
    """Rendered with the project out of reach (handouts, catalogs, glossary, images
    gone): what the unit carries is all it reads, and the outputs are the same."""
    project, expected = local_build
    config = _copy(project, tmp_path / "project")
    summary = build(config, executor=ProjectAway(config.root, 4), **SELECTION)
    assert summary.failed == 0 and summary.built == 4, summary.problems
    assert snapshot(config.output_dir) == expected


def test_the_scheduler_going_away_is_a_cluster_error_and_what_was_written_is_whole(local_build, tmp_path):
    project, expected = local_build
    config = _copy(project, tmp_path / "project")
    with local_cluster(1) as doomed, connect(doomed.scheduler_address) as client:
        def stop_the_cluster(done, total, result):
            if done == 1:
                doomed.close()

        started = time.monotonic()
        with pytest.raises(ClusterError, match="stopped during the build"):
            build(config, executor=DaskExecutor(client, doomed.scheduler_address), progress=stop_the_cluster,
                  **SELECTION)
        assert time.monotonic() - started < 120
    written = snapshot(config.output_dir)
    pages = [name for name in written if name.endswith((".html", ".pdf")) and name.count("/") == 2]
    assert pages  # the first unit was written before the cluster went away
    assert {name: written[name] for name in pages} == {name: expected[name] for name in pages}
    assert not [p for p in config.output_dir.rglob("*.tmp")]
