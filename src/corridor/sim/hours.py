"""When simulated things happen in a day (UTC): traffic hours, the quiet night, syncs, dwells.

Kept apart from :mod:`.traffic` because the scenario rules need them too (a silent post must fall
in the quiet night, when no vehicle needs that post), and the rules load before the simulation.
"""

from __future__ import annotations

from datetime import time, timedelta

#: Departures run between these hours (UTC), about 06:00 to 20:00 local time (UTC+4).
DAY_START_UTC = time(2, 0)
DAY_LENGTH = timedelta(hours=14)
#: From here to the next day's start no trip is on the road: the last departure (16:00) has
#: arrived, even after an inspection and the slowest incident of its day.
QUIET_START_UTC = time(20, 0)
#: A post node pulls the registry every ten minutes (docs/sync.md): HQ hears from an active post
#: at least this often while its link is up, day and night.
SYNC_INTERVAL = timedelta(minutes=10)
INSPECTION_TIME = timedelta(minutes=20)
#: How long a tracked vehicle stands at its entry checkpoint before it passes, and at its exit
#: checkpoint after it arrived (a queue and the paperwork; far below any long-stop threshold).
DWELL_AT_POST = timedelta(minutes=3)
#: When an incident that takes a time of day starts, unless the scenario gives ``at`` (UTC).
DEFAULT_AT = time(5, 0)
#: HQ's default grace either side of a crew's working window (the monitor's
#: ``CrewConfig.window_grace``, which the simulator may not import): a crew working on past its
#: window must do so for longer than this, and its alert opens once this has passed.
CREW_WINDOW_GRACE = timedelta(minutes=15)


def in_quiet_hours(start: timedelta, length: timedelta) -> bool:
    """Whether ``length`` from ``start`` (time since midnight) stays within the quiet night."""
    quiet_from = timedelta(hours=QUIET_START_UTC.hour, minutes=QUIET_START_UTC.minute)
    quiet_to = timedelta(days=1, hours=DAY_START_UTC.hour, minutes=DAY_START_UTC.minute)
    if start < timedelta(hours=DAY_START_UTC.hour, minutes=DAY_START_UTC.minute):
        start += timedelta(days=1)  # 00:30 is the quiet night that began the evening before
    return quiet_from <= start and start + length <= quiet_to
