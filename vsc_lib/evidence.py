"""The evidence store: every trained run the book's grids use, as a checked text record in the repository.

The run cache (:mod:`vsc_lib.cache`) lives on one machine and is lost with it. The store keeps what
the chapters read from a run (its configuration, training history and every evaluation computed
from it) in ``evidence/`` at the repository root, one JSON file per run::

    evidence/<study>/<profile>/<dataset>_<family>_j<J>_s<seed>.json   one record per grid cell
    evidence/weights/<run name>.vsc                                    weights of the runs the book decodes with

A run is taken from, in order: the local run cache, the store, training
(:func:`vsc_lib.sweep.run_grid`; the grids' side of the store is :mod:`vsc_lib.stored_runs`).
A record is used only when the run it names (configuration hash and cache version) is exactly the
run the current code would train for its cell; otherwise it is *stale*: never used, named in the
build's output, and the run trains (or, with ``VSC_EVIDENCE=only``, the build fails and lists the
stale and missing records). A record that cannot be trusted (unreadable JSON, a missing field, a
configuration that does not hash to the run it names, weights whose SHA-256 differs) raises
:class:`CorruptEvidenceError`, which names the file and the fix.

``VSC_EVIDENCE`` selects the mode: ``use`` (default), ``off`` (ignore the store: the reproduction
build, ``make book FRESH=1``) or ``only`` (never train a run of a stored grid).

Weights are kept only for the runs the book decodes with (the explorers and the switching and
generation figures), in the library's own export format (:func:`vsc_lib.fit.export_model`: a zip of
the configuration as JSON and the weights as NumPy arrays, read without unpickling anything) at
float16, widened to float32 when loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .config import CACHE_VERSION, RunConfig, config_hash, run_name
from .fit import export_model
from .fit import load_model as load_exported
from .paths import REPO_ROOT, write_atomic
from .provenance import code_fingerprint, cpu_model, git_commit
from .training import block_timing

#: the record format; a record of another schema is refused (re-record it)
SCHEMA = 1
#: the whole store may hold at most this many bytes (``scripts/evidence.py check`` fails above it)
BUDGET_BYTES = 30 * 2**20
MODES = ("use", "off", "only")
MODE_ENV, DIR_ENV = "VSC_EVIDENCE", "VSC_EVIDENCE_DIR"
#: the fields every record has, with their types
REQUIRED = {"schema": int, "study": str, "profile": str, "cell": list, "run": str, "config_hash": str,
            "cache_version": int, "config": dict, "code": dict, "machine": dict, "train_seconds": (int, float),
            "history": list, "evaluations": list, "model_sha256": str, "recorded_utc": str, "partial": bool}
WEIGHTS_DTYPE = "float16"


class EvidenceError(RuntimeError):
    """Something about the evidence store stops the build (see the message for the fix)."""


class CorruptEvidenceError(EvidenceError):
    """A stored record or its weights cannot be trusted."""


class StaleEvidenceError(EvidenceError):
    """``VSC_EVIDENCE=only`` and some runs of a grid are stale or missing in the store."""


class RecordExistsError(EvidenceError):
    """A record for the cell exists and replacing it was not asked for."""


def evidence_dir() -> Path:
    """The store: ``$VSC_EVIDENCE_DIR``, else ``evidence/`` at the repository root."""
    return Path(os.environ.get(DIR_ENV) or REPO_ROOT / "evidence")


def mode() -> str:
    """``$VSC_EVIDENCE``: ``use`` (default), ``off`` or ``only``."""
    value = os.environ.get(MODE_ENV, "use").strip().lower() or "use"
    if value not in MODES:
        raise EvidenceError(f"{MODE_ENV}={value!r} is not one of {', '.join(MODES)}; unset it to use the store.")
    return value


def cell_file(study: str, profile: str, cell: tuple) -> Path:
    """Where the record of one grid cell lives, relative to the store."""
    dataset, family, latent_dim, seed = cell
    return Path(study) / profile / f"{dataset}_{family}_j{latent_dim}_s{seed}.json"


# ---------------------------------------------------------------------------------------------
# records


@dataclass
class Record:
    """A checked record of the store and the file it came from."""

    data: dict
    path: Path

    @property
    def run(self) -> str:
        return self.data["run"]

    def evaluation(self, what: str, settings: dict) -> dict | None:
        """The stored values of evaluation ``what`` computed with ``settings``, or None."""
        for entry in self.data["evaluations"]:
            if entry.get("what") == what and entry.get("settings") == settings:
                return entry["values"]
        return None

    @property
    def weights(self) -> dict | None:
        return self.data.get("weights")

    def provenance(self) -> dict:
        """Where, when and how the run was trained (for the book's notes)."""
        m = self.data["machine"]
        return {"cpu": m.get("cpu"), "device": m.get("device"), "precision": m.get("precision"),
                "finished_utc": m.get("finished_utc") or self.data["recorded_utc"], "partial": self.data["partial"]}


def _corrupt(path: Path, reason: str) -> CorruptEvidenceError:
    return CorruptEvidenceError(
        f"the evidence record {path} cannot be trusted: {reason}. Nothing was used from it. Restore it from git "
        f"(git checkout -- {path}), re-record its run from a run cache (python scripts/record.py ... --replace), "
        f"or delete it so that the run trains.")


def read_record(path: Path, root: Path | None = None, check_weights: bool = True) -> Record:
    """Read and check one record: its JSON, every required field and type, the schema, that its
    configuration hashes to the run it names, and (``check_weights``) its weights' SHA-256.

    Raises:
        CorruptEvidenceError: naming the file, what is wrong and the fix.
    """
    root = Path(root) if root is not None else evidence_dir()
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise _corrupt(path, f"it is not readable JSON ({type(error).__name__}: {error})") from None
    if not isinstance(data, dict):
        raise _corrupt(path, "it is not a JSON object")
    for key, kind in REQUIRED.items():
        if key not in data:
            raise _corrupt(path, f"the field {key!r} is missing")
        if not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool)):
            raise _corrupt(path, f"the field {key!r} has the wrong type ({type(data[key]).__name__})")
    if data["schema"] != SCHEMA:
        raise _corrupt(path, f"it has schema {data['schema']}, this library reads schema {SCHEMA}")
    try:
        config = RunConfig.from_dict(data["config"])
    except (ValueError, TypeError) as error:
        raise _corrupt(path, f"its configuration is not a valid RunConfig ({error})") from None
    if data["cache_version"] == CACHE_VERSION and run_name(config) != data["run"]:
        raise _corrupt(path, f"its configuration hashes to {run_name(config)}, not to the run {data['run']} it names")
    for entry in data["evaluations"]:
        if not (isinstance(entry, dict) and {"what", "settings", "values"} <= set(entry)):
            raise _corrupt(path, "an evaluation lacks 'what', 'settings' or 'values'")
    weights = data.get("weights")
    if weights is not None:
        if not (isinstance(weights, dict) and {"file", "sha256"} <= set(weights)):
            raise _corrupt(path, "its 'weights' entry lacks 'file' or 'sha256'")
        if check_weights:
            file = root / weights["file"]
            if not file.is_file():
                raise _corrupt(path, f"its weights file {file} is missing")
            if hashlib.sha256(file.read_bytes()).hexdigest() != weights["sha256"]:
                raise _corrupt(path, f"its weights file {file} does not match the SHA-256 in the record")
    return Record(data, Path(path))


@dataclass
class Lookup:
    """What the store holds for one cell: a usable record, a stale one (``stale``: it names
    another run than the current code trains), or nothing."""

    record: Record | None = None
    stale: Path | None = None
    stale_reason: str = ""


def lookup(study: str, profile: str, cell: tuple, config: RunConfig, root: Path | None = None) -> Lookup:
    """The store's record of ``cell`` of a study's grid if it is exactly ``config``'s run.

    Raises:
        CorruptEvidenceError: the record exists but cannot be trusted.
    """
    if mode() == "off":
        return Lookup()
    root = Path(root) if root is not None else evidence_dir()
    path = root / cell_file(study, profile, cell)
    if not path.is_file():
        return Lookup()
    record = read_record(path, root, check_weights=False)
    want = run_name(config)
    if record.data["cache_version"] != CACHE_VERSION or record.run != want:
        reason = (f"it holds the run {record.run} (cache version {record.data['cache_version']}); the current code "
                  f"trains {want} (cache version {CACHE_VERSION}) for this cell")
        return Lookup(stale=path, stale_reason=reason)
    return Lookup(record=record)


def evaluations_in_cache(cache_root: Path, config: RunConfig, model_sha256: str) -> list[dict]:
    """Every evaluation of ``config``'s run in the run cache that was computed from this model
    (its checksum) under this cache version, sorted by name."""
    folder = Path(cache_root) / "_evals" / run_name(config)
    out = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            stored = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        if stored.get("cache_version") != CACHE_VERSION or stored.get("model_sha256") != model_sha256:
            continue
        what = file.stem.rsplit("-", 1)[0] if "-" in file.stem else file.stem
        out.append({"what": what, "settings": stored.get("settings"), "values": stored["values"]})
    return out


def make_record(study: str, profile: str, cell: tuple, run, evaluations: list[dict], partial: bool = False,
                note: str = "") -> dict:
    """The record of a finished :class:`~vsc_lib.cache.TrainedRun` (its config, history and meta)
    with ``evaluations`` (see :func:`evaluations_in_cache`)."""
    meta, config = run.meta, run.config
    timing = block_timing(run.history) if run.history and "seconds" in run.history[-1] else {}
    return {
        "schema": SCHEMA, "study": study, "profile": profile, "cell": list(cell),
        "run": run_name(config), "config_hash": config_hash(config), "cache_version": CACHE_VERSION,
        "config": config.to_dict(),
        "code": {"fingerprint": meta.get("code_fingerprint") or code_fingerprint(), "commit": git_commit()},
        "machine": {"cpu": meta.get("cpu") or cpu_model(), "cpu_from": "training" if meta.get("cpu") else "recording",
                    "threads": meta.get("threads"), "device": meta.get("device"),
                    "precision": config.train.precision, "torch": (meta.get("versions") or {}).get("torch"),
                    "python": (meta.get("versions") or {}).get("python"), "finished_utc": meta.get("finished_utc")},
        # trained as one of a grouped model's members (vsc_lib.grouped): reproduced the same way
        "grouped_with": int(meta.get("grouped_with") or 1),
        "train_seconds": float(meta.get("train_seconds", 0.0)),
        "computation_seconds": timing.get("computation_seconds"),
        "history": run.history, "evaluations": evaluations, "model_sha256": meta.get("model_sha256", ""),
        "weights": None, "recorded_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "partial": partial, "note": note,
    }


@contextlib.contextmanager
def store_lock(root: Path):
    """The store's lock (a file lock under ``root``): writers of records, the classic-method
    records of :mod:`vsc_lib.sparse_study` included, hold it."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_record(record: dict, replace: bool = False, model=None,
                 root: Path | None = None) -> tuple[Path, dict | None]:
    """Write ``record`` (and ``model``'s weights, exported at float16 by
    :func:`vsc_lib.fit.export_model`) into the store, atomically and under the store's lock, so two
    processes recording one run cannot corrupt it.

    Returns:
        the record's path and the replaced record's summary (run, recorded time), or None.

    Raises:
        RecordExistsError: a record for the cell exists and ``replace`` is False.
    """
    root = Path(root) if root is not None else evidence_dir()
    path = root / cell_file(record["study"], record["profile"], tuple(record["cell"]))
    with store_lock(root):
        replaced = None
        if path.is_file():
            if not replace:
                raise RecordExistsError(f"{path} already holds a record for this cell; it is kept. "
                                        f"Pass --replace (replace=True) to replace it.")
            with contextlib.suppress(ValueError, OSError):
                old = json.loads(path.read_text())
                replaced = {"run": old.get("run"), "recorded_utc": old.get("recorded_utc")}
            replaced = replaced or {"run": "unreadable", "recorded_utc": None}
        if model is not None:
            file = Path("weights") / f"{record['run']}.vsc"
            export_model(model, root / file, overwrite=True, precision=WEIGHTS_DTYPE)
            payload = (root / file).read_bytes()
            record = dict(record, weights={"file": file.as_posix(), "sha256": hashlib.sha256(payload).hexdigest(),
                                           "dtype": WEIGHTS_DTYPE, "bytes": len(payload)})
        write_atomic(path, (json.dumps(record, indent=1, sort_keys=True, default=float) + "\n").encode())
    return path, replaced


def load_model(record: Record, root: Path | None = None):
    """The model stored with ``record`` (its file checked against the SHA-256 in the record), in
    eval mode on the CPU."""
    root = Path(root) if root is not None else evidence_dir()
    if record.weights is None:
        raise EvidenceError(f"{record.path} stores no weights: its run must be trained to be decoded.")
    file = root / record.weights["file"]
    try:
        payload = file.read_bytes()
    except OSError as error:
        raise _corrupt(record.path, f"its weights file {file} cannot be read ({error})") from None
    if hashlib.sha256(payload).hexdigest() != record.weights["sha256"]:
        raise _corrupt(record.path, f"its weights file {file} does not match the SHA-256 in the record")
    try:
        return load_exported(file)
    except ValueError as error:
        raise _corrupt(record.path, str(error)) from None


# ---------------------------------------------------------------------------------------------
# the whole store


def all_records(root: Path | None = None) -> list[Path]:
    root = Path(root) if root is not None else evidence_dir()
    return sorted(p for p in root.glob("*/*/*.json")) if root.is_dir() else []


def size_bytes(root: Path | None = None) -> int:
    """The store's size on disk (every file under it)."""
    root = Path(root) if root is not None else evidence_dir()
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def provenance_note(sources: dict, records: list[Record], what: str = "This table") -> str:
    """One sentence for the book: how many runs ``what`` shows, how many this build trained, how
    many came from the run cache and from the store, and where and when the stored ones were
    trained. ``sources`` maps each cell to ``"trained"``, ``"cache"`` or ``"store"``."""
    counts = {k: sum(1 for v in sources.values() if v == k) for k in ("trained", "cache", "store")}
    total = len(sources)
    if not total:
        return f"{what} shows no runs."
    parts = []
    if counts["trained"]:
        parts.append(f"{counts['trained']} trained by this build")
    if counts["cache"]:
        parts.append(f"{counts['cache']} from this machine's run cache")
    if counts["store"]:
        parts.append(f"{counts['store']} from the evidence store")
    text = f"{what} shows {total} run{'s' if total != 1 else ''}: " + ", ".join(parts) + "."
    if records:
        machines = {}
        for r in records:
            p = r.provenance()
            key = (p["cpu"], p["device"], p["precision"])
            dates = machines.setdefault(key, [])
            if p["finished_utc"]:
                dates.append(p["finished_utc"][:10])
        where = "; ".join(f"{cpu or 'an unrecorded CPU'} ({device}, {precision})"
                          + (f", {min(d)}" + (f" to {max(d)}" if max(d) != min(d) else "") if d else "")
                          for (cpu, device, precision), d in machines.items())
        partial = sum(1 for r in records if r.data["partial"])
        text += f" The stored runs were trained on {where}."
        if partial:
            text += (f" {partial} of them {'is a partial record' if partial == 1 else 'are partial records'}: "
                     f"rebuilt from the project's results files, without a training history of every block.")
    return text
