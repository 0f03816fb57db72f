// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IParticipantRegistry} from "../../../src/interfaces/IParticipantRegistry.sol";
import {ISettlementToken} from "../../../src/interfaces/ISettlementToken.sol";
import {SettlementToken} from "../../../src/tokens/SettlementToken.sol";
import {SettlementHandlerBase, SettlementWorld} from "./SettlementHandlerBase.sol";

/// @notice The supervisory side of an invariant run: the regulator freezes and unfreezes banks per
///         currency and pauses currencies; the operator suspends and reinstates banks and delists and
///         relists the escrows (whose open locks and parked legs must stay payable); and a hostile
///         operator and a stranger try to exercise the regulator's powers (which must always fail).
///         Every restriction is lifted again by {release}, so runs spend most of their time with a
///         few restrictions in force rather than with everything frozen.
contract SupervisionHandler is SettlementHandlerBase {
    /// @notice Regulator powers exercised by someone other than the regulator (must stay 0).
    uint256 public ghostUsurpedPowers;

    constructor(SettlementWorld memory world) SettlementHandlerBase(world) {
        _declare(ISettlementToken.freeze.selector, "SettlementToken.freeze");
        _declare(ISettlementToken.unfreeze.selector, "SettlementToken.unfreeze");
        _declare(ISettlementToken.pause.selector, "SettlementToken.pause");
        _declare(ISettlementToken.unpause.selector, "SettlementToken.unpause");
        _declare(IParticipantRegistry.suspend.selector, "ParticipantRegistry.suspend");
        _declare(IParticipantRegistry.reinstate.selector, "ParticipantRegistry.reinstate");
        _declare(IParticipantRegistry.setSettlementContract.selector, "ParticipantRegistry.setSettlementContract");
    }

    /// @notice The operator delists an escrow (or lists it again): what it holds must stay payable.
    function delist(bool htlc) external observed {
        address escrow = htlc ? address(_world.htlc) : address(_world.pvp);
        bool listed = _world.registry.isSettlementContract(escrow);
        vm.prank(_world.operator);
        try _world.registry.setSettlementContract(escrow, !listed) {
            _record(IParticipantRegistry.setSettlementContract.selector, true);
        } catch {
            _record(IParticipantRegistry.setSettlementContract.selector, false);
        }
    }

    /// @notice The regulator freezes a bank in one currency.
    function freeze(uint256 tokenSeed, uint256 bankSeed) external observed {
        SettlementToken token = _token(tokenSeed);
        (address bank,) = _bank(bankSeed);
        if (token.isFrozen(bank)) return _unfreeze(token, bank);
        vm.prank(_world.regulator);
        try token.freeze(bank) {
            _record(ISettlementToken.freeze.selector, true);
        } catch {
            _record(ISettlementToken.freeze.selector, false);
        }
    }

    /// @notice The regulator pauses a currency (or lifts its pause).
    function pause(uint256 tokenSeed) external observed {
        SettlementToken token = _token(tokenSeed);
        if (token.paused()) return _unpause(token);
        vm.prank(_world.regulator);
        try token.pause() {
            _record(ISettlementToken.pause.selector, true);
        } catch {
            _record(ISettlementToken.pause.selector, false);
        }
    }

    /// @notice The operator suspends a bank (or reinstates it).
    function suspend(uint256 bankSeed) external observed {
        (address bank,) = _bank(bankSeed);
        IParticipantRegistry registry = _world.registry;
        if (registry.participant(bank).status == IParticipantRegistry.Status.Suspended) return _reinstate(bank);
        vm.prank(_world.operator);
        try registry.suspend(bank) {
            _record(IParticipantRegistry.suspend.selector, true);
        } catch {
            _record(IParticipantRegistry.suspend.selector, false);
        }
    }

    /// @notice Lifts every restriction in force.
    function release() external observed {
        for (uint256 t; t < _world.tokens.length; ++t) {
            SettlementToken token = _world.tokens[t];
            if (token.paused()) _unpause(token);
            for (uint256 b; b < _world.banks.length; ++b) {
                if (token.isFrozen(_world.banks[b])) _unfreeze(token, _world.banks[b]);
            }
        }
        for (uint256 b; b < _world.banks.length; ++b) {
            if (_world.registry.participant(_world.banks[b]).status == IParticipantRegistry.Status.Suspended) {
                _reinstate(_world.banks[b]);
            }
        }
        address[2] memory escrows = [address(_world.pvp), address(_world.htlc)];
        for (uint256 e; e < 2; ++e) {
            if (_world.registry.isSettlementContract(escrows[e])) continue;
            vm.prank(_world.operator);
            try _world.registry.setSettlementContract(escrows[e], true) {
                _record(IParticipantRegistry.setSettlementContract.selector, true);
            } catch {
                _record(IParticipantRegistry.setSettlementContract.selector, false);
            }
        }
    }

    /// @notice The operator (or a stranger) tries the regulator's powers: freeze, unfreeze, pause, unpause.
    function usurp(uint256 tokenSeed, uint256 bankSeed, bool byOperator, uint8 power) external observed {
        SettlementToken token = _token(tokenSeed);
        (address bank,) = _bank(bankSeed);
        address actor = byOperator ? _world.operator : _world.stranger;
        power = power % 4;
        vm.prank(actor);
        bool succeeded;
        if (power == 0) {
            try token.freeze(bank) {
                succeeded = true;
            } catch {}
        } else if (power == 1) {
            try token.unfreeze(bank) {
                succeeded = true;
            } catch {}
        } else if (power == 2) {
            try token.pause() {
                succeeded = true;
            } catch {}
        } else {
            try token.unpause() {
                succeeded = true;
            } catch {}
        }
        if (succeeded) ++ghostUsurpedPowers;
    }

    function _unfreeze(SettlementToken token, address bank) private {
        vm.prank(_world.regulator);
        try token.unfreeze(bank) {
            _record(ISettlementToken.unfreeze.selector, true);
        } catch {
            _record(ISettlementToken.unfreeze.selector, false);
        }
    }

    function _unpause(SettlementToken token) private {
        vm.prank(_world.regulator);
        try token.unpause() {
            _record(ISettlementToken.unpause.selector, true);
        } catch {
            _record(ISettlementToken.unpause.selector, false);
        }
    }

    function _reinstate(address bank) private {
        vm.prank(_world.operator);
        try _world.registry.reinstate(bank) {
            _record(IParticipantRegistry.reinstate.selector, true);
        } catch {
            _record(IParticipantRegistry.reinstate.selector, false);
        }
    }
}
