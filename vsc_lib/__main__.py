"""Command line: train on a ``.npy`` / ``.npz`` file and encode with the result.

    python -m vsc_lib fit data.npy --out model.vsc [--latent-dim 16] [--epochs 20] [--alpha 0.125]
    python -m vsc_lib encode model.vsc data.npy --out codes.npy

``fit`` reads the array (from an ``.npz``, the one named by ``--key``, default the first), trains
through the run cache (a second call with the same data and settings loads it), and exports the
model to one file; ``encode`` writes the codes as a ``.npy``. Problems with the data or the
files end with one line saying what is wrong and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def _read(path: Path, key: str | None) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            names = archive.files
            if not names:
                raise ValueError(f"{path} holds no arrays.")
            if key is not None and key not in names:
                raise ValueError(f"{path} has no array {key!r}; it has {', '.join(names)}.")
            return archive[key or names[0]]
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    raise ValueError(f"{path}: read .npy or .npz files (NumPy's own formats), not {path.suffix or 'no suffix'}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vsc_lib", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fit_cmd = commands.add_parser("fit", help="train on an array and export the model")
    fit_cmd.add_argument("data", type=Path)
    fit_cmd.add_argument("--key", help="array name inside an .npz file")
    fit_cmd.add_argument("--out", type=Path, required=True, help="exported model file to write")
    fit_cmd.add_argument("--kind", default="vsc", choices=("vsc", "vae", "ae"))
    fit_cmd.add_argument("--likelihood", choices=("bernoulli", "gaussian", "normalised_gaussian"))
    fit_cmd.add_argument("--latent-dim", type=int, default=16)
    fit_cmd.add_argument("--hidden-dim", type=int, default=400)
    fit_cmd.add_argument("--epochs", type=int, default=20)
    fit_cmd.add_argument("--batch-size", type=int, default=128)
    fit_cmd.add_argument("--alpha", type=float, help="VSC: prior probability that a dimension is on")
    fit_cmd.add_argument("--beta", type=float, help="VAE: KL weight (beta-VAE)")
    fit_cmd.add_argument("--seed", type=int, default=0)
    fit_cmd.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    encode_cmd = commands.add_parser("encode", help="encode an array with an exported model")
    encode_cmd.add_argument("model", type=Path)
    encode_cmd.add_argument("data", type=Path)
    encode_cmd.add_argument("--key")
    encode_cmd.add_argument("--out", type=Path, required=True, help=".npy file for the (N, J) codes")
    encode_cmd.add_argument("--code", default="default", help="VSC: default (gated), slab_mean or expected")
    args = parser.parse_args(argv)

    from . import fit  # after parsing: --help answers without importing torch

    try:
        x = _read(args.data, args.key)
        if args.command == "fit":
            if args.out.exists() and not args.overwrite:
                raise FileExistsError(f"{args.out} exists; pass --overwrite or another --out.")
            options = {k: v for k, v in (("alpha", args.alpha), ("beta", args.beta)) if v is not None}
            run = fit.fit(x, kind=args.kind, likelihood=args.likelihood, latent_dim=args.latent_dim,
                          hidden_dim=args.hidden_dim, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                          **options)
            fit.export_model(run, args.out, overwrite=args.overwrite)
            print(f"{'loaded from the cache' if run.from_cache else 'trained'}: {run.path}; exported to {args.out}")
        else:
            codes = fit.encode(fit.load_model(args.model), x, kind=args.code)
            np.save(args.out, codes)
            print(f"wrote {args.out}: codes of shape {codes.shape}")
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
