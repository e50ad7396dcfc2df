"""The dataset registry and the integrity toolkit: every registered dataset describes itself
consistently, a new dataset is one registration, and bad files get clear errors."""

from __future__ import annotations

import pickle

import pytest
import torch

from vsc_lib import datasets
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.datasets import Dataset, Split
from vsc_lib.integrity import AllowListUnpickler, DataIntegrityError, DataSourceError, digest, file_digest, verify
from vsc_lib.training import train


def test_the_registry_holds_the_books_datasets_and_the_user_array():
    assert datasets.names() == ("mnist", "fashion_mnist", "smiley", "har", "array", "atoms", "atoms-m24-k3", "atoms-k1",
                                "atoms-k3", "atoms-k4")
    assert datasets.get("har").likelihoods == ("gaussian",)
    assert datasets.get("mnist").likelihoods == ("bernoulli", "normalised_gaussian")
    assert datasets.get("smiley").has_factors and not datasets.get("mnist").has_factors
    assert not datasets.get("array").stored and datasets.get("array").input_shape is None


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "smiley", "har", "atoms", "atoms-m24-k3"])
def test_each_stored_dataset_loads_as_it_describes_itself(name):
    spec = datasets.get(name)
    split = spec.load("test", subset=50)
    assert split.x.shape == (50, *spec.input_shape) and split.x.dtype == torch.float32
    assert split.y.dtype == torch.int64 and 0 <= int(split.y.min()) and int(split.y.max()) < len(spec.classes)
    if spec.values == "pixels":
        assert float(split.x.min()) >= 0.0 and float(split.x.max()) <= 1.0
    if spec.has_factors:
        assert split.factors.shape == (50, len(spec.factor_names))
    else:
        assert split.factors is None


def test_unknown_dataset_names_the_registered_ones():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; available datasets: mnist, fashion_mnist, smiley, "
                                         "har, array"):
        datasets.get("cifar")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        DataConfig("cifar")


def test_a_user_array_is_not_loaded_by_name():
    with pytest.raises(ValueError, match="not stored anywhere: pass the data"):
        datasets.get("array").load("train")


def test_a_dataset_describes_its_values_and_is_registered_once(monkeypatch):
    with pytest.raises(ValueError, match="values='bytes' is not one of pixels, real, any"):
        Dataset("bad", "bad", input_shape=(3,), values="bytes")
    monkeypatch.setattr(datasets, "_REGISTRY", dict(datasets._REGISTRY))
    with pytest.raises(ValueError, match="already registered"):
        datasets.register(Dataset("mnist", "another", input_shape=(1, 28, 28), values="pixels"))


def test_adding_a_dataset_is_one_registration(monkeypatch):
    """A new dataset needs nothing but its Dataset record: configurations accept it, the
    likelihood rule follows its values, and a run trains on it."""
    generator = torch.Generator().manual_seed(0)
    data = {"train": (torch.rand(64, 5, generator=generator) * 4 - 2), "test": torch.rand(16, 5, generator=generator)}

    def read(split, root):
        return Split(data[split], torch.arange(len(data[split])) % 2)

    monkeypatch.setattr(datasets, "_REGISTRY", dict(datasets._REGISTRY))
    datasets.register(Dataset("toy", "five real features", input_shape=(5,), values="real", classes=("a", "b"),
                              read=read))
    with pytest.raises(ValueError, match="dataset 'toy' needs likelihood='gaussian'"):
        RunConfig(DataConfig("toy"), ModelConfig(kind="vae"))
    config = RunConfig(DataConfig("toy"), ModelConfig(kind="vae", latent_dim=2, hidden_dim=8, likelihood="gaussian"),
                       TrainConfig(num_epochs=1, batch_size=16))
    run = train(config, progress=False)
    assert config.input_shape == (5,) and len(run.history) == 1
    assert torch.isfinite(torch.tensor(run.history[0]["test_neg_elbo"]))


def test_verify_names_a_missing_or_corrupted_file_and_the_fix(tmp_path):
    path = tmp_path / "f.bin"
    with pytest.raises(DataSourceError, match="f.bin is missing.\nrun the fix"):
        verify(path, "0" * 64, "sha256", "run the fix")
    path.write_bytes(b"published")
    good = digest(b"published", "sha256")
    assert verify(path, good, "sha256", "fix") == path and file_digest(path) == good
    path.write_bytes(b"tampered!")
    with pytest.raises(DataIntegrityError, match=r"(?s)f.bin is corrupted \(sha256 [0-9a-f]{64}, expected .*rm .*f.bin\nfix"):
        verify(path, good, "sha256", "fix")
    with pytest.raises(ValueError, match="unknown checksum algorithm 'crc'"):
        digest(b"", "crc")


def test_the_allow_list_unpickler_loads_only_what_it_allows(tmp_path):
    import io

    payload = pickle.dumps({"a": [1, 2]})
    assert AllowListUnpickler(io.BytesIO(payload), {}).load() == {"a": [1, 2]}  # no globals needed
    with pytest.raises(pickle.UnpicklingError, match="my file refers to collections.OrderedDict, which is not on"):
        import collections

        AllowListUnpickler(io.BytesIO(pickle.dumps(collections.OrderedDict(a=1))), {}, "my file").load()


def test_a_new_dataset_module_in_the_package_is_found_without_touching_any_other_file(tmp_path, monkeypatch):
    import sys

    (tmp_path / "toy_file.py").write_text(
        "import torch\n"
        "from vsc_lib.datasets import Dataset, Split, register\n"
        "register(Dataset('toy_file', 'four pixels', input_shape=(4,), values='pixels', classes=('a',),\n"
        "                 read=lambda split, root: Split(torch.full((8, 4), 0.5), torch.zeros(8, dtype=torch.int64))))\n")
    monkeypatch.setattr(datasets, "_REGISTRY", dict(datasets._REGISTRY))
    monkeypatch.setattr(datasets, "__path__", [*datasets.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "vsc_lib.datasets.toy_file", raising=False)
    datasets._register_all()
    assert datasets.names()[-1] == "toy_file"
    assert datasets.load_dataset("toy_file", "test", subset=3).x.shape == (3, 4)
    assert RunConfig(DataConfig("toy_file"), ModelConfig(kind="vae")).input_shape == (4,)
    sys.modules.pop("vsc_lib.datasets.toy_file", None)


def test_the_readme_example_registers_a_dataset(monkeypatch):
    from vsc_lib.paths import REPO_ROOT

    text = (REPO_ROOT / "docs" / "library.md").read_text()
    block = text.split("## Adding a dataset or a model variant", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setattr(datasets, "_REGISTRY", dict(datasets._REGISTRY))
    exec(compile(block, "docs/library.md", "exec"), {})  # noqa: S102 - the documented example
    assert datasets.get("toy").load("train", subset=10).x.shape == (10, 5)
    assert RunConfig(DataConfig("toy"), ModelConfig(kind="vae", likelihood="gaussian")).input_shape == (5,)


def test_a_split_is_read_once_per_process_until_a_file_in_the_data_folder_changes(tmp_path):
    reads = []
    (tmp_path / "values.txt").write_text("1")

    def read(split, root):
        value = float((root / "values.txt").read_text())
        reads.append(value)
        return Split(torch.full((6, 1, 2, 2), value), torch.zeros(6, dtype=torch.int64))

    spec = Dataset("memo_test", "a dataset whose file changes", input_shape=(1, 2, 2), values="any",
                   classes=("only",), read=read)
    first = spec.load("train", subset=3, root=tmp_path)
    first.x.add_(100.0)  # a caller's change to its copy does not reach the memo
    second = spec.load("train", root=tmp_path)
    assert reads == [1.0] and float(second.x.max()) == 1.0 and second.x.shape[0] == 6
    (tmp_path / "values.txt").write_text("2.0")  # another size: the folder's signature changes
    assert float(spec.load("train", root=tmp_path).x.max()) == 2.0 and reads == [1.0, 2.0]
    spec.load("test", root=tmp_path)
    assert len(reads) == 3  # each split has its own entry
    datasets.clear_read_memo()
    spec.load("train", root=tmp_path)
    assert len(reads) == 4
