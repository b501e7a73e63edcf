"""The contact center's phone and hours: the one default every service's settings start from.

R14 and R20 send a member to the contact center; the hours are always given with the days
it is closed (Saturdays, Sundays, national holidays and the year-end break), never as a bare
"weekdays". Each service may still override them through its own settings; the web client's
copy (``web/src/contact-center.ts``) is checked against these by
``tests/architecture/test_help_covers_the_guide.py``.
"""

from __future__ import annotations

from typing import Final

CONTACT_CENTER_PHONE: Final = "0120-003300"
CONTACT_CENTER_HOURS_JA: Final = "9:00〜17:00、土曜・日曜・祝日・年末年始は休業"
CONTACT_CENTER_HOURS_EN: Final = (
    "9:00–17:00, closed on Saturdays, Sundays, national holidays and the year-end break"
)
