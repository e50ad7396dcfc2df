"""Run many trainings and evaluations on Dask distributed: this machine by default, a cluster on request.

By default :func:`in_workers` starts a :class:`distributed.LocalCluster` on this machine (worker
processes with one thread each, as many as asked; on this 2-core CPU two one-thread processes do
about 1.8x the work of one two-thread process for the MLP models) and stops it when the sweep
ends, so nothing changes for a user with one machine. Given a scheduler address (``scheduler=``,
``python scripts/sweep.py --scheduler tcp://host:8786`` or ``$VSC_DASK_SCHEDULER``), the same
sweep runs on an existing cluster instead (see the README for ``dask scheduler`` /
``dask worker`` by hand and for SLURM with ``dask-jobqueue``). Local workers are forked from a
fork server that has imported torch and the library once per client process
(:func:`dask_client`'s ``start_method``), so every cluster after a process's first starts in
about 0.1 s instead of 1.3 s.

What reaches the cache, and how it survives faults:

- Workers that share the client's file system (one machine, or a cluster with a shared cache
  folder) train straight into the cache: runs are written atomically (a folder renamed into
  place) and never overwritten, and each run is trained under its claim
  (:func:`vsc_lib.cache.claim`), so two sweeps started at once on one cache never train the same
  run at the same time. With ``shared_cache=False`` the workers train into a private folder and
  ship the finished run and its evaluations back; the client writes them into its cache
  atomically (:func:`store_shipped`).
- A worker killed in the middle of a run: the scheduler gives the task to another worker, which
  resumes from the run's last checkpoint (with a shared cache) and finishes it.
- A task that raises (a run that diverges) is reported with its item (the configuration) as a
  :class:`TaskFailure`; the other tasks go on. Callers decide what to do with failures
  (:func:`run_grid` raises one :class:`SweepError` listing them all, after
  everything else has finished and been cached).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin
from tqdm import tqdm

from . import evidence
from .cache import has_evaluation
from .config import RunConfig, run_name
from .evaluation import Evaluation
from .grid_evaluation import basic_evaluation, basic_settings
from .grouped import check_group, train_group_or_load
from .paths import cache_dir, write_atomic
from .stored_runs import stored_record, usable_record
from .studies import evidence_key
from .studies.grid import Cell, Grid
from .sweep_result import SweepResult
from .training import train_or_load

#: the environment variable that points sweeps at an existing Dask scheduler
SCHEDULER_ENV = "VSC_DASK_SCHEDULER"
#: what the local workers' nannies put in their environment: Dask's default without
#: ``MALLOC_TRIM_THRESHOLD_``, which (any value) turns off glibc's adaptive mmap threshold, so
#: that every large tensor is mapped and unmapped at each step: measured here, a grouped
#: training step ran 2.8x slower under Dask's 65,536 than without it
WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}
#: how local worker processes are started (Dask's ``distributed.worker.multiprocessing-method``)
START_METHODS = ("forkserver", "spawn", "fork")
#: what the fork server imports once, so that every worker forked from it starts with torch and
#: the library already loaded (a spawned worker imports them itself: about 1.3 s per cluster here)
FORKSERVER_PRELOAD = ("distributed", "torch", "vsc_lib.sweep")


@dataclass(frozen=True)
class TaskFailure:
    """A task that raised: its item (the arguments, e.g. a grid cell and its configuration) and
    the error as text."""

    item: tuple
    error: str


class SweepError(RuntimeError):
    """Some runs of a sweep failed; every other run finished and is in the cache."""


def _with_threads(fn: Callable, threads: int, *args):
    import torch

    torch.set_num_threads(threads)
    return fn(*args)


#: the client's environment variables that local workers are given at each cluster's start (the
#: library's settings, read when a task runs): a worker forked from a fork server would otherwise
#: see them as they were when the server started, not as the client has them now
FOLLOWED_ENVIRON = ("VSC_", "XDG_CACHE_HOME")


def _followed(environ) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.startswith(FOLLOWED_ENVIRON)}


class _ClientEnvironment(WorkerPlugin):
    """A Dask worker plugin that sets the worker's followed variables (:data:`FOLLOWED_ENVIRON`)
    to the client's, adding and removing them, as a spawned worker would have inherited them."""

    name = "vsc-client-environment"

    def __init__(self, environ: dict[str, str]):
        self.environ = environ

    def setup(self, worker) -> None:
        for key in _followed(os.environ):
            del os.environ[key]
        os.environ.update(self.environ)


def _start_method_config(method: str) -> dict:
    """Dask configuration that starts local workers with ``method``; for ``forkserver`` the fork
    server (one per client process, started with the first worker) is told to import
    :data:`FORKSERVER_PRELOAD`, so that every later cluster of this process starts in about 0.1 s."""
    if method not in START_METHODS:
        raise ValueError(f"start_method={method!r} is not one of {START_METHODS}; 'forkserver' (the default) "
                         "is safe from notebooks and fast after the first cluster.")
    key = "distributed.worker.multiprocessing-method"
    if method == "forkserver":
        import dask
        from distributed.utils import get_mp_context

        with dask.config.set({key: method}):
            context = get_mp_context()  # Dask sets its own preload list on its first call ...
        context.set_forkserver_preload(list(FORKSERVER_PRELOAD))  # ... which this replaces
    return {key: method}


@contextlib.contextmanager
def dask_client(workers: int = 2, scheduler: str | None = None, start_method: str = "forkserver"):
    """A :class:`distributed.Client`: connected to ``scheduler`` (or ``$VSC_DASK_SCHEDULER``) when
    given, else to a LocalCluster of ``workers`` one-thread processes that lives as long as the
    block.

    ``start_method`` says how the local worker processes start. ``forkserver`` (default): forked
    from a server process that has imported torch and the library once, and has never run
    anything else, so it is as safe as ``spawn`` from a Jupyter kernel; the first cluster of a
    process costs what ``spawn`` costs (about 1.3 s here), later ones about 0.1 s. ``spawn``:
    fresh interpreters that import everything each time. ``fork``: copies of this process (about
    0.1 s always, but it copies whatever this process holds: threads, sockets, a kernel's state).
    Local workers get the client's ``VSC_*`` and ``XDG_CACHE_HOME`` variables as they are when the
    block starts, whichever the method; other variables that take effect when a process starts
    (``OMP_*``, ``MALLOC_*``) keep the values the fork server started with, so change those with
    ``start_method="spawn"``.
    """
    import dask
    from distributed import Client, LocalCluster

    method_config = _start_method_config(start_method)
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        with Client(address) as client:
            yield client
        return
    # a nanny also copies its pre-spawn variables into *this* process's environment, which every
    # later worker inherits: a cluster started here before (with Dask's defaults) leaves
    # MALLOC_TRIM_THRESHOLD_ behind, so it is taken out while this cluster lives
    inherited = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON, **method_config}), \
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                             silence_logs=40) as cluster, Client(cluster) as client:
            client.register_plugin(_ClientEnvironment(_followed(os.environ)))
            yield client
    finally:
        if inherited is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = inherited


def in_workers(fn: Callable, items: list[tuple], workers: int = 2, threads: int = 1, desc: str = "runs",
               progress: bool = True, scheduler: str | None = None, client=None, unit: str = "run") -> Iterator:
    """``fn(*item)`` for every item on Dask workers, ``threads`` torch threads per task; yields
    each result as it completes (a :class:`TaskFailure` for a task that raised), counted by a
    tqdm bar with an estimate of the time left (one ``unit`` per task).

    ``fn`` and the items must be picklable (module-level functions, frozen configs). Without
    ``client`` a :func:`dask_client` is started for the call (``workers`` local processes, or the
    cluster at ``scheduler``).
    """
    if workers < 1 or threads < 1:
        raise ValueError(f"workers={workers} and threads={threads} must both be >= 1.")
    if not items:
        return
    if client is None:
        with dask_client(workers, scheduler) as own:
            yield from in_workers(fn, items, workers, threads, desc, progress, client=own, unit=unit)
        return
    from distributed import as_completed

    futures = {client.submit(_with_threads, fn, threads, *item, pure=False): item for item in items}
    with tqdm(total=len(futures), desc=desc, unit=unit, disable=not progress) as bar:
        for future in as_completed(futures):
            if future.status == "error":
                error = future.exception()
                yield TaskFailure(futures[future], f"{type(error).__name__}: {error}")
            else:
                yield future.result()
            bar.update(1)


# ---------------------------------------------------------------------------------------------
# results shipped back from workers that do not share the cache folder


def pack_run(root: Path, name: str) -> dict[str, bytes]:
    """The files of run ``name`` and of its evaluations under ``root``, by path relative to it."""
    root = Path(root)
    files = {}
    for folder in (root / name, root / "_evals" / name):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                files[str(path.relative_to(root))] = path.read_bytes()
    return files


def store_shipped(root: Path, name: str, files: dict[str, bytes]) -> None:
    """Write a shipped run into the cache ``root`` atomically: the run's folder is assembled
    aside and renamed into place (a run already there is kept, not overwritten); evaluations
    are written file by file atomically."""
    root = Path(root)
    final = root / name
    root.mkdir(parents=True, exist_ok=True)
    if not final.exists():
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{name}-"))
        try:
            for rel, payload in files.items():
                if Path(rel).parts[0] == name:
                    (tmp / Path(rel).name).write_bytes(payload)
            os.chmod(tmp, 0o755)
            os.rename(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not final.exists():
                raise
    for rel, payload in files.items():
        if Path(rel).parts[0] == "_evals":
            write_atomic(root / rel, payload)


def _train_one(config: RunConfig, cache: str, shared: bool = True) -> dict:
    if shared:
        run = train_or_load(config, cache=cache, progress=False)
        return {"name": run_name(config), "train_seconds": run.meta["train_seconds"], "from_cache": run.from_cache}
    with tempfile.TemporaryDirectory(prefix="vsc-worker-") as private:
        run = train_or_load(config, cache=private, progress=False)
        return {"name": run_name(config), "train_seconds": run.meta["train_seconds"], "from_cache": False,
                "files": pack_run(Path(private), run_name(config))}


def train_many(configs: list[RunConfig], workers: int = 2, threads: int = 1, cache: Path | str | None = None,
               progress: bool = True, scheduler: str | None = None, shared_cache: bool = True) -> list[dict]:
    """Make sure every configuration is trained and cached; return one summary per run.

    Args:
        configs: configurations (duplicates and already cached ones are skipped).
        workers: local worker processes (ignored with a scheduler).
        threads: torch threads per task.
        cache: run cache folder (default: the library's).
        progress: a tqdm bar over the runs.
        scheduler: address of an existing Dask scheduler (default ``$VSC_DASK_SCHEDULER``; none:
            a LocalCluster on this machine).
        shared_cache: whether the workers see ``cache`` (False: runs are shipped back).

    Raises:
        SweepError: some runs raised; every other run was trained and cached first.
    """
    root = Path(cache) if cache is not None else cache_dir()
    unique = {run_name(c): c for c in configs}
    pending = [(c, str(root), shared_cache) for name, c in unique.items() if not (root / name).is_dir()]
    out, failures = [], []
    for result in in_workers(_train_one, pending, workers, threads, progress=progress, scheduler=scheduler):
        if isinstance(result, TaskFailure):
            failures.append(result)
            continue
        if "files" in result:
            store_shipped(root, result["name"], result.pop("files"))
        out.append(result)
    if failures:
        raise SweepError(failure_report(failures, lambda item: run_name(item[0]) + ": " + item[0].to_json()))
    return out


def failure_report(failures: list[TaskFailure], describe: Callable[[tuple], str]) -> str:
    """One message naming every failed task (``describe(item)``: its configuration) and its error."""
    lines = [f"{len(failures)} run(s) failed; every other run finished and is in the cache:"]
    lines += [f"  - {describe(f.item)}\n    {f.error}" for f in failures]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# a study's grid on the workers


def train_and_evaluate(grid: Grid, cell: Cell, cache: str, shared: bool = True) -> tuple[Cell, dict, dict]:
    """Train (or load) one cell and evaluate it; with ``shared=False`` (a worker that does not
    see the client's cache) in a private folder, shipping the run and its evaluation back."""
    if not shared:
        with tempfile.TemporaryDirectory(prefix="vsc-worker-") as private:
            cell, values, info = train_and_evaluate(grid, cell, private)
            return cell, values, info | {"files": pack_run(Path(private), run_name(grid.config(cell)))}
    run = train_or_load(grid.config(cell), cache=cache, progress=False)
    values = basic_evaluation(run, grid, cell[1])
    return cell, values, {"train_seconds": run.meta["train_seconds"], "from_cache": run.from_cache,
                          "images_per_second": run.meta.get("images_per_second")}


def _work_group(grid: Grid, cells: list[Cell], cache: str) -> list[tuple[Cell, dict, dict]]:
    """Train the cells (one cell's seeds) as one grouped model (:mod:`vsc_lib.grouped`), then
    evaluate each as :func:`train_and_evaluate` does."""
    configs = [grid.config(c) for c in cells]
    try:
        check_group(configs)
    except ValueError:  # not groupable (the learned prior, a conv body): one run at a time
        return [train_and_evaluate(grid, cell, cache) for cell in cells]
    trained = {r["name"]: r for r in train_group_or_load(configs, cache=cache, progress=False)}
    out = []
    for cell in cells:
        cell, values, info = train_and_evaluate(grid, cell, cache)
        summary = trained[run_name(grid.config(cell))]
        out.append((cell, values, info | {"from_cache": summary["from_cache"], "train_seconds": summary["train_seconds"]}))
    return out


def _group_key(grid: Grid, cell: Cell) -> tuple:
    """Cells with one key may train as one group: a cell's seeds, and for the fixed-prior VSC the
    seeds of every family at one (dataset, J) whose runs differ only in alpha (chapter 6's
    vsc0.5 / vsc0.2 / vsc0.01: nine models per group)."""
    model = grid.config(cell).model
    if model.kind == "vsc" and model.prior == "fixed":
        return cell[0], cell[2], dataclasses.replace(model, alpha=0.5)
    return cell[:3]


def groups_of(grid: Grid, cells: list[Cell]) -> list[list[Cell]]:
    """The cells split into groups that can train as one (see :func:`_group_key`) when their
    runs support grouped training (:func:`vsc_lib.grouped.check_group`), else one cell per group;
    the largest groups first. Dask starts tasks in the order they are submitted, so two workers
    given chapter 6's nine-model and three-model groups finish together instead of one of them
    ending the sweep alone with the last large group (measured: 175 s in grid order, 149 s
    largest first, for the book grid's J = 200 cells in bf16)."""
    by_key: dict[tuple, list[Cell]] = {}
    for cell in cells:
        by_key.setdefault(_group_key(grid, cell), []).append(cell)
    out = []
    for members in by_key.values():
        try:
            check_group([grid.config(c) for c in members])
            out.append(members)
        except ValueError:
            out.extend([c] for c in members)
    return sorted(out, key=len, reverse=True)  # stable: groups of one size keep the grid's order


def cell_done(grid: Grid, cell: Cell, root: Path) -> bool:
    """Whether the cell's run and its basic evaluation are both in the cache (then the client
    reads them itself instead of starting workers)."""
    config = grid.config(cell)
    return ((root / run_name(config)).is_dir()
            and has_evaluation(root, config, "basic", basic_settings(grid, cell[1])))


def run_grid(grid: Grid, workers: int = 2, threads: int = 1, cache: Path | str | None = None,
             progress: bool = True, cells: list[Cell] | None = None, scheduler: str | None = None,
             shared_cache: bool = True, grouped: bool = False, store: bool = True) -> SweepResult:
    """Train (or load) and evaluate every cell of ``grid`` (or only ``cells``) on Dask workers
    (:mod:`vsc_lib.sweep`: ``workers`` local one-thread processes, or the cluster at
    ``scheduler`` / ``$VSC_DASK_SCHEDULER``; ``shared_cache=False`` when its workers do not see
    the cache folder).

    Finished runs and evaluations come from the cache (read by this process, no workers
    started), so an interrupted sweep resumes and a second call only reads. The tqdm bar counts
    tasks. ``grouped=True`` trains each cell's seeds as one grouped model, and the fixed-prior VSC
    families of one (dataset, J) that differ only in alpha together (:func:`groups_of`,
    :mod:`vsc_lib.grouped`; cells it does not support train one run per task; needs a shared cache).

    ``store=False`` ignores the evidence store (reproductions; ``VSC_EVIDENCE=off`` does the same
    for a whole build).

    Raises:
        SweepError: some cells failed (a diverging run, say); the message names each one's
            configuration and error, and every other cell was trained, evaluated and cached.
    """
    root = Path(cache) if cache is not None else cache_dir()
    result = SweepResult(grid)
    began = time.perf_counter()
    chosen = grid.cells() if cells is None else [c for c in grid.cells() if c in set(cells)]
    done = [c for c in chosen if cell_done(grid, c, root)]
    use_store = store and evidence.mode() != "off"
    stored = {}
    for cell in [c for c in chosen if c not in set(done)] if use_store else ():
        if (record := usable_record(grid, cell)) is not None:
            stored[cell] = record
    todo = [(grid, cell, str(root), shared_cache) for cell in chosen if cell not in set(done) and cell not in stored]
    if todo and use_store and evidence_key(grid) is not None and evidence.mode() == "only":
        lines = [f"  {c}: " + (f"stale ({found.stale}: {found.stale_reason})" if (found := stored_record(grid, c)).stale
                               else "not usable from the store") for (_, c, _, _) in todo]
        raise evidence.StaleEvidenceError(
            f"VSC_EVIDENCE=only forbids training, but {len(todo)} run(s) of grid {grid.name!r} are not usable from the "
            "evidence store:\n" + "\n".join(lines) + "\nTrain and record them (python scripts/sweep.py --study ... "
            "--record), or unset VSC_EVIDENCE to let the build train them.")
    outputs = [train_and_evaluate(grid, cell, str(root)) for cell in done]
    result.sources.update({cell: "cache" for cell in done})
    for cell, record in stored.items():
        result.records[cell] = record
        result.sources[cell] = "store"
        outputs.append((cell, record.evaluation("basic", basic_settings(grid, cell[1])), {"from_cache": True}))
    failures = []
    if grouped:
        if not shared_cache:
            raise ValueError("grouped=True needs workers that share the cache (shared_cache=True).")
        tasks = [(grid, members, str(root)) for members in groups_of(grid, [item[1] for item in todo])]
        desc = f"sweep '{grid.name}' ({len(todo)} runs in {len(tasks)} groups)"
        for output in in_workers(_work_group, tasks, workers, threads, desc, progress, scheduler, unit="group"):
            if isinstance(output, TaskFailure):
                failures.extend(TaskFailure((grid, cell), output.error) for cell in output.item[1])
            else:
                outputs.extend(output)
    else:
        for output in in_workers(train_and_evaluate, todo, workers, threads, f"sweep '{grid.name}'", progress, scheduler):
            if isinstance(output, TaskFailure):
                failures.append(output)
            else:
                outputs.append(output)
    for cell, values, info in outputs:
        if "files" in info:
            store_shipped(root, run_name(grid.config(cell)), info["files"])
        result.evaluations[cell] = Evaluation.from_values(values)
        result.sources.setdefault(cell, "cache" if info["from_cache"] else "trained")
        if not info["from_cache"]:
            result.trained += 1
            result.train_seconds += info["train_seconds"]
            if info["images_per_second"]:
                result.images_per_second.append(info["images_per_second"])
    result.wall_seconds = time.perf_counter() - began
    if failures:
        raise SweepError(failure_report(failures, lambda item: f"{item[1]} ({run_name(item[0].config(item[1]))}): "
                                                               f"{item[0].config(item[1]).to_json()}"))
    result.evaluations = {cell: result.evaluations[cell] for cell in chosen}  # grid order
    result.sources = {cell: result.sources[cell] for cell in chosen}
    return result
