// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IParticipantRegistry} from "../../../src/interfaces/IParticipantRegistry.sol";
import {ParticipantRegistry} from "../../../src/registry/ParticipantRegistry.sol";
import {HashedTimelockEscrow} from "../../../src/settlement/HashedTimelockEscrow.sol";
import {PvPEscrow} from "../../../src/settlement/PvPEscrow.sol";
import {SettlementToken} from "../../../src/tokens/SettlementToken.sol";
import {CorridorSigning} from "../../utils/CorridorSigning.sol";
import {Reach} from "./Reach.sol";

/// @notice The settlement world every handler acts on: the registry, the permissioned tokens, both
///         escrows, the banks (with keys), a stranger, the regulator, the operator and the quote signer.
struct SettlementWorld {
    ParticipantRegistry registry;
    SettlementToken[] tokens;
    address[] issuers; // issuers[i] mints tokens[i]
    PvPEscrow pvp;
    HashedTimelockEscrow htlc;
    address operator;
    address regulator;
    address stranger; // never a participant
    address[] banks;
    uint256[] keys; // keys[i] signs for banks[i]
    uint256 strangerKey;
    uint256 quoterKey;
}

/// @notice What every settlement handler shares: the world, reach counting, and the supervisory
///         observer. Every handler action runs under {observed}, which records the balance of each
///         account that is restricted in a token before the action (currency paused, account frozen,
///         participant suspended or never onboarded) and counts any change of it afterwards while the
///         restriction still holds: whatever path the action took (transfer, settle, fund, batch
///         netting, claim), a restricted party's balance must not move.
abstract contract SettlementHandlerBase is StdCheats, StdUtils, CorridorSigning, Reach {
    SettlementWorld internal _world;

    /// @notice Balance changes of a restricted party in a restricted token (must stay 0).
    uint256 public ghostRestrictedMoves;

    constructor(SettlementWorld memory world) {
        _world = world;
    }

    modifier observed() {
        (uint256[] memory balances, bool[] memory restricted) = _snapshot();
        _;
        (uint256[] memory afterBalances, bool[] memory stillRestricted) = _snapshot();
        for (uint256 i; i < balances.length; ++i) {
            if (restricted[i] && stillRestricted[i] && balances[i] != afterBalances[i]) ++ghostRestrictedMoves;
        }
    }

    /// @dev Every watched (token, account) cell: balance and whether the token's policy refuses it now.
    function _snapshot() private view returns (uint256[] memory balances, bool[] memory restricted) {
        address[] memory accounts = _watched();
        uint256 tokens = _world.tokens.length;
        balances = new uint256[](tokens * accounts.length);
        restricted = new bool[](tokens * accounts.length);
        for (uint256 t; t < tokens; ++t) {
            SettlementToken token = _world.tokens[t];
            for (uint256 a; a < accounts.length; ++a) {
                uint256 cell = t * accounts.length + a;
                balances[cell] = token.balanceOf(accounts[a]);
                restricted[cell] = !token.isPermitted(accounts[a]);
            }
        }
    }

    function _watched() private view returns (address[] memory accounts) {
        uint256 banks = _world.banks.length;
        accounts = new address[](banks + 1 + _world.issuers.length);
        for (uint256 i; i < banks; ++i) {
            accounts[i] = _world.banks[i];
        }
        accounts[banks] = _world.stranger;
        for (uint256 i; i < _world.issuers.length; ++i) {
            accounts[banks + 1 + i] = _world.issuers[i];
        }
    }

    // ─── picking actors ──────────────────────────────────────────────────────────────────

    function _bank(uint256 seed) internal view returns (address bank, uint256 key) {
        uint256 i = seed % _world.banks.length;
        return (_world.banks[i], _world.keys[i]);
    }

    /// @dev Two different banks.
    function _pair(uint256 seedA, uint256 seedB)
        internal
        view
        returns (address a, uint256 keyA, address b, uint256 keyB)
    {
        uint256 n = _world.banks.length;
        uint256 i = seedA % n;
        uint256 j = seedB % n;
        if (i == j) j = (j + 1) % n;
        return (_world.banks[i], _world.keys[i], _world.banks[j], _world.keys[j]);
    }

    /// @dev A caller for a permissionless entry point: usually a bank, sometimes the stranger.
    function _caller(uint256 seed) internal view returns (address) {
        if (seed % 5 == 0) return _world.stranger;
        (address bank,) = _bank(seed >> 8);
        return bank;
    }

    function _token(uint256 seed) internal view returns (SettlementToken) {
        return _world.tokens[seed % _world.tokens.length];
    }

    function _isActive(address account) internal view returns (bool) {
        return _world.registry.participant(account).status == IParticipantRegistry.Status.Active;
    }
}
