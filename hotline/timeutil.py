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
