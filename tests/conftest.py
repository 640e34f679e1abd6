"""Shared pytest configuration."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered here because --strict-markers rejects unknown markers.
    config.addinivalue_line(
        "markers", "slow: builds or installs packages (runs by default; deselect with -m 'not slow')"
    )
