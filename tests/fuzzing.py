"""Settings shared by the property-based tests (hypothesis); the profiles are chosen in conftest.py."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: ``make fuzz`` multiplies every property's examples by this (1 in ``make test``).
FUZZ_SCALE = max(1, int(os.environ.get("RISKBOOK_FUZZ_SCALE", "1")))


def fast(n: int, *, function_fixtures: bool = False):
    """``n`` examples (times :data:`FUZZ_SCALE`), no deadline (pandas' first calls are slow), slow data allowed;
    ``function_fixtures`` allows function-scoped fixtures (reused across examples, on purpose)."""
    checks = [HealthCheck.too_slow] + ([HealthCheck.function_scoped_fixture] if function_fixtures else [])
    return settings(deadline=None, max_examples=n * FUZZ_SCALE, suppress_health_check=checks)
