"""Train many configurations into the run cache, several worker processes at a time.

On this 2-core CPU two one-thread processes do about 1.8x the work of one two-thread process for
the MLP models (measured), so sweeps of many small models run ``workers=2, threads=1``. Each
worker calls :func:`~vsc_lib.training.train_or_load`, whose atomic writes make parallel workers
safe as long as no two of them train the same configuration (duplicates are removed here).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from .config import RunConfig, run_name
from .paths import cache_dir


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def in_workers(fn: Callable, items: list[tuple], workers: int = 2, threads: int = 1, desc: str = "runs",
               progress: bool = True) -> Iterator:
    """``fn(*item)`` for every item in ``workers`` spawned processes with ``threads`` torch
    threads each; yields the results as they complete, counted by a tqdm bar. ``fn`` and the
    items must be picklable (module-level functions, frozen configs)."""
    if workers < 1 or threads < 1:
        raise ValueError(f"workers={workers} and threads={threads} must both be >= 1.")
    if not items:
        return
    context = multiprocessing.get_context("spawn")  # no forked torch thread pools
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_set_threads,
                             initargs=(threads,)) as pool:
        futures = [pool.submit(fn, *item) for item in items]
        for future in tqdm(as_completed(futures), total=len(futures), desc=desc, unit="run", disable=not progress):
            yield future.result()


def _train_one(config: RunConfig, cache: str) -> dict:
    from .training import train_or_load

    run = train_or_load(config, cache=cache, progress=False)
    return {"name": run_name(config), "train_seconds": run.meta["train_seconds"], "from_cache": run.from_cache}


def train_many(configs: list[RunConfig], workers: int = 2, threads: int = 1, cache: Path | str | None = None,
               progress: bool = True) -> list[dict]:
    """Make sure every configuration is trained and cached; return one summary per trained run.

    Args:
        configs: configurations (duplicates and already cached ones are skipped).
        workers: processes training at the same time.
        threads: torch threads per process.
        cache: run cache folder (default: the library's).
        progress: a tqdm bar over the runs.
    """
    root = Path(cache) if cache is not None else cache_dir()
    unique = {run_name(c): c for c in configs}
    pending = [(c, str(root)) for name, c in unique.items() if not (root / name).is_dir()]
    return list(in_workers(_train_one, pending, workers, threads, progress=progress))
