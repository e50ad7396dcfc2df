"""The book build's own logic: naming the slowest cell of an executed chapter, or the time outside its cells;
the kernel channel waits that cannot miss a reply for longer than one poll step."""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import nbformat
import papermill
from papermill.engines import NotebookExecutionManager, papermill_engines

from scripts import build_book
from scripts.build_book import ENGINE, SteppedPollEngine, _SteppedPollClient, poll_in_steps, slow_note, slowest_cell


def _notebook(tmp_path, durations):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell("# title"))
    for i, duration in enumerate(durations):
        cell = nbformat.v4.new_code_cell(f"step_{i}()\nmore()")
        if duration is not None:
            cell.metadata["papermill"] = {"duration": duration}
        notebook.cells.append(cell)
    path = tmp_path / "chapter.ipynb"
    nbformat.write(notebook, path)
    return path


def test_the_slowest_code_cell_is_named_with_its_first_line(tmp_path):
    assert slowest_cell(_notebook(tmp_path, [0.5, 601.2, None, 3.0])) == (2, 601.2, "step_1()")


def test_a_notebook_without_timed_code_cells_names_none(tmp_path):
    assert slowest_cell(_notebook(tmp_path, [])) is None
    assert slowest_cell(_notebook(tmp_path, [None]))[1] == 0.0


def test_a_slow_chapter_names_its_slow_cell_or_the_time_outside_its_cells(tmp_path):
    path = _notebook(tmp_path, [0.5, 601.2, 3.0])
    assert slow_note(path, 606.0, 30.0) == " (slowest cell 2: 601 s, `step_1()`)"
    assert slow_note(path, 700.0, 30.0) == (" (slowest cell 2: 601 s, `step_1()`; 95 s outside its cells "
                                            "(kernel start, final kernel_info reply, shutdown))")
    quick = _notebook(tmp_path, [0.5, 2.0, 1.5])
    assert slow_note(quick, 609.0, 30.0) == " (605 s outside its cells (kernel start, final kernel_info reply, shutdown))"
    assert slow_note(quick, 9.0, 30.0) == ""


class _MissedWakeUps:
    """A channel whose wait, like the ZeroMQ poll of jupyter/nbclient#312, notices a message only
    when it starts or when its own timeout ends."""

    def __init__(self, arrives_after: float | None):
        self.arrives = None if arrives_after is None else time.monotonic() + arrives_after

    async def get_msg(self, timeout=None):
        if self.arrives is not None and time.monotonic() >= self.arrives:
            return {"msg": "reply"}
        await asyncio.sleep(3600 if timeout is None else timeout)
        if self.arrives is not None and time.monotonic() >= self.arrives:
            return {"msg": "reply"}
        raise Empty


def _timed(channel, timeout):
    began = time.monotonic()
    try:
        result = asyncio.run(channel.get_msg(timeout=timeout))
    except Empty:
        result = "empty"
    return result, time.monotonic() - began


def test_a_missed_wake_up_costs_one_poll_step_not_the_whole_timeout():
    assert _timed(_MissedWakeUps(arrives_after=0.1), 2.0)[1] >= 1.9  # the bug, unpatched
    channel = _MissedWakeUps(arrives_after=0.1)
    poll_in_steps(channel, step=0.05)
    result, waited = _timed(channel, 2.0)
    assert result == {"msg": "reply"} and waited < 0.5
    channel = _MissedWakeUps(arrives_after=0.1)
    poll_in_steps(channel, step=0.05)
    assert _timed(channel, None)[0] == {"msg": "reply"}  # no timeout: waits until it comes


def test_stepped_polls_still_time_out_when_nothing_comes():
    channel = _MissedWakeUps(arrives_after=None)
    poll_in_steps(channel, step=0.05)
    result, waited = _timed(channel, 0.3)
    assert result == "empty" and 0.29 <= waited < 0.6


def test_the_book_executes_chapters_with_the_stepped_poll_engine():
    assert papermill_engines.get_engine(ENGINE) is SteppedPollEngine


def test_a_chapter_executed_through_papermill_waits_in_steps(tmp_path, monkeypatch):
    """A real kernel, on papermill's own (synchronous) path, the one the build takes: both reply
    channels of the client that executes the notebook are wrapped. (Overriding only nbclient's
    coroutine left this path unwrapped; this test failed then.)"""
    wrapped = []

    def recording(channel, step=build_book.POLL_STEP):
        wrapped.append(type(channel).__name__)
        poll_in_steps(channel, step)

    monkeypatch.setattr(build_book, "poll_in_steps", recording)
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("answer = 6 * 7\nanswer"))
    source, target = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, source)
    papermill.execute_notebook(str(source), str(target), kernel_name="python3", engine_name=ENGINE,
                               progress_bar=False, execution_timeout=60, start_timeout=120)
    assert len(wrapped) == 2
    assert nbformat.read(target, as_version=4).cells[0].outputs[0]["data"]["text/plain"] == "42"


def test_the_engines_kernel_client_waits_in_steps_on_the_asynchronous_path_too():
    """A real kernel: the client built by nbclient's coroutine has both reply channels wrapped."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    client = _SteppedPollClient(NotebookExecutionManager(notebook, progress_bar=False), kernel_name="python3", timeout=60)

    async def start_and_stop():
        async with client.async_setup_kernel():
            return [c.get_msg.__qualname__ for c in (client.kc.shell_channel, client.kc.iopub_channel)]

    assert asyncio.run(start_and_stop()) == ["poll_in_steps.<locals>.get_msg"] * 2
