"""The run cache: trained runs and the evaluations computed from them, under one version.

Layout under the cache folder (:func:`vsc_lib.paths.cache_dir`)::

    <run name>/            a finished run, written atomically and never overwritten:
        model.pt             the state dict (its SHA-256 is in meta.json)
        config.json          the full RunConfig
        history.csv          one row per epoch
        meta.json            versions, timings, the model checksum, the cache version
    <run name>.partial/    the checkpoint of a run in training (resumed by the next call)
    .claims/<run name>     the lock a process holds while it trains that run (:func:`claim`)
    _evals/<run name>/<what>-<settings digest>.json   an evaluation, stamped with the model
                                    checksum, its settings and the cache version; one file per
                                    settings, so two grids that evaluate one run differently
                                    (chapter 6's latent and fixed-prior grids share runs) keep both

A run's name is its configuration's content hash together with :data:`CACHE_VERSION` (see
:func:`vsc_lib.config.run_name`); evaluations carry the same version. Bump it once when a change
to the library makes stored runs or evaluations wrong to reuse: everything is then retrained
and recomputed (old folders are left in place, never read, never deleted).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from .config import CACHE_VERSION, RunConfig, run_name
from .models import LatentModel, build_model
from .paths import cache_dir, write_atomic


class CorruptRunError(RuntimeError):
    """A cached run exists but cannot be trusted (unreadable, mismatched or checksum wrong)."""


@dataclass
class TrainedRun:
    """A trained model with its configuration, history and metadata.

    Attributes:
        config: the run's configuration.
        model: the trained model, in eval mode.
        history: one dict per epoch: ``epoch``, ``c``, ``lam``, ``lr``, ``seconds`` and
            ``train_<term>`` / ``test_<term>`` for every loss term and diagnostic.
        meta: versions, device, wall time, throughput.
        path: the cache folder (``None`` if not saved).
        from_cache: True when loaded rather than trained in this call.
    """

    config: RunConfig
    model: LatentModel
    history: list[dict[str, float]]
    meta: dict
    path: Path | None = None
    from_cache: bool = False

    def history_frame(self):
        """The history as a pandas DataFrame indexed by epoch."""
        import pandas as pd

        return pd.DataFrame(self.history).set_index("epoch")


def tensor_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _history_csv(history: list[dict]) -> str:
    if not history:
        return ""
    columns = list(history[0])
    for row in history[1:]:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return out.getvalue()


def read_history(text: str) -> list[dict]:
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({k: (int(v) if k == "epoch" else float(v)) for k, v in row.items() if v != ""})
    return rows


def library_versions() -> dict:
    import numpy

    return {"torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version()}


def save_run(run: TrainedRun, root: Path) -> Path:
    """Write a finished run atomically to ``root/<run_name>``; refuses to replace an existing one."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / run_name(run.config)
    if final.exists():
        raise FileExistsError(f"{final} already exists; it is not overwritten.")
    model_bytes = tensor_bytes(run.model.state_dict())
    meta = dict(run.meta, model_sha256=hashlib.sha256(model_bytes).hexdigest(), cache_version=CACHE_VERSION)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{final.name}-"))
    try:
        (tmp / "model.pt").write_bytes(model_bytes)
        (tmp / "config.json").write_text(json.dumps(run.config.to_dict(), indent=2, sort_keys=True) + "\n")
        (tmp / "history.csv").write_text(_history_csv(run.history))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        for child in tmp.iterdir():
            with open(child, "rb") as handle:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o755)
        os.rename(tmp, final)  # atomic on one file system; fails if `final` appeared meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    run.meta, run.path = meta, final
    return final


def same_config(stored: dict, config: RunConfig) -> bool:
    """Whether a stored configuration (config.json, a checkpoint) is ``config``; fields added to
    the library after it was written read as their defaults; an unreadable one is not."""
    try:
        return RunConfig.from_dict(stored) == config
    except (ValueError, TypeError):
        return False


def load_run(config: RunConfig, root: Path, device: str | torch.device | None = None) -> TrainedRun:
    """Load the finished run of ``config`` from ``root``; verifies config and checksum.

    Raises:
        FileNotFoundError: no such run.
        CorruptRunError: the folder exists but cannot be trusted (message says what to do).
    """
    path = Path(root) / run_name(config)
    if not path.is_dir():
        raise FileNotFoundError(f"no cached run at {path}")

    def corrupt(reason: str) -> CorruptRunError:
        return CorruptRunError(
            f"the cached run {path} is unusable: {reason}. Nothing was deleted. Move it aside "
            f"(mv {path} {path}.bad) or delete it, then call train_or_load again to retrain."
        )

    try:
        stored = json.loads((path / "config.json").read_text())
        meta = json.loads((path / "meta.json").read_text())
        model_bytes = (path / "model.pt").read_bytes()
        history = read_history((path / "history.csv").read_text())
    except (OSError, ValueError) as error:
        raise corrupt(f"{type(error).__name__}: {error}") from None
    if not same_config(stored, config):
        raise corrupt("its config.json does not match the requested configuration")
    if hashlib.sha256(model_bytes).hexdigest() != meta.get("model_sha256"):
        raise corrupt("model.pt does not match the checksum recorded in meta.json")
    device = torch.device(device or default_device())
    model = build_model(config.model, config.input_shape)
    try:
        state = torch.load(io.BytesIO(model_bytes), map_location=device, weights_only=True)
        model.load_state_dict(state)
    except Exception as error:  # unpickling and shape errors have many types
        raise corrupt(f"model.pt could not be loaded ({type(error).__name__}: {error})") from None
    model.to(device).eval()
    return TrainedRun(config=config, model=model, history=history, meta=meta, path=path, from_cache=True)


def settings_digest(settings: dict) -> str:
    """A short content hash of an evaluation's settings (JSON with sorted keys)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def evaluation_path(root: Path | str, config: RunConfig, what: str, settings: dict) -> Path:
    """Where the evaluation ``what`` of ``config``'s run, computed with ``settings``, is stored.

    The settings are part of the name: a run evaluated under two settings (the same run in two
    grids) keeps both files instead of each grid overwriting the other's and recomputing its own
    on every build."""
    return Path(root) / "_evals" / run_name(config) / f"{what}-{settings_digest(settings)}.json"


def _legacy_path(root: Path | str, config: RunConfig, what: str) -> Path:
    """Where ``what`` was stored before settings were part of the name (session 9 and earlier)."""
    return Path(root) / "_evals" / run_name(config) / f"{what}.json"


def _read_stamped(path: Path, stamp: dict) -> dict | None:
    """The evaluation stored at ``path`` if it carries ``stamp`` (the keys given), else None. A
    file that cannot be read is reported (the caller recomputes it)."""
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        stored = None
    if not isinstance(stored, dict) or "values" not in stored:
        print(f"[cache] the stored evaluation {path} is unreadable; recomputing it.")
        return None
    return stored if all(stored.get(k) == v for k, v in stamp.items()) else None


def has_evaluation(root: Path | str, config: RunConfig, what: str, settings: dict) -> bool:
    """Whether the evaluation ``what`` of ``config``'s run with ``settings`` is stored (its model
    checksum is checked when it is read, by :func:`cached_evaluation`)."""
    return (evaluation_path(root, config, what, settings).is_file()
            or _read_stamped(_legacy_path(root, config, what),
                             {"cache_version": CACHE_VERSION, "settings": settings}) is not None)


def cached_evaluation(run: TrainedRun, what: str, settings: dict, compute: Callable[[], dict]) -> dict:
    """``compute()`` for ``run``, stored under ``what`` and its ``settings``; reused while the model
    checksum, the settings and CACHE_VERSION are unchanged. A stored file that cannot be read is
    reported and recomputed (it holds nothing a user made: it is derived from the run). A file
    stored under the earlier name (``<what>.json``) with the same stamp is reused and written
    under the new name, so an existing cache is not evaluated again."""
    record = getattr(run, "record", None)  # a run read from the evidence store
    if record is not None and (stored := record.evaluation(what, settings)) is not None:
        return stored
    root = run.path.parent if run.path is not None else cache_dir()
    path = evaluation_path(root, run.config, what, settings)
    stamp = {"cache_version": CACHE_VERSION, "model_sha256": run.meta.get("model_sha256"), "settings": settings}
    for source in (path, _legacy_path(root, run.config, what)):
        stored = _read_stamped(source, stamp)
        if stored is not None:
            if source != path:
                write_atomic(path, (json.dumps(stored, indent=1) + "\n").encode())
            return stored["values"]
    began = time.perf_counter()
    values = compute()
    values["eval_seconds"] = time.perf_counter() - began
    write_atomic(path, (json.dumps({**stamp, "values": values}, indent=1) + "\n").encode())
    return values


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


@contextlib.contextmanager
def claim(root: Path, name: str):
    """Hold the exclusive claim on run ``name`` in the cache ``root`` while the block runs.

    An advisory lock (``fcntl.flock``) on ``root/.claims/<name>``: a second process that asks for
    the same claim waits until the first releases it. The operating system releases it when its
    holder dies, so a killed worker leaves no stale claim (its retry resumes from the checkpoint).
    """
    folder = Path(root) / ".claims"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
