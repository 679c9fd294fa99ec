"""Times as people read them: `2026-11-20 09:30` in the community's time, durations in words."""


def minute(iso: str | None) -> str:
    """A local ISO 8601 instant (as records carry them) to the minute: `2026-11-20 09:30`."""
    return iso[:16].replace("T", " ") if iso else ""


def duration(out, minutes: int | float | None) -> str:
    """`3d 22h`, `45m` (English) or `3天22小时`, `45分钟` (Chinese), however long, never negative."""
    if minutes is None:
        return ""
    minutes = int(abs(minutes))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return out._("{days}d {hours}h", days=days, hours=hours) if hours else out._("{days}d", days=days)
    if hours:
        return out._("{hours}h {minutes}m", hours=hours, minutes=minutes) if minutes else out._("{hours}h", hours=hours)
    return out._("{minutes}m", minutes=minutes)
