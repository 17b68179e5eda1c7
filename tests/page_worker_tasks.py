"""Tasks for tests/test_ingest_bounds.py, importable by worker processes (not a test module)."""

from __future__ import annotations

import os
import time

import numpy as np


def init(_label: str) -> None:
    pass


def task(name: str) -> str:
    """Misbehave as the task's name says: hang, die, fail, eat memory, or answer."""
    if name.startswith("slow"):
        time.sleep(60)
    if name.startswith("wait"):  # "wait2.5": 2.5 s before answering (the tests say whether it was for a CPU)
        time.sleep(float(name[4:]))
    if name.startswith("die"):
        os._exit(1)
    if name.startswith("bug"):
        raise ValueError("broken decoder")
    if name.startswith("bomb"):
        return str(np.ones(8 * 1024 ** 3, np.uint8).sum())  # 8 GiB
    return name.upper()


def draft_or_die_on_odd_ids(task: tuple[int, bytes]):
    """A drafting worker's task (omr.scan.batch) whose process dies on a comment of an odd id."""
    from omr.scan.comments import draft_stored_task

    if task[0] % 2:
        os._exit(1)
    return draft_stored_task(task)
