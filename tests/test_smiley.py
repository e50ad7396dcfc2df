"""The Smiley generator and the correlation-based disentanglement scores, on oracle inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vsc_lib import analysis, metrics, smiley


@pytest.fixture(scope="module")
def data():
    return smiley.generate(4000, seed=0)


def test_generator_shapes_and_ground_truth(data):
    assert data.images.shape == (4000, 1, 32, 32) and data.images.dtype == np.float32
    assert set(np.unique(data.images)) <= {0.0, 1.0}
    assert data.sources.shape == data.values.shape == (4000, len(smiley.FACTORS)) == (4000, 18)
    assert abs(data.present.mean() - 0.5) < 0.03  # each group present with probability 0.5
    absent = ~data.present[:, smiley.GROUP_OF_FACTOR]
    assert np.all(data.sources[absent] == 0) and np.all(data.sources[~absent] == data.values[~absent])
    assert abs(data.values.std() - 0.5) < 0.02
    assert len(np.unique(data.combination)) == 16


def test_generator_is_seeded_and_checks_its_arguments():
    a, b, c = smiley.generate(50, seed=3), smiley.generate(50, seed=3), smiley.generate(50, seed=4)
    assert np.array_equal(a.images, b.images) and not np.array_equal(a.images, c.images)
    with pytest.raises(ValueError, match="num"):
        smiley.generate(0, seed=0)
    with pytest.raises(ValueError, match="presence"):
        smiley.generate(10, seed=0, presence=1.0)


def test_each_attribute_changes_the_image_where_it_should(data):
    """Adding a group changes pixels only in its region: eyes and mouth inside the face disc,
    the hat above it, the bow tie below it."""
    rows = np.arange(32)[:, None] + 0.5
    for group, region in ((0, rows < 16.5), (1, rows > 16.5), (2, rows < 8), (3, rows > 26.5)):
        with_group = data.images[data.present[:, group], 0].mean(0)
        without = data.images[~data.present[:, group], 0].mean(0)
        change = np.abs(with_group - without)
        assert change[np.broadcast_to(region, change.shape)].sum() > 3 * change[~np.broadcast_to(region, change.shape)].sum()


def test_scores_of_oracle_codes(data):
    sources = torch.from_numpy(data.sources)
    perfect = metrics.correlation_disentanglement(sources, sources)
    assert perfect.disentanglement > 0.9 and perfect.completeness > 0.9
    # rescaled, shifted and permuted codes are just as good
    permuted = metrics.correlation_disentanglement(3 * sources[:, torch.randperm(18)] + 1, sources)
    assert permuted.disentanglement == pytest.approx(perfect.disentanglement)
    # constant codes score zero
    assert metrics.correlation_disentanglement(torch.ones(4000, 18), sources).disentanglement == 0.0
    # codes that mix all sources evenly score near zero
    mixed = sources @ torch.full((18, 18), 1.0, dtype=sources.dtype) + 0.01 * torch.randn(4000, 18, dtype=sources.dtype)
    assert metrics.correlation_disentanglement(mixed, sources).disentanglement < 0.15
    # every source copied into two latents: still disentangled, less complete
    doubled = metrics.correlation_disentanglement(torch.cat([sources, sources], 1), sources)
    assert doubled.disentanglement > 0.9 and doubled.completeness < perfect.completeness - 0.1
    # extra unused (constant) latents change nothing
    padded = metrics.correlation_disentanglement(torch.cat([sources, torch.zeros(4000, 30, dtype=sources.dtype)], 1), sources)
    assert padded.disentanglement == pytest.approx(perfect.disentanglement)
    # coverage: 1 when every source has an exact copy, the captured share when only some do
    assert perfect.coverage == pytest.approx(1.0) and padded.coverage == pytest.approx(1.0)
    assert metrics.correlation_disentanglement(torch.ones(4000, 18), sources).coverage == 0.0
    two = metrics.correlation_disentanglement(sources[:, [0, 10]], sources)
    assert two.disentanglement > 0.9 and two.completeness > 0.9  # D and C do not see the 16 missing sources
    assert two.coverage == pytest.approx(2 / 18, abs=0.02)


def test_abs_correlation_and_ordering_on_known_inputs():
    x = torch.linspace(-1, 1, 101)[:, None]
    codes = torch.cat([torch.zeros_like(x), -2 * x, x.pow(2)], 1)
    sources = torch.cat([x, x.pow(2)], 1)
    r = metrics.abs_correlation(codes, sources)
    assert torch.allclose(r[0], torch.zeros(2, dtype=r.dtype))  # a constant code correlates with nothing
    assert r[1, 0] == pytest.approx(1.0) and r[2, 1] == pytest.approx(1.0) and r[1, 1] == pytest.approx(0.0, abs=1e-9)
    assert metrics.order_latents_by_source(r, threshold=0.07) == [1, 2, 0]
    with pytest.raises(ValueError, match="same N"):
        metrics.abs_correlation(codes, sources[:5])


def test_chance_correlations_are_not_counted_as_structure(data):
    sources = torch.from_numpy(data.sources)
    noise = torch.randn(4000, 18, generator=torch.Generator().manual_seed(0), dtype=sources.dtype)
    assert metrics.correlation_disentanglement(noise, sources).disentanglement == 0.0
    unthresholded = metrics.correlation_disentanglement(sources, sources, threshold=0.0)
    assert unthresholded.disentanglement < 0.9  # what the threshold protects against


def test_group_detector_agrees_with_the_generator_and_sees_edits(data):
    found = smiley.detect_groups(data.images)
    assert found.shape == (4000, 4)
    agreement = (found == data.present).mean(0)
    assert np.all(agreement > 0.99), agreement
    # oracle edits: erase everything outside the face (hat and bow tie go), fill the face (holes go)
    rows, cols = np.mgrid[0:32, 0:32]
    face = (rows + 0.5 - smiley.FACE_CENTRE[0]) ** 2 + (cols + 0.5 - smiley.FACE_CENTRE[1]) ** 2 <= smiley.FACE_RADIUS**2
    assert not smiley.detect_groups(data.images * face)[:, 2:].any()
    assert not smiley.detect_groups(np.maximum(data.images, face))[:, :2].any()
    assert smiley.detect_groups(np.full((2, 32, 32), 0.4)).tolist() == [[True, True, False, False]] * 2  # all off: holes
    with pytest.raises(ValueError, match="shape"):
        smiley.detect_groups(np.zeros((3, 28, 28)))


def test_group_dimensions_follow_the_strongest_source():
    groups = np.array([0, 0, 1, 1, 2])
    corr = torch.tensor([
        [0.9, 0.1, 0.0, 0.0, 0.0],  # -> group 0
        [0.0, 0.0, 0.2, 0.6, 0.0],  # -> group 1
        [0.05, 0.0, 0.0, 0.0, 0.06],  # below the threshold: no group
        [0.0, 0.0, 0.0, 0.1, 0.3],  # -> group 2
        [0.0, 0.95, 0.0, 0.0, 0.0],  # -> group 0, stronger than latent 0
    ])
    assert analysis.group_dimensions(corr, groups, 4) == [[4, 0], [1], [3], []]
    with pytest.raises(ValueError, match="group_of_source"):
        analysis.group_dimensions(corr, groups[:3], 4)


def test_prepare_command_generates_both_splits_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VSC_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(smiley, "SPLITS", {"train": (300, 1), "test": (100, 2)})
    assert smiley.main(["prepare"]) == 0
    files = sorted(p.name for p in (tmp_path / "smiley").iterdir())
    assert files == ["smiley-v1-test-100-seed2.npz", "smiley-v1-train-300-seed1.npz"]
    stamp = [(tmp_path / "smiley" / f).stat().st_mtime_ns for f in files]
    assert smiley.main(["prepare"]) == 0  # second run: loads, does not regenerate
    assert [(tmp_path / "smiley" / f).stat().st_mtime_ns for f in files] == stamp
    assert "ready (300 images)" in capsys.readouterr().out
    assert smiley.main(["generate"]) == 2


def test_a_decoder_that_draws_noise_switches_no_attribute(data):
    """The detector reads uniform noise, scaled so its brightest pixel is white, as showing every
    group; switching counts only faces whose reconstruction it reads right, so noise scores 0."""
    from vsc_lib.config import ModelConfig
    from vsc_lib.models import build_model

    noise = np.random.default_rng(0).random((600, 1, 32, 32))
    noise /= noise.max(axis=(1, 2, 3), keepdims=True)
    assert smiley.detect_groups(noise).all()  # what fooled the earlier measure
    model = build_model(ModelConfig(kind="vsc", latent_dim=4, hidden_dim=8), (1, 32, 32))
    generator = torch.Generator().manual_seed(1)

    def draw_noise(z):
        u = torch.rand(len(z), 1, 32, 32, generator=generator)
        u = u / u.amax(dim=(1, 2, 3), keepdim=True)
        return torch.logit(u.clamp(1e-4, 1 - 1e-4))  # the Bernoulli likelihood's mean is sigmoid(logits)

    model.decode = draw_noise
    x = torch.as_tensor(data.images[:600], dtype=torch.float32).reshape(-1, 1, 32, 32)
    present = np.stack([data.present[:600, g] for g in range(4)], 1)
    corr = torch.zeros(4, len(smiley.FACTORS))
    corr[:, :] = 0.0
    corr[0, list(smiley.FACTORS).index(smiley.GROUPS["hat"][0])] = 0.9
    switches = analysis.switch_groups(model, x, present, corr, smiley.GROUP_OF_FACTOR, list(smiley.GROUPS),
                                      smiley.detect_groups, per_group=200)
    hat = next(s for s in switches if s.group == "hat")
    assert hat.latents == (0,) and hat.drawn_on == 0.0 and hat.left_on == 100.0
    assert hat.agreement < 100.0
