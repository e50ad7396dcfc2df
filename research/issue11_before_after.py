"""Issue 11's before/after table, measured from git: for two commits, the model-type branches
outside ``vsc_lib/models.py``, the lists that repeat dataset knowledge, the files a new dataset
and a new variant must touch, and the lines and ``def``s of chapters 6-8.

    python research/issue11_before_after.py [BEFORE] [AFTER]   # default: eda3003 HEAD

"Files to touch" counts the files that name every registered dataset (or model kind) in a list,
a table or an if-chain, plus the new module itself; the registries' tests
(tests/test_datasets.py, tests/test_variants.py) add a dataset and a variant without touching
any other file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

BRANCHES = re.compile(r"spike_prob is (?:not )?None|isinstance\([^)]*\b(?:VSC|VAE|AE|LearnedPriorVSC)\b"
                      r"|config\.kind (?:==|!=)|model\.kind (?:==|!=)|is_vsc")
DATASET_LISTS = re.compile(r"^(?:\w+, )?(DATASETS|REAL_VALUED_DATASETS|INPUT_SHAPES|FACTOR_DATASETS|IMAGE_DATASETS|"
                           r"CLASSES|SMILEY_CLASSES|_TORCHVISION_FOLDER)\b[^=\n]*=", re.M)
DATASET_CHAIN = re.compile(r'(?:name|dataset) == "(?:smiley|har|mnist|array)"')
KIND_LISTS = re.compile(r"^\s*(MODEL_KINDS|PRIORS|MODELS)\s*[:=]|config\.kind == \"vsc\" and config\.prior", re.M)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def library_files(commit: str) -> dict[str, str]:
    names = [n for n in git("ls-tree", "-r", "--name-only", commit, "vsc_lib").split() if n.endswith(".py")]
    return {n: git("show", f"{commit}:{n}") for n in names}


def measure(commit: str) -> dict:
    files = library_files(commit)
    # losses.py's `spike_prob is None` is an optional argument of a loss, not a test of the model's type
    outside = {n: t for n, t in files.items() if n not in ("vsc_lib/models.py", "vsc_lib/losses.py")}
    branches = sum(len(BRANCHES.findall(t)) for t in outside.values())
    # a dataset module's own tables (its classes, its checksums) are that dataset's, not a list of all
    shared = {n: t for n, t in files.items() if not n.startswith("vsc_lib/datasets/")}
    dataset_files = sorted(n for n, t in shared.items() if DATASET_LISTS.search(t) or DATASET_CHAIN.search(t))
    kind_files = sorted(n for n, t in outside.items() if KIND_LISTS.search(t) or BRANCHES.search(t))
    chapters = {}
    for name in ("06_quantitative", "07_smiley", "08_har"):
        notebook = json.loads(git("show", f"{commit}:notebooks/{name}.ipynb"))
        code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
        chapters[name] = {"code lines": sum(len(c.splitlines()) for c in code),
                          "defs": sum(len(re.findall(r"^\s*def ", c, re.M)) for c in code)}
    return {"commit": git("rev-parse", "--short", commit).strip(), "model-type branches outside models": branches,
            "files listing the datasets": dataset_files, "files to touch for a dataset": len(dataset_files) + 1,
            "files testing the model type": kind_files,
            "files to touch for a variant": len(kind_files) + (1 if "MODELS" not in files["vsc_lib/models.py"] else 0) + 1,
            "chapters": chapters}


def main() -> None:
    before, after = (sys.argv[1:3] + ["eda3003", "HEAD"][len(sys.argv[1:3]):])
    rows = [measure(before), measure(after)]
    print(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
