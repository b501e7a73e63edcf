"""Japanese national holidays, from the `holidays` package.

Why `holidays` and not `jpholiday`: both were compared day by day over
2019–2031 (holidays 0.109, jpholiday 1.0.3) and agree on every date, including
the 2019 enthronement holidays, the Olympic moves of 2020 and 2021
(Marine/Sports/Mountain Day), the Emperor's Birthday moving from 23 December to
23 February in 2020, substitute holidays (振替休日, e.g. 2025-11-24, 2026-05-06)
and citizens' holidays (国民の休日, 2026-09-22, 2032-09-21). `holidays` is the
more actively released of the two, gives names in Japanese and English from one
source, and states its supported range (1949–2099), which lets this module
refuse dates it cannot answer for instead of silently calling them workdays.
The pinned cases live in `tests/test_national_holidays.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

import holidays

#: Languages holiday names are available in.
Language = Literal["ja", "en"]

#: Years the holiday source covers; dates outside it raise ``ValueError``.
SUPPORTED_YEARS = range(holidays.Japan.start_year, holidays.Japan.end_year + 1)

_SOURCE_LANGUAGE = {"ja": "ja", "en": "en_US"}


@lru_cache(maxsize=512)
def _holidays_of(year: int, language: Language) -> Mapping[date, str]:
    # One immutable table per year: the lookup stays cheap and thread-safe,
    # unlike the lazily self-extending dict `holidays` returns.
    if year not in SUPPORTED_YEARS:
        raise ValueError(
            f"the Japanese holiday calendar covers {SUPPORTED_YEARS.start}–"
            f"{SUPPORTED_YEARS.stop - 1}, not {year}"
        )
    table = holidays.Japan(years=year, language=_SOURCE_LANGUAGE[language])
    return MappingProxyType(dict(table))


def holiday_name(d: date, *, language: Language = "ja") -> str | None:
    """The national holiday's name on ``d`` (e.g. ``"振替休日"``), or None on other days.

    Substitute (振替休日) and citizens' (国民の休日) holidays count as national
    holidays. The year-end break is not a national holiday (see
    ``is_year_end_break``). Raises ``ValueError`` outside ``SUPPORTED_YEARS``.
    """
    return _holidays_of(d.year, language).get(d)


def is_national_holiday(d: date) -> bool:
    """True when ``d`` is a Japanese national holiday, substitute and citizens' included."""
    return holiday_name(d) is not None
