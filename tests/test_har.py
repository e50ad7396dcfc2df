"""UCI HAR: windowing, the split by volunteer, standardisation, the allow-list and the checksums."""

from __future__ import annotations

import gzip
import os
import pickle

import numpy as np
import pytest

from vsc_lib import har
from vsc_lib.integrity import DataIntegrityError


def test_windows_stay_inside_one_activity_and_overlap_by_half():
    labels = np.array([1] * 300 + [7] * 200 + [4] * 128 + [-1] * 10 + [4] * 127)
    signals = np.arange(len(labels) * 6, dtype=np.float32).reshape(-1, 6)
    x, y = har.windows(signals, labels)
    # 300 samples of activity 1: starts 0, 64, 128 (192 + 128 > 300); the transition (7), the
    # unlabelled samples and the 127-sample stretch give nothing; 128 samples of activity 4: one
    assert y.tolist() == [0, 0, 0, 3] and x.shape == (4, 6, 128)
    assert np.array_equal(x[1], signals[64:192].T) and np.array_equal(x[3], signals[500:628].T)


def _recordings(rng):
    out = {}
    for user in (1, 2, 3, 4):  # 2 and 4 are test volunteers
        labels = np.repeat(rng.integers(1, 7, size=6), 256)
        signals = (rng.normal(size=(len(labels), 6)) * [1, 2, 3, 4, 5, 6] + [10, 0, -5, 1, 2, 3]).astype(np.float32)
        out[user] = [(signals, labels)]
    return out


def test_split_by_volunteer_and_standardise_with_the_training_statistics():
    splits = har.build_splits(_recordings(np.random.default_rng(0)))
    assert set(splits["train"].subjects.tolist()) == {1, 3} and set(splits["test"].subjects.tolist()) == {2, 4}
    train = splits["train"].x.numpy()
    assert np.allclose(train.mean(axis=(0, 2)), 0, atol=1e-4) and np.allclose(train.std(axis=(0, 2)), 1, atol=1e-3)
    assert np.allclose(splits["test"].mean, splits["train"].mean)  # the test split reuses the training statistics
    assert splits["train"].x.shape[1:] == (6, 128) and splits["train"].y.max() <= 5


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def test_the_unpickler_refuses_anything_outside_its_allow_list():
    data = gzip.compress(pickle.dumps(_Evil(), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="not on the allow-list"):
        har.read_recordings(data)


def test_a_corrupted_file_is_named_with_the_fix(tmp_path):
    folder = har.har_folder(tmp_path)
    folder.mkdir(parents=True)
    (folder / har.FILE_NAME).write_bytes(b"not the recording")
    with pytest.raises(DataIntegrityError, match="corrupted.*delete it"):
        har.prepare(tmp_path)
    (folder / har.FILE_NAME).unlink()
    (folder / har.SDIST).write_bytes(b"not the archive")
    with pytest.raises(DataIntegrityError, match="not the published archive"):
        har.prepare(tmp_path)
    with pytest.raises(ValueError, match="unknown split"):
        har.load_har("validation", tmp_path)


@pytest.mark.skipif(not (har.har_folder() / har.FILE_NAME).exists(), reason="HAR not prepared (make setup does it)")
def test_the_real_recording_gives_the_uci_har_sizes():
    train, test = har.load_har("train"), har.load_har("test")
    # UCI HAR's published windows: 7,352 / 2,947; ours cut within single-activity stretches of the raw recording
    assert 7000 < len(train.y) < 7800 and 2800 < len(test.y) < 3200
    assert set(test.subjects.tolist()) == set(har.TEST_SUBJECTS)
    assert np.bincount(train.y.numpy(), minlength=6).min() > 800
