"""The suite under test (``bench/``) is a folder at the checkout's root, not an
installed package: ``python -m bench`` finds it from the root, these tests from here."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
# Appended, not put first: the root's folders never shadow the installed packages.
if ROOT not in sys.path:
    sys.path.append(ROOT)
