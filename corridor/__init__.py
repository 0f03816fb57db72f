"""Corridor core: configuration, offline toolchain, local ledgers, contract build and deployment.

The ``bridge`` and ``oracle`` packages build on this one; it imports neither.
"""

__version__ = "0.1.0"
