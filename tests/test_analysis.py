"""Analyses used by the chapters, on inputs with known answers."""

from __future__ import annotations

import pytest
import torch

from vsc_lib import analysis
from vsc_lib.config import ModelConfig
from vsc_lib.models import Posterior, build_model


def _model(kind, latent_dim=6):
    torch.manual_seed(0)
    return build_model(ModelConfig(kind=kind, latent_dim=latent_dim, hidden_dim=16))


def test_add_noise_is_seeded_clipped_and_zero_noise_is_identity():
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(analysis.add_noise(x, 0.0), x)
    a, b = analysis.add_noise(x, 0.5, seed=3), analysis.add_noise(x, 0.5, seed=3)
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    with pytest.raises(ValueError, match="std"):
        analysis.add_noise(x, -1.0)


def test_denoising_score_of_an_identity_model_removes_nothing():
    model = _model("ae")
    clean = torch.rand(5, 1, 28, 28)
    noisy = analysis.add_noise(clean, 0.3)
    model.reconstruct = lambda x, kind="default": x  # a perfect copier passes the noise through
    score = analysis.denoising_score(model, clean, noisy)
    assert score.reconstructed == pytest.approx(score.noisy) and score.improvement == pytest.approx(0.0)
    assert score.clean_reconstructed == 0.0


def test_active_units_counts_dimensions_that_vary():
    mu = torch.zeros(100, 4)
    mu[:, 1] = torch.linspace(-1, 1, 100)
    mu[:, 3] = 0.001 * torch.randn(100)
    assert analysis.active_units(mu) == 1


def test_most_used_dimensions_follow_the_spike_probabilities():
    model = _model("vsc")
    with torch.no_grad():
        model.heads.weight.zero_()
        model.heads.bias.zero_()
        model.heads.bias[2 * 6 + 4] = 5.0  # dimension 4 almost always on
        model.heads.bias[2 * 6 + 1] = 2.0  # dimension 1 often on
    assert analysis.most_used_dimensions(model, torch.rand(20, 1, 28, 28), 2) == [4, 1]


@pytest.mark.parametrize("kind", ["ae", "vae", "vsc"])
def test_two_dimensional_sweeps_have_the_grid_shape(kind):
    images = analysis.sweep_two_dimensions(_model(kind), torch.rand(30, 1, 28, 28), torch.linspace(-1, 1, 5))
    assert images.shape == (5, 5, 28, 28) and images.min() >= 0 and images.max() <= 1


def test_decode_grid_needs_a_two_dimensional_latent():
    assert analysis.decode_grid(_model("vae", latent_dim=2), num=4).shape == (4, 4, 28, 28)
    with pytest.raises(ValueError, match="2-D latent space"):
        analysis.decode_grid(_model("vae", latent_dim=3))


def test_traverse_changes_only_the_chosen_dimension():
    model = _model("vsc")
    code = torch.zeros(6)
    images = analysis.traverse(model, code, 2, torch.tensor([0.0, 0.0, 3.0]))
    assert torch.equal(images[0], images[1]) and not torch.equal(images[0], images[2])


def test_active_dimensions_are_ordered_by_slab_magnitude():
    mu = torch.tensor([0.1, -3.0, 2.0, 5.0])
    pi = torch.tensor([0.9, 0.8, 0.7, 0.2])  # dimension 3 is off despite its large slab mean
    assert analysis.active_dimensions(mu, pi) == [1, 2, 0]
    assert analysis.active_dimensions(mu, pi, limit=2) == [1, 2]


def _vsc_with_known_spikes(active: list[int], latent_dim=6):
    """A VSC whose encoder ignores the input: spike logits +10 on ``active`` and -10 elsewhere,
    slab means j + 1 on dimension j."""
    model = _model("vsc", latent_dim)
    heads = model.heads
    with torch.no_grad():
        heads.weight.zero_()
        heads.bias.zero_()
        heads.bias[:latent_dim] = torch.arange(1, latent_dim + 1, dtype=torch.float32)
        heads.bias[2 * latent_dim:] = -10.0
        for j in active:
            heads.bias[2 * latent_dim + j] = 10.0
    return model


def test_conditional_samples_keep_exactly_the_active_set_and_draw_standard_normal_slabs():
    model = _vsc_with_known_spikes([1, 4])
    codes, images = analysis.conditional_samples(model, torch.rand(3, 1, 28, 28), 2000, torch.Generator().manual_seed(0))
    assert codes.shape == (3, 2000, 6) and images.shape == (3, 2000, 1, 28, 28)
    assert torch.all(codes[..., [0, 2, 3, 5]] == 0) and torch.all(codes[..., [1, 4]] != 0)
    drawn = codes[..., [1, 4]].flatten()
    assert abs(float(drawn.mean())) < 0.05 and abs(float(drawn.std()) - 1) < 0.05  # the prior's slab, not the posterior's
    with pytest.raises(ValueError, match="conditional sampling needs a spike-and-slab model"):
        analysis.conditional_samples(_model("vae"), torch.rand(1, 1, 28, 28), 2)


def test_vary_largest_active_changes_the_largest_slab_mean_among_active_dimensions():
    model = _vsc_with_known_spikes([0, 2])  # slab means 1 and 3 active, 6 (dim 5) is off
    values = torch.tensor([-2.0, 0.0, 2.0])
    dims, images = analysis.vary_largest_active(model, torch.rand(2, 1, 28, 28), values)
    assert dims == [2, 2] and images.shape == (2, 3, 1, 28, 28)
    code = torch.tensor([1.0, 0, 3.0, 0, 0, 0])
    assert torch.allclose(images[0], analysis.traverse(model, code, 2, values))
    dims, _ = analysis.vary_largest_active(_vsc_with_known_spikes([]), torch.rand(1, 1, 28, 28), values)
    assert dims == [-1]


def test_switching_dimensions_off_and_on_decodes_the_edited_gated_code():
    model = _vsc_with_known_spikes([1, 4])
    x = torch.rand(3, 1, 28, 28)
    off = analysis.switch_dimensions(model, x, [1], None)
    expected = torch.zeros(3, 6)
    expected[:, 4] = 5.0  # dimension 1 switched off, dimension 4 keeps its slab mean 5
    assert torch.allclose(off, analysis.decode(model, expected))
    on = analysis.switch_dimensions(model, x, [0, 1], torch.tensor([-2.0, 7.0]))
    expected[:, 0], expected[:, 1] = -2.0, 7.0
    assert torch.allclose(on, analysis.decode(model, expected))
    assert torch.allclose(analysis.switch_dimensions(model, x, [], None), model.reconstruct(x).detach())
    for fn in (lambda m: analysis.switch_dimensions(m, x, [0], None), lambda m: analysis.typical_state(m, x, [0])):
        with pytest.raises(ValueError, match="needs a spike-and-slab model"):
            fn(_model("vae"))


def test_typical_state_is_zero_when_mostly_off_else_the_median_active_slab_mean():
    model = _vsc_with_known_spikes([1, 4])
    values = analysis.typical_state(model, torch.rand(5, 1, 28, 28), [4, 1, 2])
    assert values.tolist() == [5.0, 2.0, 0.0]  # dimension 2 is never active: its typical state is off
    assert analysis.typical_state(model, torch.rand(5, 1, 28, 28), []).numel() == 0
    # on for only 2 of 5 examples: off is the typical state; on for 3 of 5: the median of those 3
    spike_logit = torch.tensor([[10.0], [10.0], [-10.0], [-10.0], [-10.0]])
    mu = torch.tensor([[1.0], [3.0], [5.0], [7.0], [9.0]])
    model.encode = lambda x: Posterior(mu=mu, logvar=torch.zeros_like(mu), spike_logit=spike_logit)
    assert analysis.typical_state(model, torch.zeros(5, 1, 28, 28), [0]).tolist() == [0.0]
    spike_logit[2] = 10.0
    assert analysis.typical_state(model, torch.zeros(5, 1, 28, 28), [0]).tolist() == [3.0]


def test_switch_groups_finds_a_group_switched_by_one_spike():
    """An oracle model: latent 0 is the 'hat' (its spike draws a bar), latent 1 an unrelated one."""
    import numpy as np

    from vsc_lib.analysis import switch_groups
    from vsc_lib.config import ModelConfig
    from vsc_lib.models import build_model

    model = build_model(ModelConfig(kind="vsc", latent_dim=2, hidden_dim=4), (1, 4, 4))
    present = np.array([[True], [False]] * 20)
    x = torch.zeros(40, 1, 4, 4)
    x[present[:, 0], 0, 0, :] = 1.0  # the attribute: a bar in the top row

    def code(inputs, kind="default"):
        return torch.stack([inputs[:, 0, 0, :].mean(1) * 3.0, torch.ones(len(inputs))], 1)

    def decode(z):
        out = torch.full((len(z), 1, 4, 4), -10.0)
        out[:, 0, 0, :] = torch.where(z[:, :1] > 1.0, 10.0, -10.0)
        return out

    def encode(inputs):
        z = code(inputs)
        return Posterior(mu=z, logvar=torch.zeros_like(z), spike_logit=torch.where(z > 0, 10.0, -10.0))

    model.code, model.decode, model.encode = code, decode, encode
    detect = lambda images: images[:, 0, 0, :].sum(-1, keepdims=True) >= 2  # noqa: E731
    corr = torch.tensor([[0.9], [0.0]])
    (hat,) = switch_groups(model, x, present, corr, [0], ["hat"], detect)
    assert hat.latents == (0,) and hat.by == "spike"
    assert (hat.recon_has, hat.recon_lacks, hat.drawn_on, hat.left_on) == (100.0, 0.0, 100.0, 0.0)
    assert hat.agreement == 100.0
    (none,) = switch_groups(model, x, present, torch.zeros(2, 1), [0], ["hat"], detect)
    assert none.latents == () and none.drawn_on is None

    # a decoder that draws noise: the detector sees the bar everywhere, in reconstructions too;
    # no face lacking the hat reads correctly, so nothing counts as switched on or off
    def noise(z):
        return torch.randn(len(z), 1, 4, 4, generator=torch.Generator().manual_seed(0)) * 10.0 + 20.0

    model.decode = noise
    (broken,) = switch_groups(model, x, present, corr, [0], ["hat"], detect)
    assert (broken.drawn_on, broken.left_on, broken.agreement) == (0.0, 100.0, 50.0)


def test_spike_groups_tells_one_group_from_a_combination():
    from vsc_lib.analysis import spike_groups
    from vsc_lib.config import ModelConfig
    from vsc_lib.models import build_model

    generator = torch.Generator().manual_seed(0)
    present = torch.rand(400, 2, generator=generator) < 0.5
    model = build_model(ModelConfig(kind="vsc", latent_dim=4, hidden_dim=4), (2,))

    def encode(inputs):  # dim 0: group 0; dim 1: neither group; dim 2: always on; dim 3: never
        p = inputs.bool()
        on = torch.stack([p[:, 0], ~p[:, 0] & ~p[:, 1], torch.ones(len(p), dtype=torch.bool),
                          torch.zeros(len(p), dtype=torch.bool)], 1)
        logit = torch.where(on, 10.0, -10.0)
        return Posterior(mu=torch.zeros_like(logit), logvar=torch.zeros_like(logit), spike_logit=logit)

    model.encode = encode
    result = spike_groups(model, present.float(), present)
    assert result.dims == [0, 1, 2]
    assert result.follows == [(0,), (0, 1), ()]
    assert float(result.corr[0, 0]) == pytest.approx(1.0) and float(result.corr[2].abs().max()) == 0.0
