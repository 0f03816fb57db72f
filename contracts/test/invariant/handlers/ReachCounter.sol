// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Per-entry-point reach of a handler: how often each action was called and how often the call
///         it makes succeeded. Actions that probe a power the actor must not have are marked `mustFail`:
///         any success of theirs is a finding, and their reach is the number of attempts.
abstract contract ReachCounter {
    struct Reach {
        uint256 calls;
        uint256 successes;
        bool mustFail;
    }

    string[] internal _entries;
    mapping(string name => Reach) internal _reach;
    bytes4[] internal _actions;

    /// @dev Declares an action: its name (for the report), its selector (for the fuzzer), and whether it
    ///      must always be refused.
    function _declare(string memory name, bytes4 selector, bool mustFail) internal {
        _entries.push(name);
        _reach[name].mustFail = mustFail;
        _actions.push(selector);
    }

    function _count(string memory name, bool succeeded) internal {
        Reach storage reach = _reach[name];
        ++reach.calls;
        if (succeeded) ++reach.successes;
    }

    /// @notice The selectors the fuzzer may call.
    function actions() external view returns (bytes4[] memory) {
        return _actions;
    }

    function entryCount() external view returns (uint256) {
        return _entries.length;
    }

    function entryName(uint256 index) external view returns (string memory) {
        return _entries[index];
    }

    function reachOf(string calldata name) external view returns (Reach memory) {
        return _reach[name];
    }

    /// @notice Successes of actions that must always be refused (must stay 0).
    function forbiddenSuccesses() external view returns (uint256 total) {
        for (uint256 i; i < _entries.length; ++i) {
            Reach storage reach = _reach[_entries[i]];
            if (reach.mustFail) total += reach.successes;
        }
    }
}
