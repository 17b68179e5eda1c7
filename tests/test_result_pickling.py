"""A page's result crosses from a reading worker to the storing process pickled (issue #18)."""

from __future__ import annotations

import pickle

import numpy as np

from omr.model import MARKED, BoxRead


def test_box_positions_pickle_as_plain_floats():
    # The reader finds positions with NumPy (np.float64); pickled as such, every box carried a NumPy
    # scalar's reduce: 4x the pickling time, and the parent had to import NumPy to read results.
    read = BoxRead("B1", "3", MARKED, 0.41, 0.8, 0.95, np.float64(31.25), np.float64(63.17), 5.0, 5.0)
    blob = pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"numpy" not in blob
    back = pickle.loads(blob)
    assert (back.x, back.y) == (31.25, 63.17)
    assert type(back.x) is float and type(back.y) is float
