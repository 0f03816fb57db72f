// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {ISettlementToken} from "../../../src/interfaces/ISettlementToken.sol";
import {SettlementToken} from "../../../src/tokens/SettlementToken.sol";
import {SettlementHandlerBase, SettlementWorld} from "./SettlementHandlerBase.sol";

/// @notice Every entry point of the settlement tokens: transfers, allowances, EIP-2612 permits, the
///         issuer's mint and burn, and a stranger (or the wrong issuer) trying to mint. Ghost sums of
///         what the issuers created and destroyed prove that only an issuer changes supply.
contract TokenHandler is SettlementHandlerBase {
    bytes32 private constant _PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    mapping(address token => uint256) public ghostMinted;
    mapping(address token => uint256) public ghostBurned;
    /// @notice Mints or burns that succeeded for someone other than the currency's issuer (must stay 0).
    uint256 public ghostUnauthorisedSupplyChanges;

    constructor(SettlementWorld memory world) SettlementHandlerBase(world) {
        _declare(IERC20.transfer.selector, "SettlementToken.transfer");
        _declare(IERC20.transferFrom.selector, "SettlementToken.transferFrom");
        _declare(IERC20.approve.selector, "SettlementToken.approve");
        _declare(IERC20Permit.permit.selector, "SettlementToken.permit");
        _declare(ISettlementToken.mint.selector, "SettlementToken.mint");
        _declare(ISettlementToken.burn.selector, "SettlementToken.burn");
    }

    function transfer(uint256 tokenSeed, uint256 fromSeed, uint256 toSeed, uint256 amount) external observed {
        SettlementToken token = _token(tokenSeed);
        address from = _caller(fromSeed);
        address to = _caller(toSeed);
        amount = bound(amount, 0, token.balanceOf(from));
        vm.prank(from);
        try token.transfer(to, amount) {
            _record(IERC20.transfer.selector, true);
        } catch {
            _record(IERC20.transfer.selector, false);
        }
    }

    function approve(uint256 tokenSeed, uint256 ownerSeed, uint256 spenderSeed, uint256 amount) external observed {
        SettlementToken token = _token(tokenSeed);
        address owner = _caller(ownerSeed);
        vm.prank(owner);
        try token.approve(_caller(spenderSeed), bound(amount, 0, 1e15)) {
            _record(IERC20.approve.selector, true);
        } catch {
            _record(IERC20.approve.selector, false);
        }
    }

    /// @notice A spender moves an owner's tokens within the allowance the owner gives it first.
    function transferFrom(uint256 tokenSeed, uint256 ownerSeed, uint256 spenderSeed, uint256 amount)
        external
        observed
    {
        SettlementToken token = _token(tokenSeed);
        (address owner,, address spender,) = _pair(ownerSeed, spenderSeed);
        amount = bound(amount, 0, token.balanceOf(owner));
        vm.prank(owner);
        token.approve(spender, amount);
        vm.prank(spender);
        try token.transferFrom(owner, spender, amount) {
            _record(IERC20.transferFrom.selector, true);
        } catch {
            _record(IERC20.transferFrom.selector, false);
        }
    }

    /// @notice An allowance given by the owner's off-chain EIP-2612 signature, relayed by anyone.
    function permit(uint256 tokenSeed, uint256 ownerSeed, uint256 spenderSeed, uint256 value, bool forged)
        external
        observed
    {
        SettlementToken token = _token(tokenSeed);
        (address owner, uint256 ownerKey, address spender,) = _pair(ownerSeed, spenderSeed);
        value = bound(value, 0, 1e15);
        uint256 deadline = vm.getBlockTimestamp() + 1 hours;
        bytes32 structHash = keccak256(abi.encode(_PERMIT_TYPEHASH, owner, spender, value, token.nonces(owner), deadline));
        bytes32 digest = _typedDigest(token.DOMAIN_SEPARATOR(), structHash);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(forged ? _world.strangerKey : ownerKey, digest);
        vm.prank(_caller(spenderSeed));
        try token.permit(owner, spender, value, deadline, v, r, s) {
            _record(IERC20Permit.permit.selector, true);
            if (forged) ++ghostUnauthorisedSupplyChanges; // a forged permit must never pass
        } catch {
            _record(IERC20Permit.permit.selector, false);
        }
    }

    /// @notice The issuer mints; sometimes a stranger or another currency's issuer tries instead.
    function mint(uint256 tokenSeed, uint256 toSeed, uint256 amount, uint8 minterSeed) external observed {
        uint256 t = tokenSeed % _world.tokens.length;
        SettlementToken token = _world.tokens[t];
        address to = _caller(toSeed);
        amount = bound(amount, 1, 1e12);
        address minter = minterSeed % 4 == 0 ? _wrongMinter(t, minterSeed) : _world.issuers[t];
        vm.prank(minter);
        try token.mint(to, amount) {
            _record(ISettlementToken.mint.selector, true);
            if (minter != _world.issuers[t]) ++ghostUnauthorisedSupplyChanges;
            ghostMinted[address(token)] += amount;
        } catch {
            _record(ISettlementToken.mint.selector, false);
        }
    }

    /// @notice A bank redeems at the issuer: it pays the issuer, who burns what it received.
    function burn(uint256 tokenSeed, uint256 fromSeed, uint256 amount) external observed {
        uint256 t = tokenSeed % _world.tokens.length;
        SettlementToken token = _world.tokens[t];
        address issuer = _world.issuers[t];
        (address from,) = _bank(fromSeed);
        amount = bound(amount, 1, token.balanceOf(from) / 10 + 1);
        vm.prank(from);
        try token.transfer(issuer, amount) {} catch {}
        amount = bound(amount, 1, token.balanceOf(issuer) + 1);
        vm.prank(issuer);
        try token.burn(amount) {
            _record(ISettlementToken.burn.selector, true);
            ghostBurned[address(token)] += amount;
        } catch {
            _record(ISettlementToken.burn.selector, false);
        }
    }

    function _wrongMinter(uint256 t, uint8 seed) private view returns (address) {
        if (seed % 8 == 0) return _world.stranger;
        return _world.issuers[(t + 1) % _world.issuers.length];
    }
}
