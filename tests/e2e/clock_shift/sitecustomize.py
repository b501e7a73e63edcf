"""Moves one service's clock for a test stack (never used outside the tests).

A stack started with this folder on ``PYTHONPATH`` imports this module in every Python
process. Only the processes of the service ``BIZMALL_TEST_CLOCK_SHIFT`` names
(``billing=33``: ``python -m billing ...``) are affected: their one clock,
``servicekit.clock.Clock`` (``runtime.clock``: routes, handlers, jobs), runs that many
days ahead. Everything else — tokens, the outbox relay, the other services — keeps the
real time, as a service whose month has ended while the others' has not.
"""

from __future__ import annotations

import itertools
import os
import sys
from datetime import datetime, timedelta

_setting = os.environ.get("BIZMALL_TEST_CLOCK_SHIFT", "")
if "=" in _setting:
    _service, _, _days = _setting.partition("=")
    _argv = list(getattr(sys, "orig_argv", sys.argv))
    if any(a == "-m" and b == _service for a, b in itertools.pairwise(_argv)):
        from servicekit.clock import Clock

        _shift = timedelta(days=int(_days))
        _real = Clock.__call__

        def _shifted(self: Clock) -> datetime:
            return _real(self) + _shift

        Clock.__call__ = _shifted  # type: ignore[method-assign]
