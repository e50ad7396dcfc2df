"""AE, VAE/beta-VAE and VSC behind one base class with one ``forward``.

``LatentModel.forward`` is written once: encode -> sample the latent -> decode -> Bernoulli
negative log-likelihood -> ``regularizer``. Each model overrides only what differs: how many
encoder heads it has, how it samples, its regulariser and its prior. Losses follow one
convention: sum over pixels and latent dimensions, mean over the batch (nats per example).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import schedules, variants
from .config import ModelConfig
from .likelihoods import GaussianLikelihood, Likelihood, NormalisedGaussianLikelihood
from .losses import bernoulli_kl, gaussian_kl, log_normal, probability_logit, spike_slab_kl, spike_slab_log_density

LOGVAR_RANGE = (-10.0, 10.0)  # keeps exp(logvar) finite in float32 and the KL well conditioned


@dataclass(frozen=True)
class Posterior:
    """Parameters of q(z | x); fields a model does not have are ``None``.

    Attributes:
        mu: (B, J) code (AE), posterior mean (VAE) or slab mean (VSC).
        logvar: (B, J) log-variance of the Gaussian / slab.
        spike_logit: (B, J) logit of the spike probability pi (VSC).
    """

    mu: Tensor
    logvar: Tensor | None = None
    spike_logit: Tensor | None = None

    @cached_property
    def spike_prob(self) -> Tensor | None:
        """(B, J) probability pi that each dimension is on (VSC); computed once per posterior."""
        return None if self.spike_logit is None else torch.sigmoid(self.spike_logit)


@dataclass(frozen=True)
class LossTerms:
    """Loss terms of one batch, in nats per example.

    Attributes:
        total: scalar objective that training minimises (recon + beta * kl).
        recon: scalar mean negative log-likelihood.
        kl: scalar mean KL(q(z|x) || p(z)) (0 for the AE).
        neg_elbo: (B,) per-example negative ELBO, recon + kl, whatever beta is.
        parts: named scalar parts of the KL, e.g. ``kl_slab`` and ``kl_spike``, followed by
            any penalty of the training objective that is not part of the ELBO (the learned
            prior's ``sparsity``).
        per_example: the (B,) values behind those means (``total``, ``recon``, ``kl`` and each
            part), for training several models as one batch (:mod:`vsc_lib.grouped`).
    """

    total: Tensor
    recon: Tensor
    kl: Tensor
    neg_elbo: Tensor
    parts: dict[str, Tensor] = field(default_factory=dict)
    per_example: dict[str, Tensor] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelOutput:
    """Everything one forward pass computes.

    Attributes:
        decoded: the likelihood's parameters for each example (:meth:`LatentModel.decode`): Bernoulli
            logits, Gaussian means, or the normalised Gaussian's mean logits and log-variances.
        z: (B, J) latent sample that was decoded.
        posterior: the encoder's :class:`Posterior`.
        loss: the :class:`LossTerms`.
    """

    decoded: Tensor
    z: Tensor
    posterior: Posterior
    loss: LossTerms


# ---------------------------------------------------------------------------------------------
# network bodies


def _output_shape(input_shape, outputs: int) -> tuple[int, ...]:
    """Decoder output shape: ``outputs`` stacked copies of the input shape along dimension 0."""
    return (outputs * input_shape[0], *input_shape[1:])


def _mlp_body(input_shape, config: ModelConfig, outputs: int = 1):
    # outputs: decoder outputs per input feature (2 for a mean and a variance)
    dim = math.prod(input_shape)
    hidden = config.hidden_dim
    encoder = nn.Sequential(
        nn.Flatten(), nn.Linear(dim, hidden), nn.ReLU()
    )
    decoder = nn.Sequential(
        nn.Linear(config.latent_dim, hidden), nn.ReLU(),
        nn.Linear(hidden, outputs * dim),
        nn.Unflatten(1, _output_shape(input_shape, outputs)),
    )
    return encoder, hidden, decoder


def _conv_body(input_shape, config: ModelConfig, outputs: int = 1):
    channels, height, width = input_shape
    if height != width or height % 4:
        raise ValueError(f"the conv body needs square images with a side divisible by 4, got {input_shape}.")
    last = height // 4  # two stride-2 convolutions, then one that covers what is left
    encoder = nn.Sequential(
        nn.Conv2d(channels, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, last), nn.ReLU(),
        nn.Flatten(),
    )
    decoder = nn.Sequential(
        nn.Linear(config.latent_dim, 64), nn.ReLU(),
        nn.Unflatten(1, (64, 1, 1)),
        nn.ConvTranspose2d(64, 32, last), nn.ReLU(),
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, outputs * channels, 3, stride=2, padding=1, output_padding=1),
    )
    return encoder, 64, decoder


BODIES = {"mlp": _mlp_body, "conv": _conv_body}


# ---------------------------------------------------------------------------------------------
# models


class LatentModel(nn.Module):
    """Encoder body + linear heads, a decoder body, and the shared forward pass.

    Subclasses set ``num_heads`` and override :meth:`posterior_from_heads`, :meth:`sample`,
    :meth:`regularizer`, :meth:`sample_prior` and :meth:`code` where they differ. Code outside
    this module asks the model what it is instead of testing its class: :attr:`has_spikes`,
    :meth:`schedule` / :meth:`schedule_state` (how its objective changes per step),
    :meth:`log_prior` / :meth:`log_posterior` (for the importance-weighted bound),
    :meth:`kl_per_dimension` and :meth:`usage_score`.
    """

    num_heads = 1
    #: whether codes have spikes that switch dimensions on and off (the VSC variants)
    has_spikes = False

    def __init__(self, config: ModelConfig, input_shape=(1, 28, 28)):
        super().__init__()
        self.kl_anneal = 1.0  # factor on beta during KL warm-up; set per iteration by training
        self.config = config
        self.input_shape = tuple(input_shape)
        self.latent_dim = config.latent_dim
        self.likelihood = self._make_likelihood(config)
        encoder, features, decoder = BODIES[config.body](self.input_shape, config,
                                                         self.likelihood.outputs_per_feature)
        self.encoder = encoder
        # one matrix for all heads: a single matmul instead of num_heads small ones
        self.heads = nn.Linear(features, self.num_heads * config.latent_dim)
        self.decoder = decoder

    def _make_likelihood(self, config: ModelConfig) -> Likelihood:
        if config.likelihood == "gaussian":  # one learned log-variance per input feature
            self.output_logvar = nn.Parameter(torch.zeros(self.input_shape))
            return GaussianLikelihood(self.output_logvar, config.variance_floor)
        if config.likelihood == "normalised_gaussian":
            return NormalisedGaussianLikelihood(config.variance_floor)
        return Likelihood()

    def reset_parameters_xavier(self) -> None:
        """Xavier-uniform weights and zero biases in every linear and convolutional layer (the
        authors' initialisation; ``ModelConfig.init = "xavier"``)."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def schedule(self, iteration: int, iters_per_epoch: int, total_iterations: int) -> None:
        """Advance the objective's per-iteration schedules to ``iteration`` (the KL warm-up;
        VSC also its relaxation sharpness and slab warm-up)."""
        self.kl_anneal = schedules.kl_anneal_at(self.config, iteration, iters_per_epoch)

    def schedule_state(self) -> dict[str, float]:
        """The schedule values a training history records (none for AE and VAE)."""
        return {}

    def require_spikes(self, what: str) -> None:
        """A ValueError naming ``what`` unless the model has spikes."""
        if not self.has_spikes:
            raise ValueError(f"{what} needs a spike-and-slab model (kind='vsc'), got {type(self).__name__} "
                             f"(kind={self.config.kind!r}).")

    def log_prior(self, z: Tensor) -> Tensor:
        """log p(z) summed over dimensions, for draws ``z`` (..., J)."""
        raise ValueError(f"{type(self).__name__} has no latent density; use a VAE or VSC.")

    def log_posterior(self, z: Tensor, posterior: Posterior) -> Tensor:
        """log q(z | x) summed over dimensions, for draws ``z`` (..., B, J)."""
        raise ValueError(f"{type(self).__name__} has no latent density; use a VAE or VSC.")

    def kl_per_dimension(self, posterior: Posterior) -> Tensor:
        """(B, J) KL(q(z_j | x) || p(z_j)) of each latent dimension."""
        raise ValueError(f"{type(self).__name__} has no KL per dimension; use a VAE or VSC.")

    def usage_score(self, posterior: Posterior) -> Tensor:
        """(J,) how much each dimension is used over the batch: the variance of the code."""
        return posterior.mu.var(0)

    @property
    def kl_weight(self) -> float:
        """Weight of the KL in the training objective: beta, times the KL warm-up factor."""
        return self.config.beta * self.kl_anneal

    @property
    def device(self) -> torch.device:
        return self.heads.weight.device

    def encode(self, x: Tensor) -> Posterior:
        """x: (B, C, H, W) raw inputs -> :class:`Posterior` with (B, J) fields."""
        return self.encode_prepared(self.likelihood.prepare(x))

    def encode_prepared(self, x: Tensor) -> Posterior:
        """:meth:`encode` for inputs already prepared by the likelihood (pseudo-inputs)."""
        # .float(): under bf16 autocast the matmuls run in bf16, the heads' transforms and the
        # KL in float32 (a no-op without autocast)
        return self.posterior_from_heads(self.heads(self.encoder(x)).float().chunk(self.num_heads, dim=1))

    def posterior_from_heads(self, heads: tuple[Tensor, ...]) -> Posterior:
        return Posterior(mu=heads[0])

    def sample(self, posterior: Posterior) -> Tensor:
        """Draw z ~ q(z | x), (B, J)."""
        return posterior.mu

    def decode(self, z: Tensor) -> Tensor:
        """z: (B, J) -> the likelihood's parameters: Bernoulli logits, Gaussian means, or the
        normalised Gaussian's mean logits and log-variances stacked along dimension 1 (see
        :meth:`output_mean`)."""
        return self.decoder(z)

    def output_mean(self, out: Tensor) -> Tensor:
        """Mean of the likelihood for decoder outputs ``out`` (in the prepared input's space)."""
        return self.likelihood.mean(out)

    def output_image(self, out: Tensor) -> Tensor:
        """The likelihood mean on the raw input's scale (pixel values for images)."""
        return self.likelihood.to_pixels(self.likelihood.mean(out))

    def nll(self, out: Tensor, x: Tensor) -> Tensor:
        """-log p(x | z) per example, (B,), for decoder outputs ``out`` and raw inputs ``x``."""
        return self.likelihood.nll(out, x)

    def regularizer(self, posterior: Posterior, x: Tensor | None = None) -> dict[str, Tensor]:
        """Named (B,) parts of KL(q(z|x) || p(z)), summed over latent dimensions (``x`` is
        needed only by priors that depend on the input)."""
        return {}

    def objective_terms(self, posterior: Posterior, x: Tensor) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """The KL parts (see :meth:`regularizer`) and the named (B,) penalties the training
        objective adds outside the ELBO (none by default), computed together so that a prior
        can share work between them."""
        return self.regularizer(posterior, x), {}

    def forward(self, x: Tensor) -> ModelOutput:
        return self.forward_posterior(self.encode(x), x)

    def forward_posterior(self, posterior: Posterior, x: Tensor) -> ModelOutput:
        """:meth:`forward` from ``posterior = self.encode(x)`` already computed: a draw of z,
        its decoding and the loss terms. Evaluation with several latent samples per example
        encodes each batch once and calls this per sample."""
        z = self.sample(posterior)
        decoded = self.decode(z).float()  # the likelihood in float32 (a no-op without autocast)
        recon = self.nll(decoded, x)
        parts, penalties = self.objective_terms(posterior, x)
        kl = sum(parts.values()) if parts else torch.zeros_like(recon)
        total = recon + self.kl_weight * kl
        if penalties:
            total = total + sum(penalties.values())
        loss = LossTerms(
            total=total.mean(),
            recon=recon.mean(),
            kl=kl.mean(),
            neg_elbo=recon + kl,
            parts={name: value.mean() for name, value in (parts | penalties).items()},
            per_example={"total": total, "recon": recon, "kl": kl} | parts | penalties,
        )
        return ModelOutput(decoded=decoded, z=z, posterior=posterior, loss=loss)

    def code(self, x: Tensor, kind: str = "default") -> Tensor:
        """Deterministic (B, J) representation of x for downstream use (no sampling)."""
        if kind not in ("default", "slab_mean"):
            raise ValueError(f"code kind {kind!r} is not available for {type(self).__name__}; use 'default'.")
        return self.encode(x).mu

    def sample_prior(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """(num, J) draws from the prior p(z)."""
        raise NotImplementedError(f"{type(self).__name__} has no prior to sample from; use a VAE or VSC.")

    @torch.no_grad()
    def reconstruct(self, x: Tensor, kind: str = "default") -> Tensor:
        """Likelihood means on the pixel scale (see :meth:`output_image`) decoded from the
        deterministic code of x."""
        return self.output_image(self.decode(self.code(x, kind)))


class AE(LatentModel):
    """Deterministic autoencoder: z = encoder(x), loss = reconstruction only."""


class VAE(LatentModel):
    """Gaussian VAE with a standard normal prior; ``beta`` != 1 gives the beta-VAE objective."""

    num_heads = 2

    def posterior_from_heads(self, heads):
        mu, logvar = heads
        return Posterior(mu=mu, logvar=logvar.clamp(*LOGVAR_RANGE))

    def sample(self, posterior):
        std = (0.5 * posterior.logvar).exp()
        return posterior.mu + torch.randn_like(posterior.mu) * std

    def regularizer(self, posterior, x=None):
        return {"kl_gauss": gaussian_kl(posterior.mu, posterior.logvar).sum(1)}

    def sample_prior(self, num, generator=None):
        return torch.randn(num, self.latent_dim, generator=generator, device=self.device)

    def log_prior(self, z):
        return log_normal(z, 0.0, torch.zeros((), dtype=z.dtype, device=z.device)).sum(-1)

    def log_posterior(self, z, posterior):
        return log_normal(z, posterior.mu, posterior.logvar).sum(-1)

    def kl_per_dimension(self, posterior):
        return gaussian_kl(posterior.mu, posterior.logvar)

    def usage_score(self, posterior):
        """The mean KL of each dimension."""
        return self.kl_per_dimension(posterior).mean(0)


class VSC(LatentModel):
    """Variational Sparse Coding with the fixed spike-and-slab prior (ICLR 2019 submission).

    q(z_j | x) = pi_j N(mu_j, s_j^2) + (1 - pi_j) delta_0,  p(z_j) = alpha N(0, 1) + (1 - alpha) delta_0.

    Training draws the spike through the relaxation sigmoid(c (eta + pi - 1)), eta ~ U(0, 1),
    so the reconstruction gradient reaches pi; in eval mode the spike is the hard step
    1[eta + pi - 1 >= 0], an exact draw from q. ``c`` and the warm-up coefficient ``lam`` are
    buffers: they are saved with the model, so a loaded model evaluates with the values it
    ended training with. During warm-up the slab is N(lam mu, lam s^2 + (1 - lam)); the KL
    always uses the learned (mu, s).
    """

    num_heads = 3
    has_spikes = True

    def __init__(self, config: ModelConfig, input_shape=(1, 28, 28)):
        super().__init__(config, input_shape)
        self.register_buffer("c", torch.tensor(config.c_start))
        self.register_buffer("lam", torch.tensor(0.0 if config.uses_warmup else 1.0))
        self.prior_spike_logit = probability_logit(config.alpha)
        self.fill_spike_bias()
        # the cap of the authors' log pi = min(v, log(1 - floor)): keeps log(1 - pi) finite
        self.log_pi_cap = math.log1p(-config.spike_floor)

    def fill_spike_bias(self) -> None:
        """Set the spike head's bias to ``config.spike_bias_init``."""
        with torch.no_grad():
            self.heads.bias[2 * self.latent_dim:].fill_(self.config.spike_bias_init)

    def set_schedule(self, c: float | None = None, lam: float | None = None) -> None:
        """Set the relaxation sharpness and/or the warm-up coefficient (kept in the state dict)."""
        if c is not None:
            self.c.fill_(c)
        if lam is not None:
            if not 0.0 <= lam <= 1.0:
                raise ValueError(f"warm-up lam={lam} must lie in [0, 1].")
            self.lam.fill_(lam)

    def schedule(self, iteration, iters_per_epoch, total_iterations):
        super().schedule(iteration, iters_per_epoch, total_iterations)
        self.set_schedule(c=schedules.c_at(self.config, iteration, total_iterations),
                          lam=schedules.lam_at(self.config, iteration, iters_per_epoch))

    def schedule_state(self):
        return {"c": float(self.c), "lam": float(self.lam)}

    def log_prior(self, z):
        """With respect to Lebesgue measure plus a unit atom at zero (the measure under which
        the closed-form KL holds): log(1 - alpha) where z_j = 0, log alpha + log N(z_j; 0, 1)
        elsewhere."""
        return spike_slab_log_density(z, 0.0, 0.0, self.prior_spike_logit)

    def log_posterior(self, z, posterior):
        return spike_slab_log_density(z, posterior.mu, posterior.logvar, posterior.spike_logit)

    def kl_per_dimension(self, posterior):
        """Slab and spike parts together."""
        slab, spike = spike_slab_kl(posterior.mu, posterior.logvar, posterior.spike_logit,
                                    prior_spike_logit=self.prior_spike_logit, spike_prob=posterior.spike_prob)
        return slab + spike

    def usage_score(self, posterior):
        """The mean spike probability of each dimension."""
        return posterior.spike_prob.mean(0)

    def posterior_from_heads(self, heads):
        mu, logvar, spike_head = heads
        if self.config.spike_form == "min0":
            # log pi = min(v, log(1 - floor)); the logit log pi - log(1 - pi) carries it on, so the
            # KL, the sampling and the codes treat both forms alike
            log_pi = spike_head.clamp_max(self.log_pi_cap)
            spike_logit = log_pi - torch.log(-torch.expm1(log_pi))
        else:
            spike_logit = spike_head
        return Posterior(mu=mu, logvar=logvar.clamp(*LOGVAR_RANGE), spike_logit=spike_logit)

    def sample(self, posterior):
        mu, logvar = posterior.mu, posterior.logvar
        lam = float(self.lam)
        if lam == 1.0:  # after (or without) warm-up: the learned slab
            slab = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        else:
            std = (lam * logvar.exp() + (1.0 - lam)).sqrt()
            slab = lam * mu + torch.randn_like(mu) * std
        # >= 0 with probability pi
        shifted = torch.rand_like(mu) + posterior.spike_prob - 1.0
        hard = (shifted >= 0).to(mu.dtype)
        if not self.training:
            return hard * slab
        relaxed = torch.sigmoid(self.c * shifted)
        if self.config.spike_estimator == "straight_through":
            # exact spike forward, relaxed gradient
            relaxed = hard + (relaxed - relaxed.detach())
        return relaxed * slab

    def regularizer(self, posterior, x=None):
        slab, spike = spike_slab_kl(
            posterior.mu, posterior.logvar, posterior.spike_logit, prior_spike_logit=self.prior_spike_logit,
            spike_prob=posterior.spike_prob,
        )
        return {"kl_slab": slab.sum(1), "kl_spike": spike.sum(1)}

    def objective_terms(self, posterior, x):
        """The KL parts and, with ``usage_weight`` > 0, the per-dimension usage term: the weight
        times the sum over dimensions of KL_B(rho_j || alpha), rho_j the batch's mean spike
        probability of dimension j (the same value for every example of the batch). It pulls each
        dimension's share of examples towards alpha: one used by fewer examples is pushed back into
        use, one used by more is pushed out, so the code spreads over the dimensions instead of
        leaving some dead or shared, while the per-example KL keeps each example's code sparse."""
        parts = self.regularizer(posterior, x)
        weight = self.config.usage_weight
        if weight == 0 or not self.training:
            return parts, {}
        rho = posterior.spike_prob.mean(0).clamp(1e-6, 1 - 1e-6)
        usage = bernoulli_kl(torch.logit(rho), self.prior_spike_logit, prob=rho).sum()
        return parts, {"usage": (weight * usage).expand(posterior.spike_prob.shape[0])}

    def code(self, x, kind="default"):
        """``"default"``/``"gated"``: slab mean times the hard spike 1[pi > 0.5];
        ``"slab_mean"``: the slab mean alone; ``"expected"``: pi * mu, the posterior mean."""
        posterior = self.encode(x)
        if kind in ("default", "gated"):
            return posterior.mu * (posterior.spike_logit > 0).to(posterior.mu.dtype)
        if kind == "slab_mean":
            return posterior.mu
        if kind == "expected":
            return posterior.mu * posterior.spike_prob
        raise ValueError(f"code kind {kind!r} is not one of 'gated', 'slab_mean', 'expected'.")

    def sample_prior(self, num, generator=None):
        """Spikes on with probability alpha, slab values from N(0, 1)."""
        shape = (num, self.latent_dim)
        on = torch.rand(shape, generator=generator, device=self.device) < self.config.alpha
        return on.to(torch.float32) * torch.randn(shape, generator=generator, device=self.device)


class LearnedPriorVSC(VSC):
    """VSC with the learned prior of the UAI paper (pseudo-inputs and a selector).

    K learnable pseudo-inputs u_k (in data space) are encoded by the *same* encoder into
    spike-and-slab distributions r_k = q(z | u_k). A selector, one linear layer on the flattened
    input, gives weights w(x) over them (``config.selector``). The KL term of the bound is
    sum_k w_k(x) KL(q(z|x) || r_k), each KL in closed form; the training objective adds the
    sparsity penalty J KL_B(rho_bar(x) || alpha), where rho_bar(x) = sum_k w_k mean_j pi_kj is
    the mean spike probability of the selected pseudo-inputs (weights normalised to sum 1).
    The warm-up, the relaxation and the estimators are those of :class:`VSC`; ``alpha`` enters
    only through the sparsity penalty.
    """

    def __init__(self, config: ModelConfig, input_shape=(1, 28, 28)):
        super().__init__(config, input_shape)
        k, dim = config.num_pseudo_inputs, math.prod(self.input_shape)
        bound = math.sqrt(6.0 / (k + dim))  # Xavier-uniform in data space, as the authors' code
        self.pseudo_inputs = nn.Parameter(torch.empty(k, *self.input_shape).uniform_(-bound, bound))
        self.selector = nn.Linear(dim, k)

    def pseudo_posterior(self) -> Posterior:
        """(K, J) spike-and-slab parameters of the pseudo-inputs' encodings (the pseudo-inputs
        live in the prepared input space). With ``pseudo_sharpness`` nu > 0 their spike
        probabilities rho are sharpened to sigmoid(nu (rho - 0.5)), which keeps them inside
        [sigmoid(-nu/2), sigmoid(nu/2)]."""
        posterior = self.encode_prepared(self.pseudo_inputs)
        nu = self.config.pseudo_sharpness
        if nu == 0:
            return posterior
        return Posterior(mu=posterior.mu, logvar=posterior.logvar,
                         spike_logit=nu * (posterior.spike_prob - 0.5))

    def selector_weights(self, x: Tensor) -> Tensor:
        """(B, K) weights of the pseudo-inputs for raw inputs x (see ``ModelConfig.selector``)."""
        scores = self.selector(self.likelihood.prepare(x).flatten(1))
        form = self.config.selector
        if form == "softmax":
            return torch.softmax(scores, dim=1)
        if form == "sharpened":
            # the supplement's sigmoid(60 (softmax - 0.5)), renormalised: as published the weights
            # need not sum to 1, and when no softmax weight exceeds 0.5 they all vanish, the weighted
            # KL with them, and the "bound" is no bound (a model trained that way learns exactly this)
            return torch.softmax(F.logsigmoid(60.0 * (torch.softmax(scores, dim=1) - 0.5)), dim=1)
        positive = torch.sigmoid(scores)
        return positive / positive.sum(1, keepdim=True)

    def pseudo_kl(self, posterior: Posterior, pseudo: Posterior | None = None) -> tuple[Tensor, Tensor]:
        """Closed-form KL(q(z|x) || r_k) for every input and pseudo-input, split into slab and
        spike parts: two (B, K) tensors."""
        pseudo = self.pseudo_posterior() if pseudo is None else pseudo
        slab, spike = spike_slab_kl(
            posterior.mu[:, None], posterior.logvar[:, None], posterior.spike_logit[:, None],
            prior_mu=pseudo.mu[None], prior_logvar=pseudo.logvar[None], prior_spike_logit=pseudo.spike_logit[None],
            spike_prob=posterior.spike_prob[:, None],
        )
        return slab.sum(-1), spike.sum(-1)

    def regularizer(self, posterior, x=None):
        if x is None:
            raise ValueError("the learned prior depends on the input: call regularizer(posterior, x).")
        return self.objective_terms(posterior, x)[0]

    def objective_terms(self, posterior, x):
        weights = self.selector_weights(x)  # (B, K)
        pseudo = self.pseudo_posterior()  # encoded once per batch, shared by the KL and the penalty
        slab, spike = self.pseudo_kl(posterior, pseudo)
        parts = {"kl_slab": (weights * slab).sum(1), "kl_spike": (weights * spike).sum(1)}
        share = weights / weights.sum(1, keepdim=True).clamp_min(1e-12)
        rho_bar = (share * pseudo.spike_prob.mean(1)[None]).sum(1).clamp(1e-7, 1 - 1e-7)  # (B,)
        sparsity = bernoulli_kl(torch.logit(rho_bar), self.prior_spike_logit, prob=rho_bar)
        return parts, {"sparsity": self.latent_dim * sparsity}

    def log_prior(self, z):
        raise ValueError("the learned prior depends on the input, so log p(z) (and the importance-weighted "
                         "likelihood) is not defined for it; use the ELBO (metrics.evaluate) instead.")

    def kl_per_dimension(self, posterior):
        raise ValueError("the learned prior's KL is a weighted sum over pseudo-inputs and depends on the input; "
                         "use model.regularizer(posterior, x) for its parts.")

    def sample_prior(self, num, generator=None):
        """The learned prior depends on the input; without one, a pseudo-input is chosen
        uniformly at random and z is drawn exactly from its spike-and-slab encoding."""
        with torch.no_grad():
            pseudo = self.pseudo_posterior()
        pick = torch.randint(self.config.num_pseudo_inputs, (num,), generator=generator, device=self.device)
        mu, std, pi = pseudo.mu[pick], (0.5 * pseudo.logvar[pick]).exp(), pseudo.spike_prob[pick]
        on = torch.rand(mu.shape, generator=generator, device=self.device) < pi
        return on.to(mu.dtype) * (mu + std * torch.randn(mu.shape, generator=generator, device=self.device))


#: the model classes by (kind, prior). Adding a variant is one class and one entry here (with
#: :func:`register_variant`): configurations accept its kind and prior, and :func:`build_model`
#: builds it; everything outside this module asks the model what it can do.
VARIANTS: dict[tuple[str, str], type[LatentModel]] = {
    ("ae", "fixed"): AE,
    ("vae", "fixed"): VAE,
    ("vsc", "fixed"): VSC,
    ("vsc", "learned"): LearnedPriorVSC,
}
#: the class of each kind with its default prior
MODELS: dict[str, type[LatentModel]] = {kind: cls for (kind, prior), cls in VARIANTS.items() if prior == "fixed"}
assert set(VARIANTS) == set(variants.NAMES), "vsc_lib.variants names the built-in classes of this module"


def register_variant(kind: str, prior: str, cls: type[LatentModel]) -> type[LatentModel]:
    """Add a model class under (kind, prior); a taken pair is an error."""
    if not (isinstance(cls, type) and issubclass(cls, LatentModel)):
        raise TypeError(f"a variant must be a LatentModel subclass, got {cls!r}.")
    if (kind, prior) in VARIANTS and VARIANTS[(kind, prior)] is not cls:
        raise ValueError(f"the variant kind={kind!r}, prior={prior!r} is already {VARIANTS[(kind, prior)].__name__}.")
    VARIANTS[(kind, prior)] = cls
    variants.add(kind, prior)
    if prior == "fixed":
        MODELS[kind] = cls
    return cls


kinds, priors = variants.kinds, variants.priors  # the registered names (vsc_lib.variants)


def build_model(config: ModelConfig, input_shape=(1, 28, 28)) -> LatentModel:
    """Instantiate the variant registered for ``(config.kind, config.prior)``."""
    if (config.kind, config.prior) not in VARIANTS:
        raise ValueError(f"no model for kind={config.kind!r} with prior={config.prior!r}; registered: "
                         + ", ".join(f"{k}/{p}" for k, p in VARIANTS) + ".")
    cls = VARIANTS[(config.kind, config.prior)]
    model = cls(config, input_shape)
    if config.init == "xavier":
        model.reset_parameters_xavier()
        if model.has_spikes:
            model.fill_spike_bias()
    return model
