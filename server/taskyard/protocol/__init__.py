"""The sidecar's JSON-RPC contract: wire types, method tables and the wire converter.

The contract comes from ``schemas/`` (see ``schemas/README.md``): :mod:`._generated` holds
the attrs classes and the ``METHODS``/``NOTIFICATIONS``/``REQUEST_ERRORS``/``ERRORS`` tables,
:mod:`._schemas` the JSON Schemas, and :mod:`.converter` turns wire JSON into those classes and
back. Handlers import from this package only, never from the private modules. Beside them,
hand-written, :mod:`.client` is the raw JSON-RPC client of the sidecar that the demo, the
benchmarks and the end-to-end tests share.
"""

from . import _generated
from ._generated import *  # noqa: F403  # the generated module's own __all__ lists the types
from .converter import (
    INVALID_PARAMS,
    ParamsError,
    WireError,
    converter,
    structure,
    structure_params,
    structure_result,
    unstructure,
)

__all__ = [
    "INVALID_PARAMS",
    "ParamsError",
    "WireError",
    "converter",
    "structure",
    "structure_params",
    "structure_result",
    "unstructure",
]
__all__ += _generated.__all__
