"""The benchmarks' own counting: the matrix products recorded from a training step are all of
its FLOPs, for one model and for a grouped one, and replaying them computes products of the same
shapes and layouts."""

from __future__ import annotations

import torch

from benchmarks.grouped import (
    BATCH,
    RecordMatmuls,
    _step,
    bench_model,
    flops_per_image,
    matmul_flops,
    replay_operands,
)


def _recorded(groups: int):
    model, optimiser = bench_model(groups)
    recorder = RecordMatmuls()
    with recorder:
        _step(model, optimiser, torch.rand(groups * BATCH, 1, 28, 28), groups, False)
    return recorder.calls


def test_the_recorded_products_are_every_flop_of_the_step():
    per_step = flops_per_image() * BATCH  # torch's FlopCounterMode over one step
    single, grouped = _recorded(1), _recorded(3)
    assert matmul_flops(single) == per_step
    assert matmul_flops(grouped) == 3 * per_step
    assert {c[0] for c in grouped} <= {torch.ops.aten.bmm.default, torch.ops.aten.baddbmm.default}


def test_a_replayed_product_has_the_recorded_shape_and_layout():
    calls = _recorded(3)
    for (func, recorded, _), (_, made, kwargs) in zip(calls, replay_operands(calls), strict=True):
        for spec, tensor in zip(recorded, made, strict=True):
            if isinstance(spec, tuple):
                assert (tuple(tensor.shape), tensor.stride()) == spec[:2]
        assert func(*made, **kwargs).isfinite().all()


def test_flops_count_two_m_n_k_per_product():
    mm = (torch.ops.aten.mm.default, [((3, 4), (4, 1), torch.float32), ((4, 5), (5, 1), torch.float32)], {})
    bmm = (torch.ops.aten.baddbmm.default, [((2, 1, 5), (5, 5, 1), torch.float32), ((2, 3, 4), (12, 4, 1),
                                            torch.float32), ((2, 4, 5), (20, 5, 1), torch.float32)], {})
    assert matmul_flops([mm]) == 2 * 3 * 4 * 5
    assert matmul_flops([bmm]) == 2 * 2 * 3 * 4 * 5


def test_the_step_breakdown_splits_the_time_per_image_and_the_budget_for_the_target():
    from benchmarks.grouped import step_breakdown

    rows = {"grouped 9 fp32": {"images_per_second": 25_000.0},
            "grouped 9 fp32, matrix products only": {"images_per_second": 40_000.0},
            "grouped 9 fp32, Adam step only": {"images_per_second": 500_000.0},
            "before fp32": {"images_per_second": 20_000.0}}
    parts = step_breakdown(rows, peak=200.0, flops=5e6)["grouped 9 fp32"]
    assert parts["step_us_per_image"] == 40.0 and parts["products_us_per_image"] == 25.0
    assert parts["adam_us_per_image"] == 2.0 and abs(parts["rest_us_per_image"] - 13.0) < 1e-9
    # 80 % of 200 GFLOP/s for 5 MFLOP per image is 31.25 us per image: 4.25 us left for the rest
    assert abs(parts["rest_allowed_for_target_us_per_image"] - 4.25) < 1e-9
    assert list(step_breakdown(rows, 200.0, 5e6)) == ["grouped 9 fp32"]  # "before" is not split


def test_the_cost_bound_counts_a_beta_vae_steps_matrix_products_by_hand():
    from benchmarks.cost_bound import step_flops
    from vsc_lib.recipes import SMILEY, recipe_config

    config = recipe_config(SMILEY, width=0.01, length=0.001, latent_dim=6, kind="vae", beta=4.0)
    h, j, d, batch = config.model.hidden_dim, 6, 1024, config.train.batch_size
    layers = [(d, h), (h, 2 * j), (j, h), (h, 2 * d)]  # encoder, mean/log-variance heads, decoder, mean/variance heads
    forward = sum(2 * batch * a * b for a, b in layers)
    # backward: every weight's gradient, and every layer's input gradient but the first's (the images need none)
    assert step_flops(config) == 3 * forward - 2 * batch * d * h
