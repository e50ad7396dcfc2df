"""What a stale and a corrupted evidence record print, as a user sees them (for the issue-27 note).

    python research/evidence_messages.py > results/evidence-messages.txt

Works on a copy of two records in a temporary store; the real store is not touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from vsc_lib.config import RunConfig, config_hash, run_name

ROOT = Path(__file__).resolve().parent.parent
CELL = "latent/book/mnist_vae_j8_s0.json"


def show(title: str, command: list[str], env: dict) -> None:
    print(f"## {title}\n\n$ {' '.join(command[1:])}")
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    text = (out.stdout + out.stderr).strip().splitlines()
    print("\n".join(line for line in text if "[evidence]" in line or "evidence" in line.lower())[-3000:])
    print(f"(exit code {out.returncode})\n")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="vsc-evidence-demo-") as folder:
        store = Path(folder) / "evidence"
        (store / "latent" / "book").mkdir(parents=True)
        shutil.copy(ROOT / "evidence" / CELL, store / CELL)
        env = dict(os.environ, VSC_EVIDENCE_DIR=str(store), VSC_CACHE_DIR=str(Path(folder) / "cache"))
        check = [sys.executable, "scripts/evidence.py", "check"]
        # stale: the record of another configuration (as if the code had changed), consistently hashed
        record = json.loads((store / CELL).read_text())
        config = RunConfig.from_dict(record["config"]).replace(train={"num_epochs": 5})
        record |= {"config": config.to_dict(), "run": run_name(config), "config_hash": config_hash(config)}
        (store / CELL).write_text(json.dumps(record))
        show("a stale record", check, env)
        only = [sys.executable, "-c", "from vsc_lib.studies import STUDIES; from vsc_lib.sweep import run_grid; "
                "run_grid(STUDIES['latent']['book'], workers=1, cells=[('mnist', 'vae', 8, 0)], progress=False)"]
        show("a stale record in a build that may not train (VSC_EVIDENCE=only)", only, env | {"VSC_EVIDENCE": "only"})
        # corrupted: a field missing
        del record["history"]
        (store / CELL).write_text(json.dumps(record))
        show("a corrupted record", check, env)
        (store / CELL).write_text("{ not json")
        show("a record that is not JSON, read by a build", only, env)


if __name__ == "__main__":
    main()
