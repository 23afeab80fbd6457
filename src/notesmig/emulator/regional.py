"""A site's regional settings as SharePoint keeps them: its locale and its time zone (by
SharePoint's own time zone ids), and the conversions SharePoint makes with them: the
site-local date-times ValidateUpdateListItem takes, and ``TimeZone/UtcToLocalTime``.

SharePoint reports each zone's ``Information`` (Bias, DaylightBias, StandardBias) but not when
daylight saving starts or ends, and reports a DaylightBias even for zones without daylight
saving (Tokyo: -60; zenn.dev/karamem0/articles/2022_01_14_180000): clients must ask
``UtcToLocalTime`` (same article) rather than compute from the biases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

#: The Japanese locale (LCID 1041), as the demo's site has it.
LOCALE_ID = 1041


@dataclass(frozen=True)
class SiteTimeZone:
    """One of SharePoint's time zones (its id and description) and the zone it follows."""

    id: int
    description: str
    iana: str
    bias: int
    daylight_bias: int

    def json(self) -> dict[str, Any]:
        """As ``RegionalSettings/TimeZone`` answers."""
        return {
            "Description": self.description,
            "Id": self.id,
            "Information": {
                "Bias": self.bias,
                "DaylightBias": self.daylight_bias,
                "StandardBias": 0,
            },
        }

    def to_local(self, moment: datetime) -> datetime:
        """A UTC instant as the site's wall-clock time (naive)."""
        return moment.astimezone(ZoneInfo(self.iana)).replace(tzinfo=None)

    def to_utc(self, local: datetime) -> datetime:
        """A site wall-clock time as UTC (an hour that occurs twice: its first occurrence)."""
        return local.replace(tzinfo=ZoneInfo(self.iana), fold=0).astimezone(UTC)


#: SharePoint's time zone ids (as PnP Framework's TimeZone enumeration lists them): Tokyo for
#: the demo's site, London to rehearse daylight saving.
ZONES: dict[int, SiteTimeZone] = {
    zone.id: zone
    for zone in (
        SiteTimeZone(20, "(UTC+09:00) Osaka, Sapporo, Tokyo", "Asia/Tokyo", -540, -60),
        SiteTimeZone(2, "(UTC) Dublin, Edinburgh, Lisbon, London", "Europe/London", 0, -60),
        SiteTimeZone(10, "(UTC-05:00) Eastern Time (US and Canada)", "America/New_York", 300, -60),
    )
}
TOKYO = ZONES[20]
