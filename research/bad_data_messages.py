"""The errors a user's bad data gets from vsc_lib.fit, as a user sees them (for the issue-11 note).

    python research/bad_data_messages.py > results/bad-data-messages.txt

Trains one tiny VSC on a random array (in a temporary cache), then feeds fit.fit / fit.encode
each kind of bad input and prints the exception's type and message.
"""

from __future__ import annotations

import tempfile

import numpy as np

from vsc_lib import fit


def main() -> None:
    x = np.random.default_rng(0).random((300, 20)).astype("float32")
    with tempfile.TemporaryDirectory() as cache:
        run = fit.fit(x, latent_dim=4, hidden_dim=16, epochs=1, cache=cache, progress=False)
        cases = {
            "batch of the wrong shape": lambda: fit.encode(run, x[:, :10]),
            "NaN values": lambda: fit.encode(run, np.where(np.arange(20) == 3, np.nan, x)),
            "infinite values": lambda: fit.encode(run, np.where(np.arange(20) == 3, np.inf, x)),
            "values outside [0, 1] (Bernoulli)": lambda: fit.encode(run, 2 * x),
            "an empty array": lambda: fit.encode(run, x[:0]),
            "a dtype that is not numeric": lambda: fit.encode(run, x.astype(str)),
            "one example without its batch axis": lambda: fit.encode(run, x[0]),
            "a ragged list": lambda: fit.encode(run, [[1.0, 2.0], [3.0]]),
            "labels of the wrong length": lambda: fit.fit(x, labels=np.zeros(299, dtype=int), cache=cache, progress=False),
            "labels that are not integers": lambda: fit.fit(x, labels=np.zeros(300), cache=cache, progress=False),
            "test examples of another shape": lambda: fit.fit(x, x_test=x[:, :5], cache=cache, progress=False),
            "all-zero examples (normalised Gaussian)": lambda: fit.fit(np.zeros((10, 4)), likelihood="normalised_gaussian",
                                                                      cache=cache, progress=False),
            "an out-of-range hyper-parameter": lambda: fit.fit(x, alpha=2.0, cache=cache, progress=False),
        }
        for what, call in cases.items():
            try:
                call()
                print(f"- {what}: NO ERROR (a bug)")
            except Exception as error:  # print whatever the user would see
                print(f"- {what}: {type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
