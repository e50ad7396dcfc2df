"""Train many configurations into the run cache, several worker processes at a time.

On this 2-core CPU two one-thread processes do about 1.8x the work of one two-thread process for
the MLP models (measured), so sweeps of many small models run ``workers=2, threads=1``. Each
worker calls :func:`~vsc_lib.training.train_or_load`, whose atomic writes make parallel workers
safe as long as no two of them train the same configuration (duplicates are removed here).
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from .config import RunConfig, run_name
from .paths import cache_dir


def _train_one(config_json: str, cache: str, threads: int) -> dict:
    import torch

    from .training import train_or_load

    torch.set_num_threads(threads)
    config = RunConfig.from_dict(json.loads(config_json))
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
    if workers < 1 or threads < 1:
        raise ValueError(f"workers={workers} and threads={threads} must both be >= 1.")
    root = Path(cache) if cache is not None else cache_dir()
    unique = {run_name(c): c for c in configs}
    pending = [c for name, c in unique.items() if not (root / name).is_dir()]
    results = []
    if not pending:
        return results
    context = multiprocessing.get_context("spawn")  # no forked torch thread pools
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_train_one, c.to_json(), str(root), threads) for c in pending]
        for future in tqdm(as_completed(futures), total=len(futures), desc="runs", unit="run", disable=not progress):
            results.append(future.result())
    return results
