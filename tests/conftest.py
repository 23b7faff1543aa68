"""Shared test fixtures: the `backend` fixture runs a test on every installed backend.

Use it in any model test::

    def test_recall_completes_pattern(backend):
        sim = sm.build(net, backend=backend, seed=0)

Each backend's parameter carries a marker of the same name (``numba``, ``brian2``,
``nengo``), so ``pytest -m "not brian2"`` deselects the Brian2 runs; a backend whose
package (or spikemem module) is not installed is skipped, with the reason.
"""
from __future__ import annotations

import pytest

from spikemem.backends import GENERAL_BACKENDS, available

__all__ = ["BACKEND_NAMES", "backend"]

#: Backends the `backend` fixture runs over, in order.
BACKEND_NAMES = GENERAL_BACKENDS


def pytest_configure(config):
    for name in BACKEND_NAMES:
        config.addinivalue_line("markers", f"{name}: runs on the {name} backend")
    # Brian2 2.9 calls pyparsing's camelCase names, deprecated in pyparsing 3.3.
    config.addinivalue_line("filterwarnings", r"ignore::DeprecationWarning:brian2\..*")
    config.addinivalue_line("filterwarnings", r"ignore::DeprecationWarning:pyparsing\..*")


@pytest.fixture(params=[pytest.param(name, marks=getattr(pytest.mark, name), id=name)
                        for name in BACKEND_NAMES])
def backend(request) -> str:
    """Name of a backend to pass to ``spikemem.build(..., backend=...)``; skips if absent."""
    name = request.param
    if name not in available():
        pytest.skip(f"backend {name!r} is not installed here")
    return name
