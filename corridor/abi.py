"""Direct ABI encoding for the bridge's hot paths: a contract function's selector and types, worked
out once, then ``eth_abi`` on plain values.

web3's contract objects normalise every argument through several generic layers on each call
(about a millisecond per call on the bridge's machine, a tenth of that here). Use them everywhere
else; use :class:`AbiFunction` where hundreds of calls are encoded per second (instruction checks,
settlement batches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak


def canonical_type(item: dict[str, Any]) -> str:
    """The canonical ABI type of an input/output entry (tuples spelled out: ``(address,uint256)[]``)."""
    if item["type"].startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])


@dataclass(frozen=True)
class AbiFunction:
    """One function of a contract ABI: its 4-byte selector, input and output types."""

    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @classmethod
    def of(cls, abi: list[dict[str, Any]], name: str) -> AbiFunction:
        """The function ``name`` of ``abi`` (which must not be overloaded)."""
        found = [item for item in abi if item.get("type") == "function" and item.get("name") == name]
        if len(found) != 1:
            raise ValueError(f"the ABI has {len(found)} functions named {name!r}; expected exactly one")
        inputs = tuple(canonical_type(i) for i in found[0]["inputs"])
        outputs = tuple(canonical_type(o) for o in found[0].get("outputs", []))
        return cls(name, keccak(text=f"{name}({','.join(inputs)})")[:4], inputs, outputs)

    def calldata(self, *args: Any) -> str:
        """The call's data, hex: selector then the ABI-encoded arguments (tuples as Python tuples)."""
        return "0x" + (self.selector + abi_encode(list(self.inputs), list(args))).hex()

    def decode(self, data: bytes) -> Any:
        """The decoded return value: the single value, or a tuple when the function returns several."""
        values = abi_decode(list(self.outputs), data)
        return values[0] if len(values) == 1 else tuple(values)
