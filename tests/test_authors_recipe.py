"""The authors' recipe (issue 10): every ingredient as a configuration field, checked."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import pytest
import torch

from tests.conftest import synthetic_split
from vsc_lib import metrics, recipes
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.losses import normalised_gaussian_nll
from vsc_lib.models import build_model
from vsc_lib.training import ALLOW_EMULATED_BF16, BatchStream, lam_at, train


def learned(**changes) -> ModelConfig:
    return ModelConfig(kind="vsc", prior="learned", latent_dim=5, hidden_dim=16, num_pseudo_inputs=3, **changes)


# --- pseudo-input sharpening -----------------------------------------------------------------

@pytest.mark.parametrize("nu", [1.0, 10.0, 40.0])
def test_sharpened_pseudo_spikes_stay_inside_their_bounds(nu):
    torch.manual_seed(0)
    model = build_model(learned(pseudo_sharpness=nu))
    with torch.no_grad():  # push the raw spike probabilities to both extremes
        model.heads.bias[10:].copy_(torch.tensor([-30.0, 30.0, 0.0, -5.0, 5.0]))
    rho = model.pseudo_posterior().spike_prob.detach()
    low, high = 1 / (1 + math.exp(nu / 2)), 1 / (1 + math.exp(-nu / 2))
    assert float(rho.min()) >= low - 1e-6 and float(rho.max()) <= high + 1e-6
    assert float(rho.min()) == pytest.approx(low, rel=1e-3) and float(rho.max()) == pytest.approx(high, rel=1e-3)


def test_sharpening_reaches_the_kl_and_the_sparsity_penalty():
    torch.manual_seed(0)
    plain = build_model(learned())
    sharp = build_model(learned(pseudo_sharpness=10.0))
    sharp.load_state_dict(plain.state_dict())
    x = torch.rand(4, 1, 28, 28)
    posterior = plain.encode(x)
    kl_plain, pen_plain = plain.objective_terms(posterior, x)
    kl_sharp, pen_sharp = sharp.objective_terms(posterior, x)
    assert not torch.allclose(kl_plain["kl_spike"], kl_sharp["kl_spike"])
    assert not torch.allclose(pen_plain["sparsity"], pen_sharp["sparsity"])


# --- the authors' spike: log pi = min(v, 0) --------------------------------------------------

@pytest.mark.parametrize("prior", ["fixed", "learned"])
@pytest.mark.parametrize("bias", [0.0, 20.0, -20.0])
def test_min0_spike_gives_finite_losses_and_gradients_even_at_pi_one(prior, bias):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vsc", prior=prior, latent_dim=5, hidden_dim=16, num_pseudo_inputs=3,
                                    spike_form="min0", spike_bias_init=bias))
    x = torch.rand(8, 1, 28, 28)
    pi = model.encode(x).spike_prob
    if bias == 20.0:  # capped at 1 - floor
        assert float(pi.detach().min()) == pytest.approx(1 - 1e-6, abs=2e-7)
    out = model(x)
    assert torch.isfinite(out.loss.total)
    out.loss.total.backward()
    for name, p in model.named_parameters():
        assert p.grad is None or torch.isfinite(p.grad).all(), name


def test_min0_spike_starts_dense_and_the_sigmoid_one_at_a_half():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    dense = build_model(ModelConfig(kind="vsc", latent_dim=20, hidden_dim=32, spike_form="min0", init="xavier"))
    half = build_model(ModelConfig(kind="vsc", latent_dim=20, hidden_dim=32))
    assert float(dense.encode(x).spike_prob.mean()) > 0.6
    assert float(half.encode(x).spike_prob.mean()) == pytest.approx(0.5, abs=0.1)


def test_min0_spike_gradient_reaches_the_head_below_the_cap_only():
    model = build_model(ModelConfig(kind="vsc", latent_dim=2, hidden_dim=4, spike_form="min0"))
    v = torch.tensor([[-1.0, 2.0]], requires_grad=True)
    posterior = model.posterior_from_heads((torch.zeros(1, 2), torch.zeros(1, 2), v))
    assert torch.allclose(posterior.spike_prob, torch.tensor([[math.exp(-1.0), 1 - 1e-6]]), atol=1e-6)
    posterior.spike_prob.sum().backward()
    assert float(v.grad[0, 0]) == pytest.approx(math.exp(-1.0), rel=1e-4) and float(v.grad[0, 1]) == 0.0


# --- the authors' likelihood -------------------------------------------------------------------

def test_normalised_gaussian_nll_equals_torch_distributions():
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dim=8, likelihood="normalised_gaussian",
                                    variance_floor=1e-6), (1, 4, 4))
    x = (torch.rand(5, 1, 4, 4) > 0.5).float()
    x[0, 0, 0, 0] = 1.0  # no image is all zeros
    out = model.decode(torch.randn(5, 3))
    assert out.shape == (5, 2, 4, 4)  # mean logits and log-variances
    prepared = x / x.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    assert torch.allclose(model.nll(out, x), _distributions_nll(out, prepared, 1e-6), rtol=1e-5, atol=1e-4)
    assert torch.allclose(model.likelihood.prepare(x).flatten(1).norm(dim=1), torch.ones(5))


def _distributions_nll(out, prepared, floor):
    logits, logvar = out.chunk(2, dim=1)
    normal = torch.distributions.Normal(torch.sigmoid(logits), (logvar.exp() + floor).sqrt())
    return -normal.log_prob(prepared).flatten(1).sum(1)


@pytest.mark.parametrize("floor", [1e-6, 1e-2])
def test_fused_normalised_gaussian_nll_has_torch_distributions_value_and_gradient(floor):
    torch.manual_seed(1)
    out = (3 * torch.randn(6, 2, 5, 5, dtype=torch.float64)).requires_grad_()
    x = (torch.rand(6, 1, 5, 5, dtype=torch.float64) * 0.3).requires_grad_()
    ours = normalised_gaussian_nll(out, x, floor)
    expected = _distributions_nll(out, x, floor)
    assert ours.dtype == torch.float64 and torch.allclose(ours, expected, rtol=1e-12, atol=1e-9)
    weights = torch.rand(6, dtype=torch.float64)
    got = torch.autograd.grad((ours * weights).sum(), (out, x))
    want = torch.autograd.grad((expected * weights).sum(), (out, x))
    for g, w in zip(got, want, strict=True):
        assert torch.allclose(g, w, rtol=1e-10, atol=1e-9)
    assert torch.autograd.gradcheck(lambda o, t: normalised_gaussian_nll(o, t, floor), (out, x))


def test_fused_normalised_gaussian_nll_computes_bf16_outputs_in_float32():
    torch.manual_seed(2)
    out = torch.randn(4, 2, 3, 3).to(torch.bfloat16).requires_grad_()
    x = torch.rand(4, 1, 3, 3)
    ours = normalised_gaussian_nll(out, x, 1e-6)
    assert ours.dtype == torch.float32
    assert torch.allclose(ours, _distributions_nll(out.float(), x, 1e-6), rtol=1e-5, atol=1e-3)
    ours.sum().backward()
    assert out.grad.dtype == torch.bfloat16 and torch.isfinite(out.grad.float()).all()


def test_fused_normalised_gaussian_nll_refuses_outputs_that_do_not_fit_the_inputs():
    with pytest.raises(ValueError, match="mean and a log-variance"):
        normalised_gaussian_nll(torch.zeros(2, 1, 3, 3), torch.zeros(2, 1, 3, 3), 1e-6)


def test_model_nll_gradient_reaches_the_decoder_as_with_torch_distributions():
    torch.manual_seed(3)
    model = build_model(learned(likelihood="normalised_gaussian", variance_floor=1e-6))
    x = (torch.rand(8, 1, 28, 28) > 0.8).float()
    out = model.decode(torch.randn(8, model.latent_dim))
    fused = model.nll(out, x)
    reference = _distributions_nll(out, model.likelihood.prepare(x), 1e-6)
    assert torch.allclose(fused, reference, rtol=1e-5, atol=1e-2)
    params = list(model.decoder.parameters())
    g1 = torch.autograd.grad(fused.mean(), params, retain_graph=True)
    g2 = torch.autograd.grad(reference.mean(), params)
    for a, b in zip(g1, g2, strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5 * float(b.abs().max()))

def test_gaussian_nll_equals_torch_distributions():
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dim=8, likelihood="gaussian"), (6, 16))
    with torch.no_grad():
        model.output_logvar.uniform_(-2, 1)
    x = torch.randn(4, 6, 16)
    out = model.decode(torch.randn(4, 3))
    expected = -torch.distributions.Normal(out, (model.output_logvar.exp() + 1e-3).sqrt()).log_prob(x)
    assert torch.allclose(model.nll(out, x), expected.flatten(1).sum(1), rtol=1e-5, atol=1e-4)


def test_normalised_likelihood_images_come_back_on_the_pixel_scale():
    model = build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dim=8, likelihood="normalised_gaussian"))
    image = model.output_image(model.decode(torch.randn(3, 3)))
    assert image.shape == (3, 1, 28, 28)
    assert torch.allclose(image.flatten(1).amax(1), torch.ones(3)) and float(image.min()) >= 0


# --- initialisation, batches, schedules ------------------------------------------------------------

def test_xavier_initialisation_zeroes_biases_and_bounds_weights():
    model = build_model(learned(init="xavier"))
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            bound = math.sqrt(6.0 / (module.in_features + module.out_features))
            assert float(module.weight.abs().max()) <= bound
            assert float(module.bias.abs().max()) == 0.0


def test_sequential_batches_wrap_around_like_the_authors_batch_manager():
    stream = BatchStream(7, 3, "sequential", torch.Generator())
    got = [stream.next().tolist() for _ in range(4)]
    assert got == [[0, 1, 2], [3, 4, 5], [6, 0, 1], [2, 3, 4]]


def test_shuffled_stream_visits_every_example_once_per_pass():
    stream = BatchStream(10, 5, "shuffled", torch.Generator().manual_seed(0))
    first_pass = torch.cat([stream.next(), stream.next()])
    assert sorted(first_pass.tolist()) == list(range(10))


def test_warmup_in_iterations():
    config = RunConfig(model=ModelConfig(kind="vsc", warmup_iterations=100, warmup_ramp_iterations=10))
    assert lam_at(config, 99, 7) == 0.0
    assert lam_at(config, 100, 7) == pytest.approx(0.1)
    assert lam_at(config, 109, 7) == 1.0


def _block_config(**train) -> RunConfig:
    return RunConfig(
        DataConfig("mnist", num_train=96, num_test=32),
        ModelConfig(kind="vsc", prior="learned", latent_dim=4, hidden_dim=16, num_pseudo_inputs=3, spike_form="min0",
                    pseudo_sharpness=10.0, likelihood="normalised_gaussian", variance_floor=1e-6, init="xavier",
                    c_start=100.0, c_end=100.0, selector="sigmoid", warmup_iterations=6, warmup_ramp_iterations=2),
        TrainConfig(num_epochs=4, batch_size=40, lr=5e-4, lr_schedule="restart", lr_decay_epoch=2, seed=1,
                    epoch_iterations=5, batch_order="sequential", **train),
    )


def _data():
    return synthetic_split(96, 0, "train"), synthetic_split(32, 1, "test")


@pytest.mark.slow
def test_block_training_follows_the_iteration_schedule(tmp_path):
    run = train(_block_config(), data=_data(), progress=False)
    assert [row["lr"] for row in run.history] == [5e-4, 5e-4, pytest.approx(5e-5), pytest.approx(5e-5)]
    assert [row["lam"] for row in run.history] == [0.0, 1.0, 1.0, 1.0]  # lam 0 before iteration 6, 1 from 7
    assert all(math.isfinite(row["test_neg_elbo"]) for row in run.history)


def test_restart_gives_a_fresh_optimiser(tmp_path):
    train(_block_config(), data=_data(), progress=False, checkpoint_dir=tmp_path)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    steps = {int(s["step"]) for s in state["optimiser"]["state"].values()}
    assert steps == {10}  # 2 blocks of 5 iterations since the restart, not 20


def test_block_training_resumes_exactly(tmp_path):
    config = _block_config()
    whole = train(config, data=_data(), progress=False)
    short = RunConfig(config.data, config.model, dataclasses.replace(config.train, num_epochs=3))
    train(short, data=_data(), progress=False, checkpoint_dir=tmp_path)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    state["configs"] = json.dumps([config.to_json()])  # pretend the longer run was stopped after its third block
    torch.save(state, tmp_path / "checkpoint.pt")
    resumed = train(config, data=_data(), progress=False, checkpoint_dir=tmp_path)
    for key, value in whole.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key


# --- presets -----------------------------------------------------------------------------------------

def test_smiley_preset_equals_the_authors_notebook():
    c = recipes.recipe_config(recipes.SMILEY)
    m, t = c.model, c.train
    assert (c.data.dataset, m.kind, m.prior, m.latent_dim, m.alpha, m.pseudo_sharpness, m.num_pseudo_inputs) == (
        "smiley", "vsc", "learned", 60, 0.003, 10.0, 10)
    assert (m.hidden_dim, m.c_start, m.c_end, m.selector, m.spike_form, m.init) == (3000, 100.0, 100.0, "sigmoid", "min0", "xavier")
    assert (m.likelihood, m.variance_floor) == ("normalised_gaussian", 1e-6)
    assert (m.warmup_iterations, m.warmup_iterations + m.warmup_ramp_iterations) == (75_000, 80_000)
    assert (t.batch_size, t.batch_order, t.num_epochs * t.epoch_iterations) == (500, "sequential", 200_000)
    assert (t.lr, t.lr_schedule, t.lr * t.lr_decay) == (5e-4, "restart", pytest.approx(5e-5))
    assert t.lr_decay_epoch * t.epoch_iterations == 60_000


def test_fashion_preset_equals_the_authors_notebook():
    c = recipes.recipe_config(recipes.FASHION)
    m, t = c.model, c.train
    assert (c.data.dataset, m.latent_dim, m.alpha, m.hidden_dim, m.pseudo_sharpness) == ("fashion_mnist", 60, 0.01, 3000, 10.0)
    assert (m.warmup_iterations, m.warmup_iterations + m.warmup_ramp_iterations) == (45_000, 50_000)
    assert (t.num_epochs * t.epoch_iterations, t.lr_decay_epoch * t.epoch_iterations) == (100_000, 45_000)


def test_size_knob_keeps_the_schedule_proportions():
    c = recipes.recipe_config(recipes.SMILEY, width=0.2, length=0.1)
    total = c.train.num_epochs * c.train.epoch_iterations
    assert (c.model.hidden_dim, total) == (600, 20_000)
    assert c.model.warmup_iterations / total == pytest.approx(0.375)
    assert (c.model.warmup_iterations + c.model.warmup_ramp_iterations) / total == pytest.approx(0.4)
    assert c.train.lr_decay_epoch / c.train.num_epochs == pytest.approx(0.3)


@pytest.mark.parametrize(("ingredient", "check"), [
    ("likelihood", lambda c: c.model.likelihood == "bernoulli"),
    ("nu", lambda c: c.model.pseudo_sharpness == 0.0),
    ("alpha", lambda c: c.model.alpha == 0.2),
    ("spike", lambda c: c.model.spike_form == "sigmoid"),
    ("spike_phase", lambda c: c.model.warmup_iterations == 0.2 * c.train.num_epochs * c.train.epoch_iterations),
    ("width", lambda c: c.model.hidden_dim == 400),
    ("length", lambda c: c.train.num_epochs * c.train.epoch_iterations * c.train.batch_size == 320_000),
])
def test_each_ingredient_puts_back_exactly_one_earlier_choice(ingredient, check):
    base = recipes.recipe_config(recipes.SMILEY, width=0.2, length=0.1)
    changed = recipes.recipe_config(recipes.SMILEY, width=0.2, length=0.1, ingredients=(ingredient,))
    assert check(changed) and not check(base)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"width": 0.0}, r"width=0.0 must lie in \(0, 1\]"),
    ({"length": 2.0}, r"length=2.0 must lie in \(0, 1\]"),
    ({"ingredients": ("optimiser",)}, "unknown ingredient"),
    ({"kind": "vae", "ingredients": ("nu",)}, "ingredients are switched in the VSC recipe only"),
])
def test_recipe_config_rejects_bad_requests(kwargs, message):
    with pytest.raises(ValueError, match=message):
        recipes.recipe_config(recipes.SMILEY, **kwargs)


# --- the authors' correlation measure ----------------------------------------------------------------

def test_presence_detector_scores_068_under_the_authors_measure_and_0_signed():
    generator = torch.Generator().manual_seed(0)
    n = 200_000
    present = (torch.rand(n, generator=generator) < 0.5).double()
    values = 0.5 * torch.randn(n, 3, generator=generator, dtype=torch.float64)
    sources = present[:, None] * values  # one group of three factors
    detector = present[:, None]  # a latent that only switches with the group
    authors = metrics.magnitude_correlation(detector, sources)
    signed = metrics.abs_correlation(detector, sources)
    expected = 0.25 * math.sqrt(2 / math.pi) / (0.5 * math.sqrt(0.5 - 0.25 * 2 / math.pi))
    assert expected == pytest.approx(0.683, abs=1e-3)
    assert torch.allclose(authors, torch.full((1, 3), expected, dtype=torch.float64), atol=0.01)
    assert float(signed.max()) < 0.01


def test_both_measures_agree_on_a_code_that_copies_the_sources():
    generator = torch.Generator().manual_seed(1)
    sources = (torch.rand(5000, 4, generator=generator) < 0.5) * torch.rand(5000, 4, generator=generator)
    for magnitudes in (False, True):
        score = metrics.correlation_disentanglement(sources.clone(), sources, magnitudes=magnitudes)
        assert score.disentanglement > 0.9 and score.coverage > 0.99


def test_sampled_codes_are_reproducible_and_leave_the_global_generator_alone():
    model = build_model(ModelConfig(kind="vsc", latent_dim=4, hidden_dim=8))
    x = torch.rand(10, 1, 28, 28)
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    a, b = metrics.sampled_codes(model, x, seed=3), metrics.sampled_codes(model, x, seed=3)
    assert torch.equal(a, b) and torch.equal(torch.rand(1), before)


def test_bf16_training_stays_close_to_fp32_and_evaluates_in_fp32(monkeypatch):
    monkeypatch.setenv(ALLOW_EMULATED_BF16, "1")  # numerics only: on a CPU without native bf16 it is slow
    base = _block_config()
    fp32 = train(base, data=_data(), progress=False)
    bf16 = train(RunConfig(base.data, base.model, dataclasses.replace(base.train, precision="bf16")), data=_data(),
                 progress=False)
    assert all(p.dtype == torch.float32 for p in bf16.model.parameters())
    for a, b in zip(fp32.history, bf16.history, strict=True):
        assert math.isfinite(b["test_neg_elbo"])
        assert abs(a["test_neg_elbo"] - b["test_neg_elbo"]) < 0.02 * abs(a["test_neg_elbo"]) + 5


def test_bf16_training_is_refused_where_bf16_is_emulated_and_names_the_fix(monkeypatch):
    import vsc_lib.training as training

    base = _block_config()
    config = RunConfig(base.data, base.model, dataclasses.replace(base.train, precision="bf16"))
    monkeypatch.delenv(ALLOW_EMULATED_BF16, raising=False)
    monkeypatch.setattr(training, "native_bf16", lambda device: False)
    with pytest.raises(ValueError, match="no native bfloat16.*precision='fp32'"):
        train(config, data=_data(), progress=False)
    training.check_precision("fp32", "cpu")  # fp32 is always allowed
    monkeypatch.setenv(ALLOW_EMULATED_BF16, "1")
    training.check_precision("bf16", "cpu")  # the explicit opt-in for numerical checks
    monkeypatch.delenv(ALLOW_EMULATED_BF16)
    monkeypatch.setattr(training, "native_bf16", lambda device: True)
    training.check_precision("bf16", "cpu")


def test_native_bf16_reads_the_cpu_flags(monkeypatch):
    import vsc_lib.training as training

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert not training.native_bf16("cpu")
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert training.native_bf16("cpu")


def test_recipe_grids_can_train_in_bf16():
    from vsc_lib.studies import STUDIES

    paper = STUDIES["authors"]["paper"]
    config = dataclasses.replace(paper, precision="bf16").config(("smiley", "authors", 60, 0))
    assert config.train.precision == "bf16" and config.model == paper.config(("smiley", "authors", 60, 0)).model


def test_recipe_table_reads_its_numbers_from_the_configs():
    table = recipes.recipe_table(recipes.SMILEY, width=0.2, length=0.1)
    assert recipes.scientific(5e-4) == "5·10⁻⁴" and recipes.scientific(1e-3) == "10⁻³"
    assert table.loc["optimiser", "authors' code"] == "Adam 5·10⁻⁴, a fresh Adam at 5·10⁻⁵ from 60,000 it."
    assert table.loc["optimiser", "this build"] == "Adam 5·10⁻⁴, a fresh Adam at 5·10⁻⁵ from 6,000 it."
    assert table.loc["hidden units", "this build"] == "600" and table.loc["length", "this build"] == "20,000 iterations"
    assert table.loc["spike-only phase", "this build"] == "λ = 0 to 7,500 it., 1 from 8,000"
    # no number a table could break at a hyphen (the HTML check caught "5e-4")
    assert not any(re.search(r"\d-|-\d", cell) for cell in table.to_numpy().ravel())
