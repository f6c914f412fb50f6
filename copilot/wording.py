"""Words about an answer that several layers judge the same way: what counts as a number, and what pace
is calm. The lowest layer (it imports nothing of copilot), so the story coach, the cue composer, the
feedback on a spoken answer, the drill's score and the history report all agree.
"""

from __future__ import annotations

import re

# A figure, a currency or percent sign, or a number said in words. "one" is left out on purpose:
# "no one", "one of them" are not results.
NUMBER = re.compile(
    r"\d|[%$€£]|\b(?:half|halved|double|doubled|triple|tripled|quadrupled|twice|thrice|quarter|third|"
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|dozens?|hundreds?|thousands?|millions?|billions?|percent)\b",
    re.IGNORECASE,
)

# Calm, followable interview speech, in words a minute: inside this band the feedback has nothing to
# say about pace, the drill gives its full pace score and the history report draws the band.
PACE_BAND_WPM = (130.0, 160.0)
SPOKEN_WPM = 150.0  # a pace inside the band, to turn a word count into spoken time when none was measured


def has_number(text: str) -> bool:
    return bool(NUMBER.search(text))


def pace_band_text() -> str:
    """The band as the advice says it: "130-160"."""
    low, high = PACE_BAND_WPM
    return f"{low:.0f}-{high:.0f}"
