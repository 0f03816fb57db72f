// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {ITransferPolicy} from "../interfaces/ITransferPolicy.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title SettlementToken
/// @notice A tokenised currency (wholesale CBDC or tokenised deposit) on a Corridor ledger.
/// @dev Every policy lives in one override, {_update}, so mint, burn, transfer, transferFrom and
///      permit-based transfers all obey the same rules.
contract SettlementToken is ISettlementToken, ERC20Permit, Pausable {
    /// @inheritdoc ISettlementToken
    IParticipantRegistry public immutable registry;
    /// @inheritdoc ISettlementToken
    bytes3 public immutable currency;

    bytes32 private immutable _issuerRole;
    uint8 private immutable _decimals;

    mapping(address account => bool) private _frozen;

    /// @param registry_ The ledger's participant registry.
    /// @param currency_ ISO 4217 code; must already be registered (that is where its issuer is named).
    /// @param name_ Human-readable token name.
    /// @param decimals_ The currency's minor units (2 for CNY, HKD and THB).
    constructor(IParticipantRegistry registry_, bytes3 currency_, string memory name_, uint8 decimals_)
        ERC20(name_, string(abi.encodePacked(currency_)))
        ERC20Permit(name_)
    {
        if (!registry_.isCurrencyRegistered(currency_)) revert SettlementTokenUnregisteredCurrency(currency_);
        registry = registry_;
        currency = currency_;
        _issuerRole = registry_.issuerRole(currency_);
        _decimals = decimals_;
    }

    modifier onlyIssuer() {
        if (!registry.hasRole(_issuerRole, msg.sender)) revert SettlementTokenUnauthorizedIssuer(msg.sender);
        _;
    }

    modifier onlyRegulator() {
        if (!registry.hasRole(Roles.REGULATOR, msg.sender)) revert SettlementTokenUnauthorizedRegulator(msg.sender);
        _;
    }

    // ─── Issuer ──────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ISettlementToken
    function mint(address to, uint256 amount) external onlyIssuer {
        if (amount == 0) revert SettlementTokenZeroAmount();
        _mint(to, amount);
        emit Minted(to, amount, msg.sender);
    }

    /// @inheritdoc ISettlementToken
    function burn(uint256 amount) external onlyIssuer {
        if (amount == 0) revert SettlementTokenZeroAmount();
        _burn(msg.sender, amount);
        emit Burned(amount, msg.sender);
    }

    // ─── Regulator ───────────────────────────────────────────────────────────────────────

    /// @inheritdoc ISettlementToken
    function pause() external onlyRegulator {
        _pause();
    }

    /// @inheritdoc ISettlementToken
    function unpause() external onlyRegulator {
        _unpause();
    }

    /// @inheritdoc ISettlementToken
    function freeze(address account) external onlyRegulator {
        _setFrozen(account, true);
    }

    /// @inheritdoc ISettlementToken
    function unfreeze(address account) external onlyRegulator {
        _setFrozen(account, false);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────

    /// @notice The currency's minor units.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc ISettlementToken
    function isFrozen(address account) external view returns (bool) {
        return _frozen[account];
    }

    /// @inheritdoc ITransferPolicy
    /// @dev The zero address stands for mint or burn and always passes.
    function canTransfer(address from, address to) external view returns (bool) {
        if (paused()) return false;
        return (from == address(0) || (!_frozen[from] && registry.isEligibleSender(from))) && _allowed(to);
    }

    /// @inheritdoc ITransferPolicy
    function canRelease(address payer, address receiver) external view returns (bool) {
        if (paused() || _frozen[msg.sender] || !registry.isEligibleSender(msg.sender)) return false;
        return payer != address(0) && _allowed(payer) && receiver != address(0) && _allowed(receiver);
    }

    /// @inheritdoc ITransferPolicy
    function isPermitted(address account) external view returns (bool) {
        return !paused() && account != address(0) && _allowed(account);
    }

    // ─── Policy ──────────────────────────────────────────────────────────────────────────

    /// @dev The single enforcement point of the transfer policy; see {ISettlementToken}.
    function _update(address from, address to, uint256 value) internal override whenNotPaused {
        if (from != address(0)) {
            if (_frozen[from]) revert SettlementTokenAccountFrozen(from);
            // A delisted escrow may still pay out (see IParticipantRegistry.isEligibleSender).
            if (!registry.isEligibleSender(from)) revert SettlementTokenIneligibleAccount(from);
        }
        if (to != address(0)) {
            if (_frozen[to]) revert SettlementTokenAccountFrozen(to);
            if (!registry.isEligible(to)) revert SettlementTokenIneligibleAccount(to);
        }
        super._update(from, to, value);
    }

    function _allowed(address account) private view returns (bool) {
        return account == address(0) || (!_frozen[account] && registry.isEligible(account));
    }

    /// @dev A spender moves others' funds only while it is an active participant or an allowlisted
    ///      settlement contract: a delisted (retired) escrow can no longer settle anything through the
    ///      allowances banks gave it, even where no tokens pass through it.
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        if (!registry.isEligible(spender)) revert SettlementTokenIneligibleAccount(spender);
        super._spendAllowance(owner, spender, value);
    }

    function _setFrozen(address account, bool frozen) private {
        if (_frozen[account] == frozen) revert SettlementTokenFreezeUnchanged(account, frozen);
        _frozen[account] = frozen;
        emit AccountFreezeChanged(account, frozen, msg.sender);
    }
}
