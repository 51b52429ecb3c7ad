"""Daily weather regimes and the hourly observations a provider would read from a weather feed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

REGIMES = ("dry", "rain", "snow")


@dataclass(frozen=True)
class WeatherParams:
    """How weather evolves from day to day and within a day.

    ``transition[i][j]`` is the probability that a day of regime ``REGIMES[i]`` is followed
    by one of regime ``REGIMES[j]``: dry spells last about a week, rainy spells two days,
    snow rarely more than one. ``wet_hour_share`` is the share of hours with precipitation
    on a rain or snow day; precipitation per wet hour is gamma-distributed (mm).
    ``forced`` sets the regime of given days (a scenario's snowy week), after the draws.
    """

    transition: tuple[tuple[float, float, float], ...] = (
        (0.84, 0.14, 0.02),
        (0.45, 0.52, 0.03),
        (0.55, 0.15, 0.30),
    )
    wet_hour_share: tuple[float, float, float] = (0.0, 0.45, 0.6)
    precipitation_mean_mm: tuple[float, float, float] = (0.0, 1.6, 1.0)
    mean_temperature_c: tuple[float, float, float] = (6.0, 8.0, -3.0)
    daily_temperature_swing_c: float = 8.0
    guarantee_snow_day_after_days: int = 14
    forced: tuple[tuple[int, str], ...] = ()  # (day, regime): weather decided in advance


@dataclass(frozen=True)
class DayWeather:
    """One day's weather: its regime and 24 hourly observations (index = hour of day).

    On a snow day every hour's condition is "snow" (snow lies on the roads); precipitation
    shows when it falls.
    """

    regime: str
    condition: tuple[str, ...]
    precipitation_mm: NDArray[np.float64]
    temperature_c: NDArray[np.float64]

    def snowing(self, hour: int) -> bool:
        """Whether it snows in that hour."""
        return self.condition[hour] == "snow"


def simulate_weather(
    days: int, params: WeatherParams, rng: np.random.Generator
) -> list[DayWeather]:
    """A sequence of daily weather; at least one snow day once ``days`` is long enough."""
    regimes = [0]
    for _ in range(days - 1):
        regimes.append(int(rng.choice(3, p=params.transition[regimes[-1]])))
    forced = {day: REGIMES.index(regime) for day, regime in params.forced if 0 <= day < days}
    regimes = [forced.get(day, r) for day, r in enumerate(regimes)]
    if days >= params.guarantee_snow_day_after_days and 2 not in regimes:
        pick = int(rng.integers(days // 2, days))
        if pick not in forced:
            regimes[pick] = 2
    return [_day(REGIMES[r], params, rng) for r in regimes]


def _day(regime: str, params: WeatherParams, rng: np.random.Generator) -> DayWeather:
    r = REGIMES.index(regime)
    hours = np.arange(24)
    # a contiguous wet spell, as weather fronts pass
    wet = np.zeros(24, dtype=bool)
    n_wet = round(params.wet_hour_share[r] * 24)
    if n_wet:
        start = int(rng.integers(0, 24 - n_wet + 1))
        wet[start : start + n_wet] = True
    mean = params.precipitation_mean_mm[r]
    precipitation = np.where(wet, rng.gamma(2.0, mean / 2.0 if mean else 1.0, 24), 0.0)
    temperature = (
        params.mean_temperature_c[r]
        + rng.normal(0.0, 2.0)
        + params.daily_temperature_swing_c / 2 * np.sin((hours - 9) / 24 * 2 * np.pi)
    )
    if regime == "snow":
        temperature = np.minimum(temperature, 0.5)
    if regime == "snow":
        # snow lies on the roads all day, falling or not
        condition: tuple[str, ...] = ("snow",) * 24
    else:
        dry_condition = "cloudy" if regime == "rain" else "clear"
        condition = tuple("rain" if w else dry_condition for w in wet)
    precipitation = np.where(wet, np.maximum(np.round(precipitation, 1), 0.1), 0.0)
    return DayWeather(regime, condition, precipitation, np.round(temperature, 1))
