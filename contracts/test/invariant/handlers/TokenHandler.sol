// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {SettlementToken} from "../../../src/tokens/SettlementToken.sol";

/// @notice Drives one SettlementToken through random transfers, mints, burns, pauses and freezes
///         by labelled actors, and keeps ghost records of what should and should not have moved.
contract TokenHandler is CommonBase, StdCheats, StdUtils {
    SettlementToken public immutable token;
    address public immutable issuer;
    address public immutable regulator;
    address[] public actors;

    uint256 public ghostMinted;
    uint256 public ghostBurned;
    /// @notice Balance changes observed on an account that was frozen, or while the token was paused.
    uint256 public ghostForbiddenMoves;
    uint256 public ghostRefusals;

    constructor(SettlementToken token_, address issuer_, address regulator_, address[] memory actors_) {
        token = token_;
        issuer = issuer_;
        regulator = regulator_;
        actors = actors_;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _actor(fromSeed);
        address to = _actor(toSeed);
        amount = bound(amount, 0, token.balanceOf(from));
        bool forbidden = token.paused() || token.isFrozen(from) || token.isFrozen(to);
        uint256 before = token.balanceOf(from);
        vm.prank(from);
        try token.transfer(to, amount) {
            if (forbidden && from != to && amount > 0 && token.balanceOf(from) != before) ghostForbiddenMoves++;
        } catch {
            ghostRefusals++;
        }
    }

    function mint(uint256 toSeed, uint256 amount) external {
        address to = _actor(toSeed);
        amount = bound(amount, 1, 1e15);
        bool forbidden = token.paused() || token.isFrozen(to);
        vm.prank(issuer);
        try token.mint(to, amount) {
            ghostMinted += amount;
            if (forbidden) ghostForbiddenMoves++;
        } catch {
            ghostRefusals++;
        }
    }

    function redeem(uint256 fromSeed, uint256 amount) external {
        address from = _actor(fromSeed);
        amount = bound(amount, 1, token.balanceOf(from) + 1);
        vm.prank(from);
        try token.transfer(issuer, amount) {
            vm.prank(issuer);
            try token.burn(amount) {
                ghostBurned += amount;
            } catch {
                ghostRefusals++;
            }
        } catch {
            ghostRefusals++;
        }
    }

    function togglePause() external {
        bool paused = token.paused();
        vm.prank(regulator);
        if (paused) token.unpause();
        else token.pause();
    }

    function toggleFreeze(uint256 seed) external {
        address account = _actor(seed);
        bool frozen = token.isFrozen(account);
        vm.prank(regulator);
        if (frozen) token.unfreeze(account);
        else token.freeze(account);
    }

    function _actor(uint256 seed) private view returns (address) {
        return actors[seed % actors.length];
    }
}
