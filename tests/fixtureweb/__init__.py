"""Fixture news web for tests and benchmarks: Arabic outlets served over loopback HTTP.

pytest-free: the lead's conftest can wrap ``running_web()`` (or ``default_web()`` used as a
context manager) in a fixture.
"""

from .articles import (
    FIXED_ANCHOR,
    INJECTION_PAYLOAD,
    ArticleSpec,
    Expected,
    injection_spec,
    late_spec,
    starter_specs,
)
from .server import (
    FAULT_KINDS,
    Fault,
    FixtureWeb,
    Outlet,
    RequestRecord,
    default_outlets,
    default_web,
    running_web,
)

__all__ = [
    "FAULT_KINDS",
    "FIXED_ANCHOR",
    "INJECTION_PAYLOAD",
    "ArticleSpec",
    "Expected",
    "Fault",
    "FixtureWeb",
    "Outlet",
    "RequestRecord",
    "default_outlets",
    "default_web",
    "injection_spec",
    "late_spec",
    "running_web",
    "starter_specs",
]
