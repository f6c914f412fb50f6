"""`python -m ui`: the live window. The start time is taken before Qt is imported, so the logged
"window shown" figure includes the imports."""

import time

_STARTED_AT = time.perf_counter()

from ui.app import main  # noqa: E402 (after the clock starts, on purpose)

raise SystemExit(main(started_at=_STARTED_AT))
