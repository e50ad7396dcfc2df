"""Chapter 5's readings: AE, VAE and VSC compared on one split, one run each. One seed per model
gives no interval, so these readings state what the runs of this build did and say that they are
single runs; none is stated as a finding about the methods."""

from __future__ import annotations

from collections.abc import Mapping

#: how the chapter names its four models
MODELS = ("AE", "VAE", "VSC", "VSC + warm-up")
SINGLE_RUNS = "(one run per model, so these are this build's runs, not findings with an interval)"


def comparison_reading(bound: Mapping[str, Mapping[str, float]], active: Mapping[str, Mapping[str, float]],
                       removed: Mapping[str, Mapping[str, float]], epochs: int) -> str:
    """The chapter's bullets. Per dataset name and model: ``bound`` the test −ELBO (nats; the AE
    has none), ``active`` the dimensions on per image (VSC) or active units (VAE, AE: all),
    ``removed`` the share of the noisy input's error that the reconstruction removes (%; negative:
    it adds error)."""
    names = list(bound)
    vsc_above = [bound[n]["VSC"] > bound[n]["VAE"] for n in names]
    lines = ["- **Bound.** " + "; ".join(
        f"{n}: VAE {bound[n]['VAE']:.1f}, VSC {bound[n]['VSC']:.1f}, VSC + warm-up {bound[n]['VSC + warm-up']:.1f} "
        "nats" for n in names) + ". " + (
        "VSC's bound is above the VAE's on every dataset " if all(vsc_above) else
        "VSC's bound is below the VAE's on every dataset " if not any(vsc_above) else
        "VSC's bound is above the VAE's on some datasets and below on others ") + SINGLE_RUNS + "."]
    lines.append("- **Sparsity.** " + "; ".join(
        f"{n}: VSC switches on {active[n]['VSC']:.1f} dimensions per image, the VAE has {active[n]['VAE']:.0f} active "
        "units" for n in names) + ". The spike maps above show which dimensions each class switches on.")
    warm = {n: bound[n]["VSC + warm-up"] - bound[n]["VSC"] for n in names}
    worse = [d > 0 for d in warm.values()]
    lines.append(f"- **Warm-up.** With the fixed prior and {epochs} epochs the spike warm-up's bound is "
                 + "; ".join(f"{abs(d):.1f} nats {'worse' if d > 0 else 'better'} on {n}" for n, d in warm.items())
                 + " than without it: " + ("worse on every dataset" if all(worse) else "better on every dataset"
                                           if not any(worse) else "not the same way on every dataset")
                 + f" {SINGLE_RUNS}. In the paper the warm-up serves the learned prior, which this comparison does "
                 "not use.")
    helped = {n: [m for m in MODELS if removed[n][m] > 0] for n in names}
    worst = {n: min(MODELS, key=lambda m: removed[n][m]) for n in names}
    parts = []
    for n in names:
        k = len(helped[n])
        parts.append(f"on {n} {k} of the {len(MODELS)} models remove some of the noise"
                     + (f" ({', '.join(helped[n])})" if 0 < k < len(MODELS) else "")
                     + f" and the {worst[n]} removes the least ({removed[n][worst[n]]:+.0f} %)")
    lines.append("- **Denoising.** No model was trained on noise; " + "; ".join(parts) + ".")
    return "\n".join(lines)
