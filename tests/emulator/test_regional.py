"""The sites' regional settings: SharePoint's time zones, and the conversions SharePoint makes
with them (site-local dates in ValidateUpdateListItem, TimeZone/UtcToLocalTime)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from notesmig.emulator.config import EmulatorConfig, EmulatorConfigError
from notesmig.emulator.regional import TOKYO, ZONES
from notesmig.emulator.server import EmulatorProcess

REST = "/sites/notes-migration/_api/web/RegionalSettings/TimeZone"


def test_tokyo_has_no_daylight_saving_whatever_its_daylight_bias_says() -> None:
    assert TOKYO.json()["Information"]["DaylightBias"] == -60  # as SharePoint reports it
    for month in (1, 7):
        assert TOKYO.to_local(datetime(2024, month, 1, 0, 0, tzinfo=UTC)) == datetime(
            2024, month, 1, 9, 0
        )


def test_london_keeps_summer_time_and_its_doubled_hour_is_the_first() -> None:
    london = ZONES[2]
    assert london.to_local(datetime(2024, 7, 1, 12, 0, tzinfo=UTC)) == datetime(2024, 7, 1, 13, 0)
    assert london.to_local(datetime(2024, 1, 1, 12, 0, tzinfo=UTC)) == datetime(2024, 1, 1, 12, 0)
    # 27 October 2024 01:30 happens twice in London: SharePoint's parse takes the first (BST).
    assert london.to_utc(datetime(2024, 10, 27, 1, 30)) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


def test_an_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmulatorConfigError, match="time zone 999"):
        EmulatorConfig(tmp_path, time_zone=999)


def test_utc_to_local_time_answers_in_both_odata_shapes(emulator: EmulatorProcess) -> None:
    client = httpx.Client(base_url=emulator.url, headers={"Authorization": "Bearer t"})
    plain = client.get(f"{REST}/UtcToLocalTime('2021-01-01T00:00:00Z')",
                       headers={"Accept": "application/json;odata=nometadata"})  # fmt: skip
    assert plain.json() == {"value": "2021-01-01T09:00:00"}
    verbose = client.post(f"{REST}/utctolocaltime('2021-06-30T20:30:00Z')",
                          headers={"Accept": "application/json;odata=verbose"})  # fmt: skip
    assert verbose.json() == {"d": {"UTCToLocalTime": "2021-07-01T05:30:00"}}
    refused = client.get(f"{REST}/UtcToLocalTime('yesterday')",
                         headers={"Accept": "application/json;odata=nometadata"})  # fmt: skip
    assert refused.status_code == 400
