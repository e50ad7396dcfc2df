"""Check the library on a CUDA GPU and time training there against the same machine's CPU.

Usage: python research/cuda_check.py [--out results/cuda-check.json] [--epochs 2]

Needs MNIST prepared under data/ (``python -m vsc_lib.data prepare mnist``) and a CUDA device.
For every model kind (AE, VAE, VSC with the fixed prior, VSC with the learned prior, a Gaussian
likelihood VSC), the same weights on CPU and GPU must give the same deterministic quantities
(posterior parameters, closed-form KL terms, decoder outputs, evaluation-mode loss) to within
float32 rounding, and a training step on the GPU must send non-zero gradients to the spike head
(and, for the learned prior, to the pseudo-inputs and the selector). A run trained on the GPU is
saved, loaded back onto the CPU and must give the same codes. Then MNIST VAE and VSC (J = 32)
are trained for a few epochs on the GPU at batch 128 and 1024, and on the CPU at batch 128 with
all cores, and the training throughput is reported (images per second, and GPU / CPU ratios
measured in the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from vsc_lib import metrics
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.data import load_dataset
from vsc_lib.models import build_model
from vsc_lib.training import load_run, save_run, train

MODELS = {
    "ae": ModelConfig(kind="ae", latent_dim=16),
    "vae": ModelConfig(kind="vae", latent_dim=16),
    "vsc": ModelConfig(kind="vsc", latent_dim=32, alpha=0.2, spike_estimator="straight_through"),
    "vsc relaxed": ModelConfig(kind="vsc", latent_dim=32, alpha=0.2),
    "vsc learned prior": ModelConfig(kind="vsc", latent_dim=32, alpha=0.2, prior="learned", num_pseudo_inputs=10),
    "vsc gaussian": ModelConfig(kind="vsc", latent_dim=16, alpha=0.2, likelihood="gaussian"),
}


def _max_diff(a, b) -> float:
    """Largest difference, relative to the size of the values (absolute below 1)."""
    a, b = a.detach().cpu(), b.detach().cpu()
    return float((a - b).abs().max() / max(1.0, float(a.abs().max())))


def check_agreement(x: torch.Tensor) -> dict:
    """Same weights, same inputs: CPU and GPU agree on every deterministic quantity."""
    out = {}
    for name, cfg in MODELS.items():
        torch.manual_seed(0)
        shape = (6, 128) if cfg.likelihood == "gaussian" else (1, 28, 28)
        inputs = torch.randn(64, *shape) if cfg.likelihood == "gaussian" else x[:64]
        cpu = build_model(cfg, shape).eval()
        gpu = build_model(cfg, shape)
        gpu.load_state_dict(cpu.state_dict())
        gpu = gpu.cuda().eval()
        diffs = {}
        with torch.no_grad():
            pc, pg = cpu.encode(inputs), gpu.encode(inputs.cuda())
            diffs["posterior mu"] = _max_diff(pc.mu, pg.mu)
            if pc.logvar is not None:
                diffs["posterior logvar"] = _max_diff(pc.logvar, pg.logvar)
            if pc.spike_prob is not None:
                diffs["spike prob"] = _max_diff(pc.spike_prob, pg.spike_prob)
            if cfg.kind != "ae":
                rc, _ = cpu.objective_terms(pc, inputs)
                rg, _ = gpu.objective_terms(pg, inputs.cuda())
                for key in rc:
                    diffs[f"objective {key}"] = _max_diff(rc[key], rg[key])
            diffs["decoder output"] = _max_diff(cpu.decode(pc.mu), gpu.decode(pg.mu.cuda()))
            diffs["nll of mean code"] = _max_diff(cpu.nll(cpu.decode(pc.mu), inputs), gpu.nll(gpu.decode(pg.mu), inputs.cuda()))
        # one training step on the GPU: gradients reach the spike head / pseudo-inputs / selector
        gpu.train()
        gpu.zero_grad()
        output = gpu(inputs.cuda())
        output.loss.total.backward()
        grads = {n: float(p.grad.abs().sum()) if p.grad is not None else 0.0 for n, p in gpu.named_parameters()}
        reached = {"all parameters": all(v > 0 for v in grads.values())}
        if cfg.kind == "vsc":  # the heads matrix stacks (mu, logvar, spike logit): its last J rows
            spike_rows = gpu.heads.weight.grad[2 * cfg.latent_dim:]
            reached["spike head"] = bool(spike_rows.abs().sum(1).gt(0).all())
        if cfg.prior == "learned":
            reached["pseudo-inputs"] = any(v > 0 for n, v in grads.items() if "pseudo" in n)
            reached["selector"] = any(v > 0 for n, v in grads.items() if "selector" in n)
        out[name] = {"max_rel_diff": diffs, "agree_to_1e-4": all(d < 1e-4 for d in diffs.values()),
                     "gradient_reaches": reached, "loss_finite": bool(torch.isfinite(output.loss.total))}
    return out


def timed_training(cfg: ModelConfig, batch: int, epochs: int, device: str, data) -> dict:
    config = RunConfig(DataConfig("mnist"), cfg, TrainConfig(num_epochs=epochs, batch_size=batch, lr=1e-3, seed=0))
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    run = train(config, data=data, device=device, progress=False)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    images = epochs * len(data[0].x)
    torch.manual_seed(0)
    neg_elbo = metrics.evaluate(run.model, data[1].x.to(run.model.device), num_samples=1)["neg_elbo"]
    return {"device": device, "batch_size": batch, "epochs": epochs, "seconds": seconds,
            "images_per_second": images / seconds, "test_neg_elbo": neg_elbo, "run": run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/cuda-check.json"))
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("cuda_check.py needs a CUDA device; torch.cuda.is_available() is False here.")
    report = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "cpu_threads": torch.get_num_threads(),
              "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count()}
    data = (load_dataset("mnist", "train"), load_dataset("mnist", "test"))
    report["agreement"] = check_agreement(data[1].x)
    print(json.dumps(report["agreement"], indent=1), flush=True)

    timings = []
    families = {"vae J32": ModelConfig(kind="vae", latent_dim=32),
                "vsc a0.2 J32": ModelConfig(kind="vsc", latent_dim=32, alpha=0.2, spike_estimator="straight_through",
                                            kl_warmup_epochs=0.2)}
    for label, cfg in families.items():
        for device, batch in (("cuda", 128), ("cuda", 1024), ("cpu", 128)):
            row = timed_training(cfg, batch, args.epochs, device, data)
            run = row.pop("run")
            row["model"] = label
            timings.append(row)
            print(f"{label} {device} batch {batch}: {row['images_per_second']:,.0f} img/s, "
                  f"test -ELBO {row['test_neg_elbo']:.2f} after {args.epochs} epochs", flush=True)
            if device == "cuda" and batch == 128:
                # a GPU-trained run saved and loaded back onto the CPU gives the same codes
                with tempfile.TemporaryDirectory() as tmp:
                    save_run(run, Path(tmp))
                    back = load_run(run.config, Path(tmp), "cpu")
                    x = data[1].x[:256]
                    diff = _max_diff(metrics.latent_codes(run.model, x.cuda()), metrics.latent_codes(back.model, x))
                report.setdefault("gpu_run_loaded_on_cpu_max_code_diff", {})[label] = diff
    report["timings"] = timings
    for label in families:
        rows = {(r["device"], r["batch_size"]): r["images_per_second"] for r in timings if r["model"] == label}
        report.setdefault("ratios", {})[label] = {
            "gpu b128 / cpu b128": rows[("cuda", 128)] / rows[("cpu", 128)],
            "gpu b1024 / cpu b128": rows[("cuda", 1024)] / rows[("cpu", 128)],
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["ratios"], indent=1))


if __name__ == "__main__":
    main()
