"""numpy for nerv, with BLAS limited to one thread unless the user chose otherwise.

nerv's vector work is one small product per query. On a busy machine (agents running tests beside it)
OpenBLAS's spinning thread hand-off cost 8 ms for a 10,000-row product that takes 0.2 ms on one thread;
a hybrid search instead overlaps its vector scoring with the FTS5 query on a thread of its own
(nerv.services.search). The variables must be set before numpy is first imported, so every nerv module
takes numpy from here.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

__all__ = ["np"]
