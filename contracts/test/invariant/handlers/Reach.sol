// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Makes a handler's reach visible: per entry point of the system under test, how often the
///         handler called it and how often the call succeeded. A suite whose handlers silently stop
///         exercising a path (every call reverting, or never called) fails its reach test.
abstract contract Reach {
    struct Count {
        uint64 calls;
        uint64 successes;
    }

    mapping(bytes4 entryPoint => Count) public reach;
    bytes4[] internal _entryPoints;
    mapping(bytes4 entryPoint => string) public entryPointName;

    /// @dev Declares an entry point the handler is expected to reach (called from the constructor).
    function _declare(bytes4 entryPoint, string memory name) internal {
        _entryPoints.push(entryPoint);
        entryPointName[entryPoint] = name;
    }

    function _record(bytes4 entryPoint, bool success) internal {
        Count storage count = reach[entryPoint];
        ++count.calls;
        if (success) ++count.successes;
    }

    /// @notice Every entry point this handler declares.
    function entryPoints() external view returns (bytes4[] memory) {
        return _entryPoints;
    }
}
