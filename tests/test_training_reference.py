"""Runs that leave the authors'-recipe fields at their defaults train exactly as before them."""

from __future__ import annotations

import json

import pytest

from tests.training_reference import CASES, REFERENCE, case_config, cpu_fingerprint, losses_agree, run_case
from vsc_lib.config import config_hash

RECORD = json.loads(REFERENCE.read_text())
#: bit-identity is only promised on CPUs whose exact results are recorded (see training_reference)
EXACT = RECORD.get("machines", {}).get(cpu_fingerprint())


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_run_cached_under_cache_version_1_is_reused(name):
    """The reference holds each case's run name under cache version 1 (with its hash shims); the
    version bump renamed every run, so those folders are never read (they are retrained)."""
    assert config_hash(case_config(name)) != RECORD["cases"][name]["config_hash"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_default_fields_train_bit_identically(name):
    got = run_case(name)
    assert losses_agree(got["history"], RECORD["cases"][name]["history"]) == []
    if EXACT is not None:  # a CPU whose exact results were recorded
        assert got["history"] == EXACT[name]["history"]
        assert got["weights_sha256"] == EXACT[name]["weights_sha256"]


def test_losses_agree_finds_a_changed_loss():
    history = RECORD["cases"]["vae"]["history"]
    changed = [dict(row) for row in history]
    changed[-1]["test_neg_elbo"] = repr(float(changed[-1]["test_neg_elbo"]) + 1.0)
    assert losses_agree(history, history) == []
    assert losses_agree(changed, history) == [f"epoch {len(history) - 1} test_neg_elbo: "
                                              f"{changed[-1]['test_neg_elbo']} vs {history[-1]['test_neg_elbo']}"]
