"""Sweeps on Dask distributed: real LocalClusters, tiny runs. Runs reach the cache once and
checksum-valid; a killed worker's run resumes from its checkpoint; two sweeps on one cache never
train a run twice at the same time; a failing run is reported and the others finish; workers that
do not share the cache ship their results back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from vsc_lib.cache import claim, load_run, save_run
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig, run_name
from vsc_lib.studies import Grid
from vsc_lib.sweep import SweepError, _train_one, _with_threads, dask_client, in_workers, run_grid, train_many
from vsc_lib.training import train

BASE = RunConfig(DataConfig("mnist", num_train=256, num_test=64), ModelConfig(kind="vae", latent_dim=4, hidden_dim=16),
                 TrainConfig(num_epochs=1, batch_size=64))


def _runs(root):
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


@pytest.mark.slow
def test_train_many_trains_each_distinct_config_once_on_a_local_cluster(tmp_path):
    configs = [BASE, BASE, BASE.replace(train={"seed": 1})]
    done = train_many(configs, workers=2, cache=tmp_path, progress=False)
    assert sorted(d["name"] for d in done) == sorted({run_name(c) for c in configs}) == _runs(tmp_path)
    for config in configs:
        load_run(config, tmp_path)  # verifies the stored config and the model's checksum
    assert train_many(configs, workers=2, cache=tmp_path, progress=False) == []  # all cached now


def test_train_many_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="workers=0"):
        train_many([], workers=0, cache=tmp_path)


@pytest.mark.slow
def test_a_failing_run_is_reported_with_its_configuration_and_the_others_finish(tmp_path):
    bad = BASE.replace(data={"num_train": 70_000})  # more images than MNIST has: the run raises
    good = [BASE, BASE.replace(train={"seed": 1})]
    with pytest.raises(SweepError) as error:
        train_many([bad, *good], workers=2, cache=tmp_path, progress=False)
    message = str(error.value)
    assert message.startswith("1 run(s) failed; every other run finished and is in the cache:")
    assert run_name(bad) in message and '"num_train":70000' in message and "subset=70000" in message
    assert _runs(tmp_path) == sorted(run_name(c) for c in good)


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_retried_and_the_run_resumes_from_its_checkpoint(tmp_path):
    config = RunConfig(DataConfig("mnist", num_train=4000, num_test=200),
                       ModelConfig(kind="vae", latent_dim=8, hidden_dim=256), TrainConfig(num_epochs=12, batch_size=32))
    checkpoint = tmp_path / f"{run_name(config)}.partial" / "checkpoint.pt"
    with dask_client(workers=2) as client:
        future = client.submit(_with_threads, _train_one, 1, config, str(tmp_path), True, pure=False)
        deadline = time.monotonic() + 120
        while not checkpoint.is_file():  # the first epoch is done and checkpointed
            assert time.monotonic() < deadline and future.status == "pending", "no checkpoint appeared"
            time.sleep(0.05)
        busy = [address for address, keys in client.processing().items() if future.key in keys]
        assert len(busy) == 1
        pid = client.run(os.getpid, workers=busy)[busy[0]]
        os.kill(pid, signal.SIGKILL)
        summary = future.result(timeout=300)
    run = load_run(config, tmp_path)  # present once, checksum-valid
    assert summary["name"] == run_name(config) and _runs(tmp_path) == [run_name(config)]
    assert run.meta["resumed_from_epoch"] >= 1 and len(run.history) == 12
    assert [row["epoch"] for row in run.history] == list(range(12))


_SECOND_SWEEP = """
import json, sys
from vsc_lib.config import RunConfig
from vsc_lib.training import train_or_load
run = train_or_load(RunConfig.from_dict(json.loads(sys.argv[1])), cache=sys.argv[2], progress=False)
print(json.dumps({"from_cache": run.from_cache}))
"""


@pytest.mark.slow
def test_a_run_claimed_by_one_process_is_not_trained_by_another(tmp_path):
    """While one process holds a run's claim (and trains it), another asked for the same run
    waits and then loads the first one's result instead of training it again."""
    name = run_name(BASE)
    with claim(tmp_path, name):
        other = subprocess.Popen([sys.executable, "-c", _SECOND_SWEEP, BASE.to_json(), str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(4.0)  # long enough for the other process to import torch and reach the claim
        assert other.poll() is None and not (tmp_path / f"{name}.partial").exists()
        save_run(train(BASE, progress=False), tmp_path)
    out, _ = other.communicate(timeout=120)
    assert json.loads(out.strip().splitlines()[-1]) == {"from_cache": True}
    assert _runs(tmp_path) == [name]


_SWEEP = """
import json, sys
from vsc_lib.config import RunConfig
from vsc_lib.sweep import train_many
configs = [RunConfig.from_dict(c) for c in json.loads(sys.argv[1])]
print(json.dumps(train_many(configs, workers=1, cache=sys.argv[2], progress=False)))
"""


@pytest.mark.slow
def test_two_sweeps_started_at_once_train_each_run_once(tmp_path):
    configs = [BASE.replace(train={"seed": s, "num_epochs": 3}) for s in range(3)]
    payload = json.dumps([c.to_dict() for c in configs])
    sweeps = [subprocess.Popen([sys.executable, "-c", _SWEEP, payload, str(tmp_path)], stdout=subprocess.PIPE, text=True)
              for _ in range(2)]
    outputs = [json.loads(p.communicate(timeout=300)[0].strip().splitlines()[-1]) for p in sweeps]
    trained = [r["name"] for out in outputs for r in out if not r["from_cache"]]
    assert sorted(trained) == sorted(run_name(c) for c in configs)  # each run trained exactly once
    assert _runs(tmp_path) == sorted(run_name(c) for c in configs)
    for config in configs:
        load_run(config, tmp_path)


@pytest.mark.slow
def test_workers_without_the_cache_ship_runs_and_evaluations_back(tmp_path):
    done = train_many([BASE], workers=1, cache=tmp_path, progress=False, shared_cache=False)
    assert done[0]["name"] == run_name(BASE) and "files" not in done[0]
    load_run(BASE, tmp_path)
    grid = Grid("tiny-ship", ("mnist",), ("vae",), (4,), (0,), num_epochs=1, hidden_dim=16, num_train=256, num_test=64,
                probe_families=(), elbo_samples=1)
    result = run_grid(grid, workers=1, cache=tmp_path / "grid", progress=False, shared_cache=False)
    name = run_name(grid.config(("mnist", "vae", 4, 0)))
    assert result.trained == 1 and len(list((tmp_path / "grid" / "_evals" / name).glob("basic-*.json"))) == 1
    again = run_grid(grid, workers=1, cache=tmp_path / "grid", progress=False)
    assert again.trained == 0 and again.evaluations == result.evaluations


@pytest.mark.slow
def test_a_sweep_runs_on_an_existing_cluster_given_its_address(tmp_path, monkeypatch):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as cluster:
        before = cluster.scheduler.transition_counter
        monkeypatch.setenv("VSC_DASK_SCHEDULER", cluster.scheduler_address)
        done = train_many([BASE], workers=5, cache=tmp_path, progress=False)  # workers: ignored with a scheduler
        assert cluster.scheduler.transition_counter > before  # the task went through this cluster's scheduler
    assert [d["name"] for d in done] == [run_name(BASE)] and _runs(tmp_path) == [run_name(BASE)]


@pytest.mark.slow
def test_local_workers_keep_glibcs_adaptive_mmap_threshold(monkeypatch):
    """Dask's nannies set MALLOC_TRIM_THRESHOLD_, which made every large tensor allocation a fresh
    mmap (a grouped training step 2.8x slower); the sweep's local workers run without it, even
    after a cluster with Dask's defaults has left it in this process's environment."""
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # as a default LocalCluster leaves it
    with dask_client(workers=1) as client:
        environ = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert list(environ.values()) == [(None, "1")]
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"  # put back for whoever set it


def _loaded() -> tuple[bool, bool]:
    return "torch" in sys.modules, "vsc_lib.sweep" in sys.modules


def test_an_unknown_start_method_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="start_method='thread'.*forkserver.*spawn.*fork"):
        with dask_client(workers=1, start_method="thread"):
            pass


@pytest.mark.slow
def test_forkserver_workers_start_with_torch_and_the_library_loaded():
    """The fork server imports them once; a worker forked from it has them before any task."""
    with dask_client(workers=1, start_method="forkserver") as client:
        assert list(client.run(_loaded).values()) == [(True, True)]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_every_start_method_runs_a_sweep(tmp_path, method):
    with dask_client(workers=1, start_method=method) as client:
        pids = set(client.run(os.getpid).values())
        done = list(in_workers(_train_one, [(BASE, str(tmp_path), True)], client=client, progress=False))
    assert len(pids) == 1 and os.getpid() not in pids
    assert [d["name"] for d in done] == [run_name(BASE)] and _runs(tmp_path) == [run_name(BASE)]


def _library_environ() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith("VSC_")}


@pytest.mark.slow
def test_forkserver_workers_see_the_clients_library_variables_of_now(monkeypatch):
    """A worker forked from a fork server started earlier gets the client's VSC_* variables as
    they are at the cluster's start, added and removed, as a spawned worker would."""
    monkeypatch.setenv("VSC_KEEP_DENORMALS", "1")
    with dask_client(workers=1, start_method="forkserver") as client:  # the server may start here
        first = list(client.run(_library_environ).values())[0]
    monkeypatch.delenv("VSC_KEEP_DENORMALS")
    monkeypatch.setenv("VSC_SWEEP_TEST_MARK", "later")
    with dask_client(workers=1, start_method="forkserver") as client:
        second = list(client.run(_library_environ).values())[0]
    assert first.get("VSC_KEEP_DENORMALS") == "1" and "VSC_SWEEP_TEST_MARK" not in first
    assert "VSC_KEEP_DENORMALS" not in second and second["VSC_SWEEP_TEST_MARK"] == "later"
