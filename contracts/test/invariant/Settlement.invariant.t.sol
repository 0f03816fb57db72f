// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SettlementBase} from "../utils/SettlementBase.sol";
import {SettlementToken} from "../../src/tokens/SettlementToken.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {HashedTimelockHandler} from "./handlers/HashedTimelockHandler.sol";
import {PvPHandler} from "./handlers/PvPHandler.sol";
import {Reach} from "./handlers/Reach.sol";
import {SettlementWorld} from "./handlers/SettlementHandlerBase.sol";
import {SupervisionHandler} from "./handlers/SupervisionHandler.sol";
import {TokenHandler} from "./handlers/TokenHandler.sol";

/// @notice The settlement layer as one system: two permissioned currencies, both escrows, four banks,
///         a stranger, the regulator, the operator and the quote service, driven at once by handlers
///         that reach every external entry point of the tokens and escrows, move time, freeze, pause
///         and suspend, and push a fee-on-transfer token through the escrows.
abstract contract SettlementSystemBase is SettlementBase {
    uint256 internal constant HKD_CNY = 1e36 / CNY_HKD;

    SupervisionHandler internal supervision;
    TokenHandler internal tokens;
    PvPHandler internal pvpHandler;
    HashedTimelockHandler internal htlcHandler;
    FeeOnTransferToken internal fot;
    address internal stranger;
    uint256 internal strangerKey;
    mapping(address token => uint256) internal _initialSupply;

    function setUp() public virtual override {
        super.setUp();
        (stranger, strangerKey) = makeAddrAndKey("stranger");
        oracle.setMid("HKD", "CNY", HKD_CNY);
        oracle.setMid("CNY", "FOT", 1e18);
        fot = new FeeOnTransferToken();
        vm.prank(operator);
        pvp.listAsset(address(fot), "FOT", 2, true);
        address[4] memory banks = [alice, bob, carol, dave];
        for (uint256 i; i < banks.length; ++i) {
            fot.mint(banks[i], OPENING);
            vm.startPrank(banks[i]);
            fot.approve(address(pvp), type(uint256).max);
            fot.approve(address(htlc), type(uint256).max);
            vm.stopPrank();
        }
        SettlementWorld memory world = _world(banks);
        supervision = new SupervisionHandler(world);
        tokens = new TokenHandler(world);
        pvpHandler = new PvPHandler(world, CNY_HKD, HKD_CNY, fot);
        htlcHandler = new HashedTimelockHandler(world, fot);
        _initialSupply[address(cny)] = cny.totalSupply();
        _initialSupply[address(hkd)] = hkd.totalSupply();
        targetContract(address(supervision));
        targetContract(address(tokens));
        targetContract(address(pvpHandler));
        targetContract(address(htlcHandler));
    }

    function _world(address[4] memory banks) private view returns (SettlementWorld memory world) {
        SettlementToken[] memory list = new SettlementToken[](2);
        (list[0], list[1]) = (cny, hkd);
        address[] memory issuers = new address[](2);
        (issuers[0], issuers[1]) = (pboc, hkma);
        address[] memory bankList = new address[](4);
        uint256[] memory keys = new uint256[](4);
        (bankList[0], bankList[1], bankList[2], bankList[3]) = (banks[0], banks[1], banks[2], banks[3]);
        (keys[0], keys[1], keys[2], keys[3]) = (aliceKey, bobKey, carolKey, daveKey);
        world = SettlementWorld({
            registry: registry,
            tokens: list,
            issuers: issuers,
            pvp: pvp,
            htlc: htlc,
            operator: operator,
            regulator: regulator,
            stranger: stranger,
            banks: bankList,
            keys: keys,
            strangerKey: strangerKey,
            quoterKey: quoterKey
        });
    }

    function _handlers() internal view returns (Reach[] memory list) {
        list = new Reach[](4);
        (list[0], list[1], list[2], list[3]) = (supervision, tokens, pvpHandler, htlcHandler);
    }
}

/// @dev One invariant function, so the whole suite is one campaign per run (forge runs a separate
///      campaign for every `invariant_` function): each rule is an internal check named after it, and
///      a failure names the rule in its message.
contract SettlementInvariantTest is SettlementSystemBase {
    function invariant_settlementRules() external view {
        _onlyAnIssuerChangesSupply();
        _supplyEqualsHoldings();
        _htlcHoldsExactlyOpenLocks();
        _pvpHoldsExactlyParkedLegs();
        _bothLegsOrNone();
        _supervisoryPowersCannotBeBypassed();
        _noncesConsumedOnlyByTheirOwner();
        _locksSettleOnceToTheirOwnParty();
    }

    /// @notice Supply changes only by the issuer's mint and burn.
    function _onlyAnIssuerChangesSupply() private view {
        assertEq(tokens.ghostUnauthorisedSupplyChanges(), 0, "supply changed without its issuer");
        _assertSupply(cny);
        _assertSupply(hkd);
    }

    /// @notice Every unit of supply sits with a bank, an issuer, the stranger or an escrow.
    function _supplyEqualsHoldings() private view {
        address[8] memory holders = [alice, bob, carol, dave, pboc, hkma, address(pvp), address(htlc)];
        for (uint256 t; t < 2; ++t) {
            SettlementToken token = t == 0 ? cny : hkd;
            uint256 sum = token.balanceOf(stranger);
            for (uint256 h; h < holders.length; ++h) {
                sum += token.balanceOf(holders[h]);
            }
            assertEq(token.totalSupply(), sum, "supply != holdings");
        }
    }

    /// @notice The HTLC holds exactly the value of its open locks, per token (fee token included).
    function _htlcHoldsExactlyOpenLocks() private view {
        assertEq(cny.balanceOf(address(htlc)), htlcHandler.ghostOpen(address(cny)), "CNY escrow drift");
        assertEq(hkd.balanceOf(address(htlc)), htlcHandler.ghostOpen(address(hkd)), "HKD escrow drift");
        assertEq(fot.balanceOf(address(htlc)), htlcHandler.ghostOpen(address(fot)), "fee token escrow drift");
    }

    /// @notice The PvP escrow holds exactly the parked legs, per token: batches never spend them.
    function _pvpHoldsExactlyParkedLegs() private view {
        assertEq(cny.balanceOf(address(pvp)), pvpHandler.ghostParked(address(cny)), "CNY parked drift");
        assertEq(hkd.balanceOf(address(pvp)), pvpHandler.ghostParked(address(hkd)), "HKD parked drift");
        assertEq(fot.balanceOf(address(pvp)), 0, "fee token parked");
    }

    /// @notice A PvP swap moves both legs or none; a netted batch ends where gross settlement would.
    function _bothLegsOrNone() private view {
        assertEq(pvpHandler.ghostHalfSettled(), 0, "one leg moved without the other");
        assertEq(pvpHandler.ghostNetMismatch(), 0, "netting changed someone's final balance");
    }

    /// @notice No frozen, suspended or non-participant party's balance moves, by any path (netting
    ///         included), and nobody but the regulator exercises its powers.
    function _supervisoryPowersCannotBeBypassed() private view {
        Reach[] memory list = _handlers();
        uint256 moves;
        moves += supervision.ghostRestrictedMoves() + tokens.ghostRestrictedMoves();
        moves += pvpHandler.ghostRestrictedMoves() + htlcHandler.ghostRestrictedMoves();
        assertEq(moves, 0, "a restricted party's balance moved");
        assertEq(pvpHandler.ghostRestrictedSettled(), 0, "a batch settled a swap of a restricted party");
        assertEq(supervision.ghostUsurpedPowers(), 0, "someone other than the regulator froze or paused");
        assertEq(list.length, 4);
    }

    /// @notice Every nonce and authorisation is consumed only with its owner's signature.
    function _noncesConsumedOnlyByTheirOwner() private view {
        assertTrue(pvpHandler.probesUnused(), "a PvP nonce was consumed without party A's signature");
        assertEq(pvpHandler.ghostReplayedFunding(), 0, "a settle signature was replayed to park a party's funds");
        assertTrue(htlcHandler.probesUnused(), "a lock authorisation was consumed without the sender's signature");
    }

    /// @notice Each lock settles at most once, to its own party; a hashlock locks once; only signed
    ///         quotes, genuine authorisations and exact deposits are accepted.
    function _locksSettleOnceToTheirOwnParty() private view {
        assertEq(htlcHandler.ghostDoubleSettlements(), 0, "a lock settled twice");
        assertEq(htlcHandler.ghostRefundedPending(), 0, "a lock with a held claim went back to its sender");
        assertEq(htlcHandler.ghostMisdirected(), 0, "funds went to the wrong party");
        assertEq(htlcHandler.ghostWronglyAccepted(), 0, "a lock that should have been refused was accepted");
        assertEq(pvpHandler.ghostFeeTokenAccepted(), 0, "the PvP escrow took a fee-on-transfer deposit");
        assertTrue(htlcHandler.openFlagsMatchFates(), "open flag disagrees with the lock's fate");
    }

    function _assertSupply(SettlementToken token) private view {
        assertEq(
            token.totalSupply(),
            _initialSupply[address(token)] + tokens.ghostMinted(address(token)) - tokens.ghostBurned(address(token)),
            "supply drift"
        );
    }
}
