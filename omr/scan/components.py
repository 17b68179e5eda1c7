"""Connected components of a binary image, the fast way OpenCV offers (issue #18).

OpenCV 5's ``connectedComponentsWithStats`` with 8-connectivity takes 2-3x as
long with its default 32-bit labels as with 16-bit ones (1.4 ms against 0.6 ms
on a page's 584 x 413 overview, 5.6 ms against 1.8 ms on 1169 x 827, one
thread, measured on this project's machine): the same algorithm, the same
labels, statistics and centroids (tested on random images). 16-bit labels are
used whenever no image of that size can hold more components than they count.
"""

from __future__ import annotations

import cv2
import numpy as np

# The most labels a 16-bit label image holds (0 is the background).
_MAX_U16_LABELS = 65535


def components_with_stats(binary: np.ndarray, connectivity: int = 8
                          ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats(binary, connectivity=connectivity)``, the same four results
    (count, int32 labels h x w, int32 stats (count, 5), float64 centroids (count, 2)).

    ``binary``: uint8 (or int8), h x w, nonzero = foreground. With 8-connectivity two components
    never touch, so an image holds at most ceil(h/2) * ceil(w/2) of them (one pixel in each 2 x 2
    block): below 2^16 labels OpenCV labels with 16 bits, much faster, and the labels come back as
    int32 as before. 4-connectivity (no faster with 16 bits) and larger images go as they went.
    """
    h, w = binary.shape[:2]
    if connectivity == 8 and ((h + 1) // 2) * ((w + 1) // 2) + 1 <= _MAX_U16_LABELS:
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8,
                                                                           ltype=cv2.CV_16U)
        return count, labels.astype(np.int32), stats, centroids
    return cv2.connectedComponentsWithStats(binary, connectivity=connectivity)
