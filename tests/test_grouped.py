"""Grouped training: G models of one shape trained as one, each exactly the model it would be alone."""

from __future__ import annotations

import math

import pytest
import torch

from vsc_lib import grouped, stacking
from vsc_lib.cache import load_run
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig, run_name
from vsc_lib.datasets import ImageDataset
from vsc_lib.models import build_model
from vsc_lib.training import train


def _data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, 1, 28, 28, generator=g) > 0.7).float()
    return ImageDataset(x=x, y=torch.zeros(n, dtype=torch.int64), name="mnist", split="train", classes=("0",),
                        indices=torch.arange(n))


DATA = (_data(200, 0), _data(50, 1))


def _configs(kind, seeds, **model):
    base = RunConfig(DataConfig("mnist", num_train=200, num_test=50),
                     ModelConfig(kind=kind, latent_dim=4, hidden_dim=16, **model), TrainConfig(num_epochs=2, batch_size=64))
    return [base.replace(train={"seed": s}) for s in seeds]


def test_a_grouped_autoencoder_trains_to_the_weights_of_its_single_runs():
    """The AE draws no noise, so each grouped model must follow its single run step by step:
    same initial weights, same batches, its own Adam."""
    configs = _configs("ae", (0, 1, 2))
    runs = grouped.train_group(configs, data=DATA, device="cpu", progress=False)
    for config, run in zip(configs, runs, strict=True):
        alone = train(config, data=DATA, device="cpu", progress=False)
        for (name, a), b in zip(alone.model.state_dict().items(), run.model.state_dict().values(), strict=True):
            assert torch.allclose(a, b, atol=1e-5), name
        for row_a, row_b in zip(alone.history, run.history, strict=True):
            assert row_a["test_neg_elbo"] == pytest.approx(row_b["test_neg_elbo"], rel=1e-5)
            assert row_a["train_recon"] == pytest.approx(row_b["train_recon"], rel=1e-5)


@pytest.mark.parametrize("kind", ["vae", "vsc"])
def test_grouped_vae_and_vsc_start_from_their_single_runs_weights_and_train(kind):
    configs = _configs(kind, (3, 4), **({"alpha": 0.2, "spike_estimator": "straight_through",
                                          "kl_warmup_epochs": 1.0} if kind == "vsc" else {}))
    models = []
    for c in configs:
        torch.manual_seed(c.train.seed)
        models.append(build_model(c.model))
    group = stacking.group_models(models)
    copies = stacking.ungroup(group, [build_model(c.model) for c in configs])
    for original, copy in zip(models, copies, strict=True):
        for a, b in zip(original.state_dict().values(), copy.state_dict().values(), strict=True):
            assert torch.equal(a, b)
    runs = grouped.train_group(configs, data=DATA, device="cpu", progress=False)
    assert [len(r.history) for r in runs] == [2, 2] and all(r.meta["grouped_with"] == 2 for r in runs)
    assert all(math.isfinite(r.history[-1]["test_neg_elbo"]) for r in runs)
    if kind == "vsc":
        assert all(0 < r.history[-1]["train_active_hard"] <= 4 for r in runs)
    assert not torch.equal(runs[0].model.heads.weight, runs[1].model.heads.weight)


def test_split_outputs_average_back_to_the_group():
    configs = _configs("vsc", (0, 1), alpha=0.2)
    models = []
    for c in configs:
        torch.manual_seed(c.train.seed)
        models.append(build_model(c.model))
    output = stacking.group_models(models)(torch.cat([DATA[0].x[:8], DATA[0].x[8:16]]))
    parts = stacking.split_output(output, 2)
    assert [p.z.shape[0] for p in parts] == [8, 8]
    mean = (parts[0].loss.total + parts[1].loss.total) / 2
    assert torch.allclose(mean, output.loss.total)
    assert set(parts[0].loss.parts) == {"kl_slab", "kl_spike"}


def test_a_group_must_differ_only_in_the_seed():
    a, b = _configs("vae", (0, 1))
    with pytest.raises(ValueError, match="differs from .* in more than its seed"):
        grouped.check_group([a, b.replace(model={"latent_dim": 5})])
    with pytest.raises(ValueError, match="must differ from each other"):
        grouped.check_group([a, a])
    with pytest.raises(ValueError, match=r"differ only in train\.seed\.$"):
        grouped.check_group([a, b.replace(model={"beta": 4.0})])  # a VAE's beta is not groupable
    with pytest.raises(ValueError, match="MLP bodies, AE / VAE / fixed-prior VSC"):
        grouped.check_group(_configs("vsc", (0,), prior="learned"))
    with pytest.raises(ValueError, match="at least one"):
        grouped.check_group([])



def test_fixed_prior_vscs_that_differ_in_alpha_group_and_each_block_keeps_its_own_prior():
    alphas = (0.5, 0.01, 0.2)
    configs = [c.replace(model={"alpha": a}) for c, a in zip(_configs("vsc", (0, 0, 1)), alphas, strict=True)]
    grouped.check_group(configs)  # seeds may repeat when alphas differ
    with pytest.raises(ValueError, match="only in train.seed and, for the fixed-prior VSC, alpha"):
        grouped.check_group([configs[0], configs[1].replace(model={"hidden_dim": 8})])
    models = []
    for c in configs:
        torch.manual_seed(c.train.seed)
        models.append(build_model(c.model, c.input_shape))
    group = stacking.group_models(models)
    x = DATA[0].x[:30]
    with torch.no_grad():
        out = group.eval()(torch.cat([x[:10], x[10:20], x[20:]]))
        for g, model in enumerate(models):
            alone = model.eval()(x[10 * g:10 * (g + 1)])
            block = slice(10 * g, 10 * (g + 1))
            assert torch.allclose(out.loss.per_example["kl_spike"][block], alone.loss.per_example["kl_spike"],
                                  rtol=1e-5, atol=1e-5)
            assert torch.allclose(out.loss.per_example["kl"][block], alone.loss.per_example["kl"], rtol=1e-5, atol=1e-5)
    # the blocks' priors matter: model 1's block under model 0's alpha would cost something else
    with torch.no_grad():
        posterior = models[1].encode(x[10:20])
        under_first = models[0].regularizer(posterior)["kl_spike"]
    assert not torch.allclose(under_first, out.loss.per_example["kl_spike"][10:20], rtol=1e-3)

def test_row_prior_logits_refuse_blocks_of_unequal_size():
    from vsc_lib.losses import RowPriorLogit, bernoulli_kl

    prior = RowPriorLogit(torch.tensor([0.0, -4.0]))
    assert prior.expand_rows(4).flatten().tolist() == [0.0, 0.0, -4.0, -4.0]
    kl = bernoulli_kl(torch.zeros(4, 3), prior)
    assert torch.allclose(kl[:2], torch.zeros(2, 3), atol=1e-6) and bool((kl[2:] > 1.0).all())
    with pytest.raises(ValueError, match="5 rows cannot be split into 2 equal blocks"):
        prior.expand_rows(5)

@pytest.mark.slow
def test_train_group_or_load_saves_every_run_once(tmp_path):
    configs = [RunConfig(DataConfig("mnist", num_train=256, num_test=64), ModelConfig(kind="vae", latent_dim=4, hidden_dim=16),
                         TrainConfig(num_epochs=1, batch_size=64, seed=s)) for s in (0, 1)]
    first = grouped.train_group_or_load(configs, cache=tmp_path, progress=False)
    assert sorted(r["name"] for r in first if not r["from_cache"]) == sorted(run_name(c) for c in configs)
    for c in configs:
        assert load_run(c, tmp_path).meta["grouped_with"] == 2
    assert all(r["from_cache"] for r in grouped.train_group_or_load(configs, cache=tmp_path, progress=False))


@pytest.mark.slow
def test_run_grid_can_train_each_cells_seeds_as_one_group(tmp_path):
    from vsc_lib.studies import Grid
    from vsc_lib.sweep import run_grid

    grid = Grid("tiny-grouped", ("mnist",), ("vae", "vsc0.2", "vsc0.5", "lvsc0.2"), (4,), (0, 1), num_epochs=1,
                hidden_dim=16, num_train=256, num_test=64, probe_families=(), elbo_samples=1, num_pseudo_inputs=3)
    result = run_grid(grid, workers=2, cache=tmp_path, progress=False, grouped=True)
    assert result.trained == 8 and set(result.evaluations) == set(grid.cells())
    meta = {f: load_run(grid.config(("mnist", f, 4, 0)), tmp_path).meta for f in grid.families}
    # a cell's seeds group, and the fixed-prior VSC families that differ only in alpha group together
    assert meta["vae"]["grouped_with"] == 2 and meta["vsc0.2"]["grouped_with"] == meta["vsc0.5"]["grouped_with"] == 4
    assert "grouped_with" not in meta["lvsc0.2"]  # the learned prior trains one run per task
    again = run_grid(grid, workers=2, cache=tmp_path, progress=False, grouped=True)
    assert again.trained == 0 and again.evaluations == result.evaluations


def _earlier_form(path):
    """Rewrite a group checkpoint in the form the group loop wrote before the loops were one
    (``rng`` the global state, ``generators`` beside it)."""
    state = torch.load(path, weights_only=True)
    old = {k: state[k] for k in ("configs", "model", "optimiser", "histories", "epoch", "elapsed")}
    torch.save(old | {"rng": state["rng"]["torch"], "generators": state["rng"]["generators"]}, path)


@pytest.mark.parametrize("earlier", [False, True], ids=["as-written", "earlier-form"])
def test_an_interrupted_group_resumes_from_its_checkpoint_to_the_same_weights(tmp_path, earlier):
    configs = [c.replace(train={"num_epochs": 3}) for c in _configs("vae", (0, 1))]
    whole = grouped.train_group(configs, data=DATA, device="cpu", progress=False)

    def interrupt(epoch):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grouped.train_group(configs, data=DATA, device="cpu", progress=False, checkpoint_dir=tmp_path, on_epoch_end=interrupt)
    if earlier:
        _earlier_form(tmp_path / "checkpoint.pt")
    resumed = grouped.train_group(configs, data=DATA, device="cpu", progress=False, checkpoint_dir=tmp_path)
    for a, b in zip(whole, resumed, strict=True):
        assert b.meta["resumed_from_epoch"] == 2 and len(b.history) == 3 and b.meta["grouped_with"] == 2
        for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True):
            assert torch.allclose(x, y, atol=1e-6)


def test_chapter_6_groups_put_the_vsc_families_of_one_dataset_and_j_together_largest_first():
    from vsc_lib.studies import STUDIES
    from vsc_lib.sweep import groups_of

    grid = STUDIES["latent"]["book"]
    groups = groups_of(grid, grid.cells())
    sizes = [len(g) for g in groups]
    assert sizes == sorted(sizes, reverse=True) and sorted(set(sizes)) == [3, 9]
    assert sorted(c for g in groups for c in g) == sorted(grid.cells())  # every cell exactly once
    for group in groups:
        assert len({(c[0], c[2]) for c in group}) == 1  # one dataset and J per group
        families = {c[1] for c in group}
        assert families == {"vae"} or families == {"vsc0.5", "vsc0.2", "vsc0.01"}
    # the fixed-prior variants differ in more than alpha (spike form, warm-up): one cell's seeds each
    fixed = STUDIES["fixed"]["book"]
    assert all(len({c[1] for c in g}) == 1 and len(g) == 3 for g in groups_of(fixed, fixed.cells()))
