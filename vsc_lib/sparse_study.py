"""Chapter 9's study: does VSC do sparse coding? VSC's code of data with known atoms
(:mod:`vsc_lib.atoms`) against the classic methods a user would pick instead
(:func:`vsc_lib.sparse_coding.classic_codes`), through one set of measures.

- :func:`code_evaluation`: a trained run's code of the test examples, measured
  (:meth:`~vsc_lib.sparse_coding.CodeResult.measures`), with the F1 of every atom and, for VSC,
  what its decoder draws for each atom's matched dimension; cached with the run (evaluation
  ``sparse``) and recorded in the evidence store with it.
- :func:`classic_evaluation`: dictionary learning (OMP, lasso), OMP on the true atoms and PCA on
  one setting and seed. These are not runs of the run cache, so they have records of their own:
  ``<cache>/_classic/<name>.json`` on this machine and ``evidence/classic/<name>.json`` in the
  store, each keyed by every setting that changes the result (a record with other settings is
  stale: named, never used).
- :func:`encoding_speed`: examples per second of one VSC forward pass against OMP, measured side
  by side in one process (the cost does not depend on the trained values, so it is measured on
  freshly built models and dictionaries of the trained ones' sizes).
- :func:`sparse_goal`: the verdict of issue 31's goal on a setting, from the seeds' values.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from . import atoms, evidence, metrics, sparse_coding, stats
from .cache import cached_evaluation
from .config import ModelConfig
from .models import build_model
from .paths import cache_dir, write_atomic
from .provenance import code_fingerprint, cpu_model, git_commit
from .training import load_run_data

#: bump when classic_evaluation computes something else (its stored records become stale)
CLASSIC_VERSION = 2
#: the classic methods' settings (vsc_lib.sparse_coding.classic_codes)
LASSO_ALPHA, DL_ITERATIONS = 0.1, 20
#: how images are stored with evaluations and records (they are only drawn): per image, int8 of
#: its values over its largest magnitude, base64 (:func:`pack_images`)
IMAGE_FORMAT = "int8-base64"
CLASSIC_SCHEMA = 1


def _split_truth(dataset: str, split: str, num: int | None) -> atoms.AtomsData:
    if dataset not in atoms.SETTINGS:
        raise ValueError(f"{dataset!r} has no known atoms; use one of {', '.join(atoms.SETTINGS)}.")
    data = atoms.load(dataset, split)
    n = len(data.x) if num is None else num
    return atoms.AtomsData(data.x[:n], data.support[:n], data.coefficients[:n], data.atoms)


def model_code(model, x: torch.Tensor) -> sparse_coding.CodeResult:
    """A model's code of ``x``: VSC's gated slab means, on where the spike is (pi > 0.5); a dense
    model's means, "on" where a dimension is beyond one standard deviation (as for PCA)."""
    began = time.perf_counter()
    codes = metrics.latent_codes(model, x).numpy()
    seconds = time.perf_counter() - began
    if model.has_spikes:
        on = metrics.encode_dataset(model, x).spike_prob.numpy() > 0.5
    else:
        on = np.abs(codes) > codes.std(0, keepdims=True)
    with torch.no_grad():
        recon = torch.cat([model.reconstruct(b.to(model.device)).cpu() for b in x.split(1000)]).numpy()
    return sparse_coding.CodeResult("model", codes, on, recon, seconds)


def pack_images(images) -> dict:
    """Images (N, H, W) as a small JSON value: each scaled by its largest magnitude to int8, the
    bytes in base64, with the scales (:func:`unpack_images` inverts it to within 1/127 of each
    image's peak)."""
    images = np.asarray(images, dtype=np.float64)
    peak = np.abs(images.reshape(len(images), -1)).max(1) if len(images) else np.zeros(0)
    scale = np.where(peak > 0, peak, 1.0)
    q = np.round(127 * images / scale.reshape(-1, *([1] * (images.ndim - 1)))).astype(np.int8)
    return {"format": IMAGE_FORMAT, "shape": list(images.shape), "scale": [float(v) for v in scale],
            "data": base64.b64encode(q.tobytes()).decode("ascii")}


def unpack_images(packed: dict) -> np.ndarray:
    """The images of :func:`pack_images` (a clear error for anything else)."""
    if not isinstance(packed, dict) or packed.get("format") != IMAGE_FORMAT:
        raise ValueError(f"not images packed as {IMAGE_FORMAT} (an evaluation from older code?); evaluate again.")
    q = np.frombuffer(base64.b64decode(packed["data"]), dtype=np.int8).astype(np.float64)
    images = q.reshape(packed["shape"]) / 127
    return images * np.asarray(packed["scale"]).reshape(-1, *([1] * (images.ndim - 1)))


def dimension_images(model, codes: np.ndarray, on: np.ndarray, dims) -> np.ndarray:
    """What VSC's decoder draws for each of ``dims`` alone: the decoded mean with only that
    dimension on, at its median value over the examples where it is on, minus the decoded mean
    with every dimension off. (len(dims), H, W)."""
    J = codes.shape[1]
    z = torch.zeros(len(dims) + 1, J)
    for row, j in enumerate(dims):
        values = codes[on[:, j], j]
        z[row, j] = float(np.median(values)) if len(values) else 0.0
    with torch.no_grad():
        images = model.output_image(model.decode(z.to(model.device))).cpu().numpy()
    return (images[:-1] - images[-1:]).reshape(len(dims), *images.shape[-2:])


def code_evaluation(run, grid, split: str = "test") -> dict:
    """The sparse-coding measures of a trained run's code of its ``split`` examples (``"test"``,
    or ``"validation"``: the examples after the grid's training ones, that choices are made on),
    cached as evaluation ``sparse``: support F1, dimensions used, on per example, coefficient
    correlation, reconstruction MSE, encoding examples/s, the F1 of each atom, each atom's matched
    dimension and (VSC) the decoder's image of it."""
    settings = code_settings(grid, split)

    def compute() -> dict:
        if split == "test":
            _, test = load_run_data(run.config)
            x, truth = test.x, _split_truth(run.config.data.dataset, "test", len(test))
        else:
            truth = _split_truth(run.config.data.dataset, "validation", grid.num_validation or None)
            x = torch.from_numpy(truth.x)
        model = run.model
        result = model_code(model, x)
        out = result.measures(x.numpy(), truth.support, truth.coefficients)
        best, f1 = sparse_coding.match_atoms(result.on, truth.support)
        out.update(atom_f1=[round(float(v), 4) for v in f1], matched_dims=[int(j) for j in best],
                   M=int(truth.support.shape[1]), k=float(truth.support.sum(1).mean()))
        if model.has_spikes and split == "test":
            images = dimension_images(model, result.codes, result.on, best.tolist())
            out["matched_images"] = pack_images(images)
        return out

    return cached_evaluation(run, "sparse", settings, compute)


def code_settings(grid, split: str = "test") -> dict:
    """The settings of :func:`code_evaluation` (a stored evaluation with others is not reused)."""
    if split == "test":
        return {"split": "test", "num_test": grid.num_test, "used_share": sparse_coding.USED_SHARE,
                "images": IMAGE_FORMAT}
    if split == "validation":
        if not grid.num_validation:
            raise ValueError(f"grid {grid.name!r} holds no validation examples out (num_validation=0).")
        return {"split": "validation", "num_validation": grid.num_validation, "used_share": sparse_coding.USED_SHARE}
    raise ValueError(f"split {split!r}: use 'test' or 'validation'.")


def choose_variant(scores: dict[str, list[float]]) -> str:
    """The variant with the highest mean score (``scores[variant]``: one value per setting, read
    on validation examples); a tie goes to the variant named first."""
    if not scores:
        raise ValueError("choose_variant needs at least one variant's scores.")
    return max(scores, key=lambda v: (float(np.mean(scores[v])), -list(scores).index(v)))


def edge_note(name: str, value: float, tried) -> str:
    """A sentence when ``value`` (the chosen ``name``) is the largest or the smallest value tried
    (a better one may lie beyond the grid), else an empty string. A weight of 0 is no edge: the
    term cannot be weighted below nothing."""
    tried = sorted(set(tried))
    if len(tried) < 2:
        return ""
    if value == tried[-1]:
        return f" The chosen {name} is the largest tried: a larger one was not tried and might be better."
    if value == tried[0] and value != 0:
        return f" The chosen {name} is the smallest tried: a smaller one was not tried and might be better."
    return ""


def choice_reading(chosen: str, default: str, scores: dict[str, list[float]], label) -> str:
    """The choice on the validation examples in words, and whether it is fit's default."""
    mean = float(np.mean(scores[chosen]))
    text = (f"On the validation examples the variant with the highest support F1 (averaged over the two settings) "
            f"is {label(chosen)}, at {mean:.3f}.")
    if chosen == default:
        return text + " That is `fit`'s default."
    other = float(np.mean(scores[default])) if default in scores else float("nan")
    return text + (f" `fit`'s default ({label(default)}) scores {other:.3f} there: it is **not** the variant the "
                   "validation examples choose.")


# ---------------------------------------------------------------------------------------------
# the classic methods' records


def classic_settings(dataset: str, seed: int, num_components: int, num_train: int, num_test: int | None,
                     dl_iterations: int = DL_ITERATIONS) -> dict:
    """Everything that changes classic_evaluation's result (the key of its records)."""
    import sklearn

    setting = atoms.SETTINGS.get(dataset)
    if setting is None:
        raise ValueError(f"{dataset!r} has no known atoms; use one of {', '.join(atoms.SETTINGS)}.")
    return {"dataset": dataset, "seed": seed, "num_components": num_components, "num_train": num_train,
            "num_test": num_test, "k": setting.k, "lasso_alpha": LASSO_ALPHA, "dl_iterations": dl_iterations,
            "sklearn": ".".join(sklearn.__version__.split(".")[:2]), "version": CLASSIC_VERSION}


def classic_name(settings: dict) -> str:
    return (f"{settings['dataset']}_c{settings['num_components']}_n{settings['num_train']}"
            f"_i{settings['dl_iterations']}_s{settings['seed']}")


def _key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def classic_store_file(settings: dict, root: Path | None = None) -> Path:
    root = Path(root) if root is not None else evidence.evidence_dir()
    return root / "classic" / f"{classic_name(settings)}.json"


def read_classic(path: Path) -> dict:
    """A classic record, checked (JSON, fields, its key matching its settings); a clear error
    naming the file otherwise."""
    def corrupt(reason: str) -> evidence.CorruptEvidenceError:
        return evidence.CorruptEvidenceError(
            f"the classic-method record {path} cannot be trusted: {reason}. Nothing was used from it. Restore it "
            f"from git (git checkout -- {path}) or delete it so that it is computed again "
            "(python scripts/train_sparse.py records it).")

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise corrupt(f"it is not readable JSON ({error})") from None
    if not isinstance(data, dict):
        raise corrupt("it is not a JSON object")
    for name, kind in (("schema", int), ("settings", dict), ("key", str), ("values", dict), ("machine", dict)):
        if not isinstance(data.get(name), kind):
            raise corrupt(f"its field {name!r} is missing or not a {kind.__name__}")
    if data["schema"] != CLASSIC_SCHEMA:
        raise corrupt(f"it has schema {data['schema']}, this code reads {CLASSIC_SCHEMA}")
    if _key(data["settings"]) != data["key"]:
        raise corrupt("its settings do not hash to its key (edited by hand?)")
    return data


def _compute_classic(settings: dict) -> dict:
    dataset, seed, n = settings["dataset"], settings["seed"], settings["num_components"]
    train = _split_truth(dataset, "train", settings["num_train"])
    test = _split_truth(dataset, "test", settings["num_test"])
    results = sparse_coding.classic_codes(train.x, test.x, train.atoms, settings["k"], n, seed=seed,
                                          lasso_alpha=settings["lasso_alpha"], iterations=settings["dl_iterations"])
    out = {}
    for result in results:
        values = result.measures(test.x, test.support, test.coefficients)
        best, f1 = sparse_coding.match_atoms(result.on, test.support)
        values["atom_f1"] = [round(float(v), 4) for v in f1]
        if result.method.startswith("dictionary learning + OMP") and result.dictionary is not None:
            side = atoms.SIDE
            values["matched_images"] = pack_images(result.dictionary[best].reshape(len(best), side, side))
        out[result.method] = values
    return out


def classic_evaluation(dataset: str, seed: int, num_components: int, num_train: int, num_test: int | None = None,
                       dl_iterations: int = DL_ITERATIONS, record: bool = False, replace: bool = False) -> dict:
    """The classic methods' measures on one atoms setting and seed: ``{method: measures}`` (the
    dictionary learner's DL + OMP also with its matched atoms' images). Read from this machine's
    cache, else the evidence store, else computed (tens of seconds) and cached; ``record=True``
    also writes the store's record (atomically; an existing one only with ``replace=True``).

    A stored record with other settings is stale: it is named and not used (with
    ``VSC_EVIDENCE=only`` that is an error instead of a computation)."""
    settings = classic_settings(dataset, seed, num_components, num_train, num_test, dl_iterations)
    key, name = _key(settings), classic_name(settings)
    local = cache_dir() / "_classic" / f"{name}.json"
    found, source = None, "cache"
    if local.is_file():
        try:
            data = read_classic(local)
            found = data if data["key"] == key else None
        except evidence.CorruptEvidenceError as error:  # derived data on this machine: computed again
            print(f"[classic] {error}")
    mode = evidence.mode()
    stored = classic_store_file(settings)
    if found is None and mode != "off" and stored.is_file():
        data = read_classic(stored)
        if data["key"] == key:
            found, source = data, "store"
        else:
            message = (f"stale classic-method record {stored}: it was computed with {data['settings']}, the current "
                       f"code asks for {settings}")
            if mode == "only":
                raise evidence.StaleEvidenceError(message + "; VSC_EVIDENCE=only forbids computing it.")
            print(f"[evidence] {message}. It is not used; it is computed again.")
    if found is None:
        if mode == "only":
            raise evidence.StaleEvidenceError(f"no classic-method record {stored} for {settings}; "
                                              "VSC_EVIDENCE=only forbids computing it.")
        began, source = time.perf_counter(), "computed"
        values = _compute_classic(settings)
        found = {"schema": CLASSIC_SCHEMA, "settings": settings, "key": key, "values": values,
                 "seconds": time.perf_counter() - began,
                 "machine": {"cpu": cpu_model(), "threads": torch.get_num_threads(),
                             "finished_utc": datetime.now(UTC).isoformat(timespec="seconds")},
                 "code": {"fingerprint": code_fingerprint(), "commit": git_commit()}}
        write_atomic(local, (json.dumps(found, indent=1, sort_keys=True) + "\n").encode())
    if record:
        with evidence.store_lock(stored.parent.parent):
            if stored.is_file() and not replace:
                data = read_classic(stored)
                if data["key"] != key:
                    raise evidence.RecordExistsError(f"{stored} holds a record with other settings; it is kept. "
                                                     "Pass replace=True (--replace) to replace it.")
            else:
                write_atomic(stored, (json.dumps(found, indent=1, sort_keys=True) + "\n").encode())
    return found["values"] | {"_source": source, "_machine": found["machine"]}


def check_classic(root: Path | None = None) -> list[str]:
    """Problems with the store's classic-method records (unreadable, or stale against the
    current code's settings for the same name)."""
    root = Path(root) if root is not None else evidence.evidence_dir()
    problems = []
    for path in sorted((root / "classic").glob("*.json")):
        try:
            data = read_classic(path)
        except evidence.CorruptEvidenceError as error:
            problems.append(str(error))
            continue
        s = data["settings"]
        try:
            want = classic_settings(s["dataset"], s["seed"], s["num_components"], s["num_train"], s["num_test"],
                                    s["dl_iterations"])
        except (KeyError, ValueError) as error:
            problems.append(f"{path}: its settings cannot be checked ({error}); delete it")
            continue
        if _key(want) != data["key"]:
            problems.append(f"{path} is stale: it was computed with {s}, the current code computes {want}; "
                            "compute it again (python scripts/train_sparse.py --replace) or delete it")
        elif path.name != f"{classic_name(want)}.json":
            problems.append(f"{path}: its settings belong in {classic_name(want)}.json")
    return problems


# ---------------------------------------------------------------------------------------------
# encoding speed and the verdict


def encoding_speed(input_dim: int, latent_dim: int, num_atoms: int, k: int, hidden_dim: int = 400,
                   num: int = 2000, repeats: int = 3, seed: int = 0) -> dict:
    """Examples per second of encoding ``num`` examples: one forward pass of a VSC encoder of the
    given size (batches of 1,000) against OMP with ``k`` non-zeros over ``num_atoms`` unit-norm
    atoms (scikit-learn's SparseCoder), in this process, best of ``repeats``; and their ratio."""
    from sklearn.decomposition import SparseCoder

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((num, input_dim)).astype(np.float32)
    model = build_model(ModelConfig(kind="vsc", latent_dim=latent_dim, hidden_dim=hidden_dim, likelihood="gaussian"),
                        (input_dim,))
    dictionary = rng.standard_normal((num_atoms, input_dim))
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    coder = SparseCoder(dictionary, transform_algorithm="omp", transform_n_nonzero_coefs=k)
    tensor = torch.from_numpy(x)

    def best(work) -> float:
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            work()
            times.append(time.perf_counter() - began)
        return num / min(times)

    vsc = best(lambda: metrics.latent_codes(model, tensor))
    omp = best(lambda: coder.transform(x.astype(np.float64)))
    return {"vsc": vsc, "omp": omp, "ratio": vsc / omp, "threads": torch.get_num_threads(),
            "cpu": cpu_model(), "examples": num}


@dataclass(frozen=True)
class GoalCheck:
    """Issue 31's goal on one setting: support F1 at least dictionary learning's, at least M
    dimensions used on every seed, on per example within 1 of k on every seed."""

    f1: stats.Comparison
    dims_ok: bool
    on_ok: bool
    verdict: str  # "met", "missed" or "not settled" (the F1 interval includes VSC below dictionary learning)

    def sentence(self, what: str = "The goal") -> str:
        """``"<what>: met. <the F1 comparison> <the counts>"``."""
        parts = [self.f1.sentence("VSC", "dictionary learning with OMP", "support F1"),
                 "It used at least M dimensions on every seed." if self.dims_ok else
                 "It used fewer than M dimensions on at least one seed.",
                 "It switched on within one of k dimensions per example on every seed." if self.on_ok else
                 "On at least one seed it switched on more than one dimension more or fewer than k per example."]
        return f"{what}: {self.verdict}. " + " ".join(parts)


def sparse_goal(vsc_f1, dl_f1, dims_used, on_per_example, M: int, k: float) -> GoalCheck:
    """Read the goal from the seeds' values (VSC's F1, dictionary learning's F1, VSC's dimensions
    used and on per example). The F1 comparison is two-sided (Welch): "met" needs VSC above
    dictionary learning (the whole interval of the difference above 0) and both counts right on
    every seed; VSC below, or a count wrong on any seed, misses it; otherwise (no difference
    either way, or fewer than 3 seeds on a side) it is not settled."""
    comparison = stats.compare(vsc_f1, dl_f1)
    dims_ok = len(dims_used) > 0 and all(d >= M for d in dims_used)
    on_ok = len(on_per_example) > 0 and all(abs(v - k) <= 1 for v in on_per_example)
    if comparison.decision == stats.BELOW or not (dims_ok and on_ok):
        verdict = "missed"
    elif comparison.decision == stats.ABOVE:
        verdict = "met"
    else:
        verdict = "not settled"
    return GoalCheck(comparison, dims_ok, on_ok, verdict)


def history_dims_used(run) -> list[float]:
    """Dimensions used on the test examples after every epoch (the starvation curve); empty for a
    history from before the measure existed."""
    return [float(row["test_dims_used"]) for row in run.history if row.get("test_dims_used") is not None]



# ---------------------------------------------------------------------------------------------
# the chapter's tables

#: the measures the chapter tabulates: (column title, decimals)
MEASURES = {"support_f1": ("support F1", 2), "dims_used": ("dimensions used", 1),
            "on_per_example": ("on per example", 2), "coef_corr": ("coefficient |corr|", 2),
            "recon_mse": ("reconstruction MSE", 4)}
#: the classic methods, in the chapter's order
CLASSIC_METHODS = ("dictionary learning + OMP", "dictionary learning + lasso", "OMP on the true atoms (oracle)", "PCA")


def gather_codes(grid, cells, load) -> dict:
    """``{cell: code evaluation}`` for ``cells`` of ``grid``, each run from ``load(grid, cell)``
    (:func:`vsc_lib.stored_runs.load_cell`)."""
    return {cell: code_evaluation(load(grid, cell), grid) for cell in cells}


def gather_classic(grid, sizes: dict[str, list[int]], dl_iterations: int = DL_ITERATIONS) -> dict:
    """``{(dataset, num_components, seed): {method: measures}}`` for every dataset and seed of
    ``grid`` and the component counts ``sizes[dataset]``."""
    return {(d, n, s): classic_evaluation(d, s, n, grid.num_train, grid.num_test, dl_iterations=dl_iterations)
            for d in grid.datasets for n in sizes[d] for s in grid.seeds}


def summary_table(rows: dict[tuple[str, str], list[dict]]):
    """A table with one row per (setting, method) and one column per :data:`MEASURES` entry, each
    cell the mean with its 95 % interval over the seeds' values (``rows[(setting, method)]`` is
    one measures dict per seed)."""
    import pandas as pd

    out = {}
    for key, values in rows.items():
        out[key] = {title: stats.interval([v[m] for v in values]).format(digits)
                    for m, (title, digits) in MEASURES.items()}
    frame = pd.DataFrame(out).T
    frame.index.names = ["setting", "method"]
    return frame


def for_display(images) -> np.ndarray:
    """Atom images (an array, or as packed by :func:`pack_images`) scaled for drawing on [0, 1]:
    each turned so that its largest magnitude is positive (a dictionary atom's sign is arbitrary),
    divided by that magnitude, clipped at 0."""
    images = unpack_images(images) if isinstance(images, dict) else np.asarray(images, dtype=np.float64)
    flat = images.reshape(len(images), -1)
    peak = flat[np.arange(len(flat)), np.abs(flat).argmax(1)]
    scale = np.where(np.abs(peak) > 0, peak, 1.0)
    return np.clip(images / scale.reshape(-1, *([1] * (images.ndim - 1))), 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# the chapter's sentences (each outcome tested in tests/test_sparse_study.py)


def classic_provenance(results: list[dict]) -> str:
    """Where the classic methods' results came from: computed by this build, this machine's
    cache, or the evidence store (with the machines and dates that computed the stored ones)."""
    if not results:
        return "No classic-method result is shown."
    counts = {k: sum(1 for r in results if r["_source"] == k) for k in ("computed", "cache", "store")}
    names = {"computed": "computed by this build", "cache": "from this machine's cache",
             "store": "from the evidence store"}
    parts = [f"{n} {names[k]}" for k, n in counts.items() if n]
    text = f"The classic methods' {len(results)} results (one per setting, seed and dictionary size): " + \
        ", ".join(parts) + "."
    stored = [r["_machine"] for r in results if r["_source"] == "store"]
    if stored:
        cpus = sorted({m.get("cpu") or "an unrecorded CPU" for m in stored})
        dates = sorted(m["finished_utc"][:10] for m in stored if m.get("finished_utc"))
        when = f", {dates[0]}" + (f" to {dates[-1]}" if dates[-1] != dates[0] else "") if dates else ""
        text += f" The stored ones were computed on {', '.join(cpus)}{when}."
    return text


def k_reading(ks: list[int], f1: dict, datasets: list[str]) -> str:
    """VSC against dictionary learning with OMP at each k (two-sided), and the slope of VSC's
    F1 over k with its interval. ``f1[dataset] = (VSC's F1 per seed, dictionary learning's)``."""
    lines = []
    for k, d in zip(ks, datasets, strict=True):
        vsc, dl = f1[d]
        lines.append(f"k = {k}: " + stats.compare(vsc, dl).sentence("VSC", "dictionary learning", "support F1"))
    x = [k for k, d in zip(ks, datasets, strict=True) for _ in f1[d][0]]
    y = [v for d in datasets for v in f1[d][0]]
    if len(set(ks)) >= 2 and len(y) >= 3:
        t = stats.trend(x, y)
        lines.append(f"Over k, VSC's support F1 {t.decision} ({t.slope:+.3f} per atom more on, 95 % interval "
                     f"[{t.low:+.3f}, {t.high:+.3f}]).")
    return "\n\n".join(lines)


def starvation_reading(curves: dict[str, tuple[list, list, int]]) -> str:
    """Dimensions used after the first epoch and at the end of training, per seed, by fit's default
    and its earlier default against M; ``curves[setting] = (the default's per-epoch counts per
    seed, the earlier default's, M)``."""
    def counts(values):
        return ", ".join(f"{v:g}" for v in values)

    lines = []
    for setting, (now, before, M) in curves.items():
        now, before = [c for c in now if len(c)], [c for c in before if len(c)]
        if not now or not before:
            lines.append(f"{setting}: no per-epoch counts in these runs' histories.")
            continue
        starved = sum(1 for c in before if c[-1] < M)
        full = sum(1 for c in now if c[-1] >= M)
        lines.append(f"{setting}: after the first epoch the earlier default used {counts(c[0] for c in before)} "
                     f"dimensions (seed by seed) and at the end {counts(c[-1] for c in before)}, fewer than the {M} "
                     f"atoms on {starved} of {len(before)} seeds; the default used {counts(c[0] for c in now)} after "
                     f"the first epoch and {counts(c[-1] for c in now)} at the end, at least {M} on {full} of "
                     f"{len(now)} seeds.")
    return "\n\n".join(lines)


def speed_sentence(speed: dict, k: int) -> str:
    """The encoding speeds measured by :func:`encoding_speed`, as a sentence."""
    faster = speed["ratio"] >= 1
    ratio = speed["ratio"] if faster else 1 / speed["ratio"]
    return (f"Encoding {speed['examples']:,} examples on {speed['threads']} thread(s) of {speed['cpu']}: VSC's "
            f"encoder (one forward pass) {speed['vsc']:,.0f} examples per second, OMP with {k} non-zeros per "
            f"example {speed['omp']:,.0f}; VSC is {ratio:.1f} times {'faster' if faster else 'slower'}.")
