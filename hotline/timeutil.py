"""Times as people here read them: China Standard Time, no seconds."""
from __future__ import annotations

import datetime as dt
from typing import Optional

CST = dt.timezone(dt.timedelta(hours=8), "CST")


def to_local(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """A naive-UTC (or aware) timestamp in China Standard Time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(CST)


def format_local(moment: Optional[dt.datetime]) -> str:
    local = to_local(moment)
    return "" if local is None else local.strftime("%Y-%m-%d %H:%M")


def format_deadline(moment: dt.datetime) -> str:
    local = to_local(moment)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def local_date(moment: dt.datetime) -> dt.date:
    """The China Standard Time date of a naive-UTC (or aware) timestamp."""
    return to_local(moment).date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Local midnight of `day` as naive UTC (how timestamps are stored)."""
    return dt.datetime.combine(day, dt.time(), CST).astimezone(dt.timezone.utc).replace(tzinfo=None)
