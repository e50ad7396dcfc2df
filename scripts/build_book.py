"""Execute every chapter notebook with papermill into book/, then build the HTML with Jupyter Book.

Usage: python scripts/build_book.py [--profile book|quick|paper] [--only 01_autoencoders ...] [--no-html]

Chapters are independent and run two at a time (--jobs), one torch thread each; each one's wall
time and the total are printed and written to _build/timings-<profile>.json. The executed copies in book/
are build products: they are regenerated here and never committed.

Chapters execute on papermill's nbclient engine with one change (``SteppedPollEngine``): the
kernel client waits on its channels in polls of at most half a second. A waiting ZeroMQ poll
sometimes misses a reply that has arrived and returns only at its own timeout
(jupyter/nbclient#312). That is the "hang" of chapter 4's widget cell: 11 minutes in session 10
(no timeout), 605 s in a CI run of session 11 (cell timeout 600 s), and exactly 120.03 s in 1 of
40 repeated executions in session 12 (cell timeout 120 s,
``research/quick_book_repeat.py``), each time with no error. With the stepped polls active
(session 13), 120 repeated executions had none.

A cell that gets no reply within --cell-timeout seconds (default 600 s in the quick profile, where
no cell needs a minute; none in the others, whose cold cells train for hours) fails with a clear
message, and its chapter is executed once more, as it is when a kernel does not start within
300 s or dies (a CI run of session 10 saw a kernel not answer within papermill's default 60 s);
the run cache makes a second execution cheap. A chapter whose slowest cell took long (30 s in the
quick profile) names that cell when it finishes, and the time outside all its cells when that
was long.

The book and paper profiles render book/ into _build/html/. The quick profile (CI, `make test`) works in a
copy, .book-quick/, and renders into _build/quick/_build/html/, so a test run never replaces a
real build.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill
from nbclient.exceptions import CellTimeoutError
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger as papermill_logger

from vsc_lib.book import chapter_key
from vsc_lib.sphinx_chapters import toc_chapters

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BOOK = ROOT / "book"
HIDDEN_TAGS = {"parameters", "injected-parameters"}
#: measured cold full-profile seconds per chapter (one at a time), used only to order the work
CHAPTER_WEIGHT = {"06_quantitative": 1800, "01_autoencoders": 378, "02_vae": 205, "03_beta_vae": 213, "04_vsc": 329,
                  "05_experiments": 433, "07_smiley": 700, "08_har": 300}


#: the notice on every chapter of a quick-profile book, after its title
QUICK_NOTICE = (":::{warning}\n**Smoke-test build.** This page was built in the quick profile (`make test`): every run "
                "behind its numbers, tables and figures trained on a small subset for one epoch or a few hundred "
                "iterations. They show that the chapter runs, not what the models do; they are not results. "
                "`make book` builds the book's results.\n:::")


def tidy_for_the_book(path: Path, profile: str = "book") -> None:
    """Tag papermill's parameter cells ``remove-cell`` (no parameter noise in the book) and drop
    saved widget state, whose presence makes the HTML load the widget manager from a CDN (the
    explorer's output is removed from the static pages anyway). In the quick profile, put
    :data:`QUICK_NOTICE` under the chapter's title. Stamp the chapter with its
    :func:`vsc_lib.book.chapter_key`, which tells the plain ``jupyter-book build book/`` that it is current."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("widgets", None)
    notebook.metadata["vsc_build"] = {"profile": profile, "key": chapter_key(path.stem, profile)}
    if profile == "quick":
        title = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown")
        notebook.cells.insert(title + 1, nbformat.v4.new_markdown_cell(QUICK_NOTICE))
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if HIDDEN_TAGS & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(notebook, path)


def source_folder(profile: str) -> Path:
    """book/ for the book and paper profiles; for the quick one a sibling copy of its prose and links (a
    sibling, so that relative includes such as ../vsc_lib/models.py still resolve)."""
    if profile != "quick":
        return BOOK
    folder = ROOT / ".book-quick"
    folder.mkdir(exist_ok=True)
    for item in BOOK.iterdir():
        if item.suffix == ".ipynb" or item.name.startswith("."):
            continue
        link = folder / item.name
        if not link.is_symlink():
            if link.exists():
                raise FileExistsError(f"{link} is in the way of the quick build's link to {item}")
            link.symlink_to(Path("..") / "book" / item.name)
    return folder


def html_folder(profile: str) -> Path:
    return ROOT / "_build" / "quick" / "_build" / "html" if profile == "quick" else ROOT / "_build" / "html"


#: seconds a cell may run before the build gives up on it, per profile (None: no limit)
CELL_TIMEOUT: dict[str, int | None] = {"quick": 600, "book": None, "paper": None}
#: a chapter whose slowest cell took at least this long names it (a quick cell takes seconds)
SLOW_CELL = {"quick": 30.0, "book": 600.0, "paper": 600.0}


def slowest_cell(path: Path) -> tuple[int, float, str] | None:
    """(index, seconds, first line of its source) of the executed notebook's slowest code cell, from
    papermill's per-cell durations; None when none is recorded. Printed for a chapter that took
    long, so that a hang (papermill waiting on a lost reply) names its cell."""
    notebook = nbformat.read(path, as_version=4)
    timed = [(i, float(c.metadata.get("papermill", {}).get("duration") or 0.0), c.source.strip().split("\n")[0])
             for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    return max(timed, key=lambda t: t[1]) if timed else None


def slow_note(path: Path, wall: float, threshold: float) -> str:
    """What to print after a chapter that took ``wall`` seconds: its slowest cell when that took
    ``threshold`` seconds or more, and the time spent outside all cells (kernel start, the
    final kernel_info reply, shutdown) when that did; empty when neither did."""
    notebook = nbformat.read(path, as_version=4)
    in_cells = sum(float(c.metadata.get("papermill", {}).get("duration") or 0.0)
                   for c in notebook.cells if c.cell_type == "code")
    notes = []
    slowest = slowest_cell(path)
    if slowest and slowest[1] >= threshold:
        notes.append(f"slowest cell {slowest[0]}: {slowest[1]:.0f} s, `{slowest[2][:60]}`")
    if wall - in_cells >= threshold:
        notes.append(f"{wall - in_cells:.0f} s outside its cells (kernel start, final kernel_info reply, shutdown)")
    return f" ({'; '.join(notes)})" if notes else ""


#: longest single wait on a kernel channel (seconds); see :func:`poll_in_steps`
POLL_STEP = 0.5
ENGINE = "vsc-stepped-polls"


def poll_in_steps(channel, step: float = POLL_STEP) -> None:
    """Make ``channel.get_msg(timeout)`` wait in polls of at most ``step`` seconds until its timeout.

    A reply that has arrived is sometimes not noticed by a waiting poll of the channel's ZeroMQ
    socket; the poll then returns only when its own timeout ends, and the check it makes then finds
    the reply (jupyter/nbclient#312: a widget cell "sometimes blocks"). Measured here: chapter 4's
    widget cell took exactly the cell timeout, 120.03 s, in 1 of 40 executions, and in CI 600 s,
    with no error. Polls of ``step`` seconds bound that loss to ``step``; an absent message still
    raises ``queue.Empty`` after ``timeout`` (none: wait for ever, as before)."""
    from queue import Empty

    single = channel.get_msg

    async def get_msg(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = step if deadline is None else max(0.0, min(step, deadline - time.monotonic()))
            try:
                return await single(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


class _SteppedPollClient(PapermillNotebookClient):
    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        for channel in (client.shell_channel, client.iopub_channel):
            poll_in_steps(channel)
        return client

    # nbclient defines the synchronous form once, from its own coroutine, and papermill's
    # ``execute`` goes through it (``setup_kernel``): without this line the override above is
    # never called when a chapter is executed, only on the asynchronous path
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


class SteppedPollEngine(NBClientEngine):
    """papermill's nbclient engine, with a kernel client whose waits are :func:`poll_in_steps`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kwargs.pop("input_path", None)
        kwargs.pop("startup_timeout", None)
        timeout = execution_timeout or kwargs.pop("timeout", None)
        client = _SteppedPollClient(nb_man, timeout=timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                                    log=papermill_logger, log_output=log_output, stdout_file=stdout_file,
                                    stderr_file=stderr_file, **kwargs)
        return client.execute()


papermill_engines.register(ENGINE, SteppedPollEngine)


def execute(name: str, profile: str, folder: Path, cell_timeout: int | None = None) -> float:
    source, target = NOTEBOOKS / f"{name}.ipynb", folder / f"{name}.ipynb"
    began = time.perf_counter()
    papermill.execute_notebook(str(source), str(target), parameters={"profile": profile}, kernel_name="python3",
                               engine_name=ENGINE, cwd=str(NOTEBOOKS), progress_bar=False, log_output=False,
                               execution_timeout=cell_timeout, start_timeout=300)
    tidy_for_the_book(target, profile)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="book", choices=["book", "quick", "paper"])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--no-html", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at the same time (default 2)")
    parser.add_argument("--into", type=Path, default=None,
                        help="execute into this folder instead of the profile's (the plain jupyter-book build uses book/)")
    parser.add_argument("--cell-timeout", type=int, default=None,
                        help="seconds a cell may wait for its reply (default: 600 in the quick profile, else none)")
    args = parser.parse_args()
    cell_timeout = args.cell_timeout if args.cell_timeout is not None else CELL_TIMEOUT[args.profile]
    if cell_timeout is not None and cell_timeout <= 0:
        parser.error(f"--cell-timeout {cell_timeout:g}: give a positive whole number of seconds")
    names = toc_chapters(ROOT / "_toc.yml")  # every chapter the table of contents names, whatever its file name
    if args.only:
        names = [n for n in names if n in args.only]
    timings = {}
    total = time.perf_counter()
    if args.jobs > 1:
        # chapters are independent (no two train the same run), so they execute side by side;
        # one thread per kernel: on 2 cores two one-thread trainings do ~1.8x the work of one
        os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    failed = []
    # prepared once, before the workers start: two chapters preparing it at the same time raced
    # (one saw the other's fresh link as a file in the way)
    folder = args.into.resolve() if args.into else source_folder(args.profile)
    folder.mkdir(parents=True, exist_ok=True)

    def run(name: str, attempts: int = 2) -> None:
        print(f"[book] executing {name} ({args.profile} profile)", flush=True)
        try:
            timings[name] = execute(name, args.profile, folder, cell_timeout)
        except (CellTimeoutError, RuntimeError) as error:  # no reply, a kernel that did not start or died
            what = (f"a cell got no reply within {cell_timeout} s" if isinstance(error, CellTimeoutError)
                    else f"its kernel failed ({error})")
            if attempts > 1:
                print(f"[book] {name}: {what}; executing the chapter again", file=sys.stderr, flush=True)
                run(name, attempts - 1)
            else:
                failed.append(name)
                print(f"[book] {name} failed twice: {what} (raise --cell-timeout if a cell of this profile "
                      "needs longer)", file=sys.stderr)
            return
        except papermill.PapermillExecutionError as error:
            failed.append(name)
            print(f"[book] {name} failed in cell {error.exec_count}: {error.ename}: {error.evalue}", file=sys.stderr)
            print(f"[book] the executed copy with the traceback is {folder.name}/{name}.ipynb",
                  file=sys.stderr)
            return
        note = slow_note(folder / f"{name}.ipynb", timings[name], SLOW_CELL[args.profile])
        print(f"[book]   {name} done in {timings[name]:.0f} s{note}", flush=True)

    # longest chapters first, so the two workers finish at about the same time
    order = sorted(names, key=lambda n: -CHAPTER_WEIGHT.get(n, 0))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(run, order))
    if failed:
        return 1
    timings["chapters (wall)"] = time.perf_counter() - total
    if not args.no_html:
        command = [str(Path(sys.executable).with_name("jupyter-book")), "build", f"{folder.name}/", "--all", "-W", "--keep-going"]
        if args.profile == "quick":
            command += ["--path-output", str(html_folder(args.profile).parent.parent)]
        print(f"[book] {' '.join(command[1:])}", flush=True)
        began = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT)
        timings["jupyter-book"] = time.perf_counter() - began
        if result.returncode != 0:
            return result.returncode
    timings["total"] = time.perf_counter() - total
    out = ROOT / "_build" / f"timings-{args.profile}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(timings, indent=2) + "\n")
    print(f"[book] total {timings['total']:.0f} s; timings in {out.relative_to(ROOT)}; HTML in "
          f"{html_folder(args.profile).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    raise SystemExit(main())
