"""Your own data: fit, encode, export and load, the command line, and every bad-data error."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from vsc_lib import fit
from vsc_lib.config import DataConfig
from vsc_lib.paths import REPO_ROOT


def _data(seed=0, n=300, d=20):
    return np.random.default_rng(seed).random((n, d)).astype(np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One small VSC on :func:`_data`, shared by the tests that only read it."""
    return fit.fit(_data(), latent_dim=4, hidden_dim=16, epochs=1, cache=tmp_path_factory.mktemp("cache"), progress=False)


def test_fit_encode_reuses_the_cache_and_keeps_different_arrays_apart(tmp_path):
    x = _data()
    run = fit.fit(x, latent_dim=4, hidden_dim=16, epochs=1, alpha=0.2, cache=tmp_path, progress=False)
    assert run.config.data.dataset == "array" and run.config.model.likelihood == "bernoulli"
    codes = fit.encode(run, x)
    assert codes.shape == (300, 4) and np.isfinite(codes).all()
    again = fit.fit(x, latent_dim=4, hidden_dim=16, epochs=1, alpha=0.2, cache=tmp_path, progress=False)
    assert again.from_cache and again.path == run.path
    other = fit.fit(_data(seed=1), latent_dim=4, hidden_dim=16, epochs=1, alpha=0.2, cache=tmp_path, progress=False)
    assert not other.from_cache and other.path != run.path
    assert other.config.data.data_hash != run.config.data.data_hash


def test_real_values_get_the_gaussian_likelihood_and_images_keep_their_shape(tmp_path):
    real = np.random.default_rng(0).normal(size=(200, 3, 8)).astype(np.float32)
    run = fit.fit(real, kind="vae", latent_dim=2, hidden_dim=8, epochs=1, cache=tmp_path, progress=False)
    assert run.config.model.likelihood == "gaussian" and run.model.input_shape == (3, 8)
    assert fit.encode(run, real).shape == (200, 2)


def test_export_and_load_give_the_same_codes_without_unpickling(trained, tmp_path):
    x, run = _data(), trained
    path = fit.export_model(run, tmp_path / "model.vsc")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["model.json", "weights.npz"]
    loaded = fit.load_model(path)
    assert np.array_equal(fit.encode(loaded, x), fit.encode(run, x))
    with pytest.raises(FileExistsError, match="not overwritten"):
        fit.export_model(run, path)
    path.write_bytes(path.read_bytes()[:100])  # damaged
    with pytest.raises(ValueError, match="not a readable exported vsc_lib model"):
        fit.load_model(path)


@pytest.mark.parametrize(("make", "message"), [
    (lambda x: x[:, :10], r"x has examples of shape \(10,\), but the model was trained on examples of shape \(20,\)"),
    (lambda x: np.where(np.arange(20) == 3, np.nan, x), "x has NaN values in 300 example"),
    (lambda x: np.where(np.arange(20) == 3, np.inf, x), "x has infinite values"),
    (lambda x: np.where(np.arange(20) == 0, 0.0, 2.0) * np.ones_like(x),
     r"values in \[0, 2\], but likelihood='bernoulli' models values in \[0, 1\]: rescale"),
    (lambda x: x[:0], "x holds no examples"),
    (lambda x: x.astype(str), "x has dtype <U.* which is not numeric"),
    (lambda x: x[0], "x has shape \\(20,\\): it needs one row per example"),
    (lambda x: [[1.0, 2.0], [3.0]], "x could not be read as an array"),
])
def test_bad_data_gets_a_clear_error_at_the_boundary(trained, make, message):
    with pytest.raises(fit.DataError, match=message):
        fit.encode(trained, make(_data()))


def test_bad_training_data_and_labels_are_refused_before_training(tmp_path):
    x = _data()
    with pytest.raises(fit.DataError, match="labels has shape \\(299,\\), but the data has 300 examples"):
        fit.fit(x, labels=np.zeros(299, dtype=int), cache=tmp_path, progress=False)
    with pytest.raises(fit.DataError, match="labels must be integers"):
        fit.fit(x, labels=np.zeros(300), cache=tmp_path, progress=False)
    with pytest.raises(fit.DataError, match="x_test has examples of shape"):
        fit.fit(x, x_test=x[:, :5], cache=tmp_path, progress=False)
    with pytest.raises(fit.DataError, match="all zeros"):
        fit.fit(np.zeros((10, 4)), likelihood="normalised_gaussian", cache=tmp_path, progress=False)
    with pytest.raises(ValueError, match="alpha=2.0 is out of range"):
        fit.fit(x, alpha=2.0, cache=tmp_path, progress=False)
    assert not any(tmp_path.iterdir())  # nothing was trained


def test_array_runs_name_their_data():
    with pytest.raises(ValueError, match="dataset='array' needs data_hash"):
        DataConfig("array")
    with pytest.raises(ValueError, match="data_hash and input_shape describe a user array"):
        DataConfig("mnist", data_hash="0" * 64)
    assert DataConfig("array", data_hash="a" * 64, input_shape=[3, 4]).input_shape == (3, 4)  # from JSON
    assert fit.data_hash(torch.zeros(2, 3)) != fit.data_hash(torch.zeros(3, 2))


@pytest.mark.slow
def test_command_line_fits_and_encodes_a_npy_file(tmp_path):
    x = _data()
    np.save(tmp_path / "data.npy", x)
    env = {"VSC_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "vsc_lib", *args], capture_output=True, text=True, cwd=REPO_ROOT,
                              env=env)

    done = cli("fit", str(tmp_path / "data.npy"), "--out", str(tmp_path / "m.vsc"), "--latent-dim", "4",
               "--hidden-dim", "16", "--epochs", "1", "--alpha", "0.2")
    assert done.returncode == 0, done.stderr
    done = cli("encode", str(tmp_path / "m.vsc"), str(tmp_path / "data.npy"), "--out", str(tmp_path / "codes.npy"))
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "codes.npy").shape == (300, 4)
    bad = cli("encode", str(tmp_path / "m.vsc"), str(tmp_path / "missing.npy"), "--out", str(tmp_path / "c.npy"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: no such file")
    np.save(tmp_path / "wide.npy", np.hstack([x, x]))
    bad = cli("encode", str(tmp_path / "m.vsc"), str(tmp_path / "wide.npy"), "--out", str(tmp_path / "c.npy"))
    assert bad.returncode == 2 and "trained on examples of shape (20,)" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_the_readme_example_runs(tmp_path, monkeypatch):
    text = (REPO_ROOT / "docs" / "library.md").read_text()
    block = text.split("## Your own data", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("VSC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/library.md", "exec"), {})  # noqa: S102 - the documented example
    assert (tmp_path / "model.vsc").is_file()


def test_an_installed_package_keeps_data_and_runs_outside_site_packages(tmp_path, monkeypatch):
    from vsc_lib import paths

    monkeypatch.delenv("VSC_DATA_DIR", raising=False)
    monkeypatch.delenv("VSC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.in_checkout() and paths.cache_dir() == REPO_ROOT / ".cache" / "runs"
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "venv" / "lib" / "python3.11" / "site-packages")
    assert not paths.in_checkout()
    assert paths.cache_dir() == tmp_path / "xdg" / "vsc_lib" / "runs"
    assert paths.data_dir() == tmp_path / "xdg" / "vsc_lib" / "data"
    monkeypatch.setenv("VSC_CACHE_DIR", str(tmp_path / "mine"))
    assert paths.cache_dir() == tmp_path / "mine"


@pytest.mark.slow
def test_a_non_editable_install_works_outside_the_checkout(tmp_path):
    """pip-install the package (not editable) into a folder, then, from elsewhere, import it from
    there, list the datasets and fit a random array: data and cache land under XDG_CACHE_HOME."""
    import shutil
    import subprocess
    import sys

    source, target = tmp_path / "source", tmp_path / "site"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(REPO_ROOT / "vsc_lib", source / "vsc_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", source)
    build = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                            "--target", str(target), str(source)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    script = ("import sys\n"  # this environment's editable install of the checkout must not answer imports
              "sys.meta_path = [f for f in sys.meta_path if 'editable' not in type(f).__module__]\n"
              "import numpy as np, vsc_lib, vsc_lib.paths as p\n"
              "from vsc_lib import datasets, fit\n"
              "print(vsc_lib.__file__, p.in_checkout(), datasets.names())\n"
              "run = fit.fit(np.random.default_rng(0).random((64, 6)).astype('float32'), latent_dim=2, epochs=1, "
              "progress=False)\n"
              "print(run.path)\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(target), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    first, second = out.stdout.strip().splitlines()[-2:]
    assert first.startswith(str(target / "vsc_lib")) and " False " in first and "'array'" in first
    assert second.startswith(str(tmp_path / "xdg" / "vsc_lib" / "runs"))


def test_fits_vsc_default_finds_every_source_where_the_old_default_starved(tmp_path):
    """Issue 31's failure, small: 8 known atoms, 2 on per example, J = 16. The earlier default
    (alpha = 0.01, no usage term) leaves dimensions unused; the default now finds every atom."""
    from vsc_lib import atoms, metrics, sparse_coding

    setting = atoms.AtomsSetting(8, 2)
    train, test = atoms.generate(8000, 1, setting), atoms.generate(1000, 2, setting)

    def score(**options):
        run = fit.fit(train.x, latent_dim=16, hidden_dim=100, epochs=12, seed=0, cache=tmp_path, progress=False,
                      **options)
        on = metrics.encode_dataset(run.model, torch.as_tensor(test.x)).spike_prob.numpy() > 0.5
        return sparse_coding.dims_used(on), sparse_coding.on_per_example(on), sparse_coding.support_f1(on, test.support)

    old_used, _, old_f1 = score(alpha=0.01, usage_weight=0.0)
    used, per_example, f1 = score()
    assert used >= 8 and abs(per_example - 2) <= 1 and f1 > 0.8
    assert old_used < 8 and old_f1 < f1
