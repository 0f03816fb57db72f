"""Corridor core: configuration, offline toolchain, local ledgers, contract build and deployment.

The ``bridge`` and ``oracle`` packages build on this one; it imports neither.
"""

__version__ = "0.1.0"

import os as _os
from importlib.util import find_spec as _find_spec

# Keccak through pysha3's C code rather than pycryptodome's ctypes wrapper: about 6x faster per
# hash, and web3 hashes every ABI signature of a contract on each call to one of its functions.
# eth_hash reads this once, at its first hash; an explicit ETH_HASH_BACKEND wins.
if _find_spec("sha3") is not None:
    _os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
