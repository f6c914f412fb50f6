"""Signal levels for the UI meters: RMS in dBFS and a peak-hold meter that decays."""

from __future__ import annotations

import math

import numpy as np

from copilot.audio import SAMPLE_RATE

# Below anything a float32 signal can carry; returned for silence and empty blocks so callers never
# see -inf (which JSON cannot encode and a meter cannot draw).
SILENCE_DBFS = -120.0


def rms_dbfs(block: np.ndarray) -> float:
    """RMS level in dB relative to full scale: a full-scale square wave is 0, a full-scale sine -3.01."""
    samples = np.asarray(block, dtype=np.float64)  # float64: a float32 sum of squares loses precision
    if samples.size == 0:
        return SILENCE_DBFS
    mean_square = float(np.mean(np.square(samples)))
    if mean_square <= 0.0:
        return SILENCE_DBFS
    return max(10.0 * math.log10(mean_square), SILENCE_DBFS)


class LevelMeter:
    """Current level and a peak that holds, then falls at a fixed rate, like a mixing desk's meter.

    Time is counted in samples fed, not wall-clock time, so the meter behaves the same whether the UI
    polls it every frame or irregularly, and tests need no clock.
    """

    def __init__(
        self,
        sample_rate: int = SAMPLE_RATE,
        hold_s: float = 1.0,  # long enough for the eye to read the peak
        decay_db_per_s: float = 20.0,  # falls the meter's 60 dB range in 3 s
        floor_dbfs: float = -60.0,  # quieter than any room; below it the bar is empty
    ) -> None:
        self.sample_rate = sample_rate
        self.hold_s = hold_s
        self.decay_db_per_s = decay_db_per_s
        self.floor_dbfs = floor_dbfs
        self.level_dbfs = floor_dbfs
        self.peak_dbfs = floor_dbfs
        self._since_peak_s = 0.0

    def update(self, block: np.ndarray) -> float:
        """Feed one block; returns its level (clamped to the floor)."""
        duration_s = len(block) / self.sample_rate
        self.level_dbfs = max(rms_dbfs(block), self.floor_dbfs)
        self._since_peak_s += duration_s
        if self.level_dbfs >= self.peak_dbfs:
            self.peak_dbfs = self.level_dbfs
            self._since_peak_s = 0.0
        elif self._since_peak_s > self.hold_s:
            # Only the part of this block that lies past the hold time counts toward the decay.
            decay_s = min(duration_s, self._since_peak_s - self.hold_s)
            self.peak_dbfs = max(self.peak_dbfs - self.decay_db_per_s * decay_s, self.level_dbfs)
        return self.level_dbfs

    def fraction(self, dbfs: float | None = None) -> float:
        """Where a level sits on the bar, 0 at the floor to 1 at full scale (the current level by default)."""
        value = self.level_dbfs if dbfs is None else dbfs
        return min(1.0, max(0.0, (value - self.floor_dbfs) / -self.floor_dbfs))

    def reset(self) -> None:
        self.level_dbfs = self.peak_dbfs = self.floor_dbfs
        self._since_peak_s = 0.0
