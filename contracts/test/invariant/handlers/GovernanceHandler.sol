// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IDelayedGovernance} from "../../../src/interfaces/IDelayedGovernance.sol";
import {FxOracle} from "../../../src/oracle/FxOracle.sol";
import {ParticipantRegistry} from "../../../src/registry/ParticipantRegistry.sol";
import {ReachCounter} from "./ReachCounter.sol";

/// @notice The registry's roles and both contracts' delayed governance, driven by:
///         - a hostile operator: proposes reporter changes (some hostile: adding a faulty reporter,
///           removing an honest one) and quorums, and tries every regulator power it must not have;
///         - a vigilant regulator: vetoes every hostile proposal during its delay (modelled when the
///           proposal comes up for execution), sometimes others, and rotates its own key;
///         - reporters that renounce their role; a stranger that executes proposals (anyone may) and
///           tries powers it has not got.
contract GovernanceHandler is ReachCounter, CommonBase, StdCheats, StdUtils {
    struct Tracked {
        bool onOracle;
        uint256 id;
        bool hostile;
    }

    ParticipantRegistry public immutable registry;
    FxOracle public immutable fx;
    address public immutable operator;
    address public immutable stranger;
    address public immutable deputy;
    address[2] internal _regulators;
    uint256 internal _current;
    address[] internal _candidates;
    mapping(address account => bool) public isFaulty;
    Tracked[] internal _proposals;

    constructor(
        ParticipantRegistry registry_,
        FxOracle fx_,
        address operator_,
        address regulator_,
        address[] memory candidates_,
        address[] memory faulty_
    ) {
        registry = registry_;
        fx = fx_;
        operator = operator_;
        stranger = makeAddr("stranger");
        deputy = makeAddr("deputy");
        _regulators = [regulator_, makeAddr("regulatorSuccessor")];
        _candidates = candidates_;
        for (uint256 i; i < faulty_.length; ++i) {
            isFaulty[faulty_[i]] = true;
        }
        _declare("operatorProposeReporter", this.operatorProposeReporter.selector, false);
        _declare("operatorProposeQuorum", this.operatorProposeQuorum.selector, false);
        _declare("regulatorVeto", this.regulatorVeto.selector, false);
        _declare("anyoneExecute", this.anyoneExecute.selector, false);
        _declare("reporterRenounce", this.reporterRenounce.selector, false);
        _declare("regulatorRotate", this.regulatorRotate.selector, false);
        _declare("operatorToggleQuoteSigner", this.operatorToggleQuoteSigner.selector, false);
        _declare("operatorToggleDeputyOperator", this.operatorToggleDeputyOperator.selector, false);
        _declare("operatorGrantsItselfRegulator", this.operatorGrantsItselfRegulator.selector, true);
        _declare("operatorRevokesRegulator", this.operatorRevokesRegulator.selector, true);
        _declare("operatorGrantsReporterDirectly", this.operatorGrantsReporterDirectly.selector, true);
        _declare("operatorRevokesReporterDirectly", this.operatorRevokesReporterDirectly.selector, true);
        _declare("operatorVetoes", this.operatorVetoes.selector, true);
        _declare("operatorMakesRegulatorOperator", this.operatorMakesRegulatorOperator.selector, true);
        _declare("regulatorMakesOperatorRegulator", this.regulatorMakesOperatorRegulator.selector, true);
        _declare("regulatorRemovesLastRegulator", this.regulatorRemovesLastRegulator.selector, true);
        _declare("strangerProposes", this.strangerProposes.selector, true);
        _declare("strangerVetoes", this.strangerVetoes.selector, true);
        _declare("strangerGrantsItselfRole", this.strangerGrantsItselfRole.selector, true);
    }

    // ─── operator: legitimate proposals (some hostile, for the regulator to catch) ───────

    function operatorProposeReporter(uint256 seed) external {
        address candidate = _candidates[seed % _candidates.length];
        bool add = !_isReporter(candidate);
        // Hostile: a faulty reporter in, or an honest one out. The vigilant regulator vetoes these.
        bool hostile = add ? isFaulty[candidate] : !isFaulty[candidate];
        vm.prank(operator);
        try registry.proposeReporterChange(candidate, add) returns (uint256 id) {
            _proposals.push(Tracked({onOracle: false, id: id, hostile: hostile}));
            _count("operatorProposeReporter", true);
        } catch {
            _count("operatorProposeReporter", false);
        }
    }

    function operatorProposeQuorum(uint256 seed) external {
        uint256 n = registry.reporterCount();
        uint256 min = n / 2 + 1 < 2 ? 2 : n / 2 + 1;
        uint256 quorum = min > n ? min : bound(seed, min, n);
        vm.prank(operator);
        try fx.proposeQuorum(uint8(quorum)) returns (uint256 id) {
            _proposals.push(Tracked({onOracle: true, id: id, hostile: false}));
            _count("operatorProposeQuorum", true);
        } catch {
            _count("operatorProposeQuorum", false);
        }
    }

    function operatorToggleQuoteSigner(uint256 seed) external {
        address account = seed % 2 == 0 ? stranger : deputy;
        bytes32 role = registry.QUOTE_SIGNER_ROLE();
        bool held = registry.hasRole(role, account);
        vm.prank(operator);
        if (held) {
            try registry.revokeRole(role, account) {
                _count("operatorToggleQuoteSigner", !registry.hasRole(role, account));
            } catch {
                _count("operatorToggleQuoteSigner", false);
            }
        } else {
            try registry.grantRole(role, account) {
                _count("operatorToggleQuoteSigner", registry.hasRole(role, account));
            } catch {
                _count("operatorToggleQuoteSigner", false);
            }
        }
    }

    /// @dev The operator may make another account operator (a second key), never a regulator's.
    function operatorToggleDeputyOperator() external {
        bytes32 role = registry.OPERATOR_ROLE();
        bool held = registry.hasRole(role, deputy);
        vm.prank(operator);
        if (held) {
            try registry.revokeRole(role, deputy) {
                _count("operatorToggleDeputyOperator", true);
            } catch {
                _count("operatorToggleDeputyOperator", false);
            }
        } else {
            try registry.grantRole(role, deputy) {
                _count("operatorToggleDeputyOperator", true);
            } catch {
                _count("operatorToggleDeputyOperator", false);
            }
        }
    }

    // ─── operator: powers it must never have ─────────────────────────────────────────────

    function operatorGrantsItselfRegulator(bool viaDeputy) external {
        address account = viaDeputy ? deputy : operator;
        bytes32 role = registry.REGULATOR_ROLE();
        vm.prank(account);
        try registry.grantRole(role, account) {
            _count("operatorGrantsItselfRegulator", true);
        } catch {
            _count("operatorGrantsItselfRegulator", false);
        }
    }

    function operatorRevokesRegulator() external {
        bytes32 role = registry.REGULATOR_ROLE();
        address target = currentRegulator();
        vm.prank(operator);
        try registry.revokeRole(role, target) {
            _count("operatorRevokesRegulator", true);
        } catch {
            _count("operatorRevokesRegulator", false);
        }
    }

    function operatorGrantsReporterDirectly(uint256 seed) external {
        bytes32 role = registry.REPORTER_ROLE();
        address candidate = _candidates[seed % _candidates.length];
        vm.prank(operator);
        try registry.grantRole(role, candidate) {
            _count("operatorGrantsReporterDirectly", true);
        } catch {
            _count("operatorGrantsReporterDirectly", false);
        }
    }

    function operatorRevokesReporterDirectly(uint256 seed) external {
        bytes32 role = registry.REPORTER_ROLE();
        address candidate = _candidates[seed % _candidates.length];
        vm.prank(operator);
        try registry.revokeRole(role, candidate) {
            _count("operatorRevokesReporterDirectly", true);
        } catch {
            _count("operatorRevokesReporterDirectly", false);
        }
    }

    function operatorVetoes(uint256 seed) external {
        (bool found, Tracked memory proposal) = _pending(seed, false);
        if (!found) proposal = Tracked({onOracle: seed % 2 == 0, id: 1, hostile: false});
        IDelayedGovernance target = _target(proposal);
        vm.prank(operator);
        try target.veto(proposal.id) {
            _count("operatorVetoes", true);
        } catch {
            _count("operatorVetoes", false);
        }
    }

    function operatorMakesRegulatorOperator() external {
        bytes32 role = registry.OPERATOR_ROLE();
        address target = currentRegulator();
        vm.prank(operator);
        try registry.grantRole(role, target) {
            _count("operatorMakesRegulatorOperator", true);
        } catch {
            _count("operatorMakesRegulatorOperator", false);
        }
    }

    // ─── regulator ───────────────────────────────────────────────────────────────────────

    /// @dev Vetoes a pending proposal, hostile ones first.
    function regulatorVeto(uint256 seed) external {
        (bool found, Tracked memory proposal) = _pending(seed, true);
        if (!found) (found, proposal) = _pending(seed, false);
        if (!found) proposal = Tracked({onOracle: seed % 2 == 0, id: 1, hostile: false});
        IDelayedGovernance target = _target(proposal);
        vm.prank(currentRegulator());
        try target.veto(proposal.id) {
            _count("regulatorVeto", true);
        } catch {
            _count("regulatorVeto", false);
        }
    }

    /// @dev Rotates the regulator's key: the current one grants the role to its successor, then renounces.
    function regulatorRotate() external {
        bytes32 role = registry.REGULATOR_ROLE();
        address from = currentRegulator();
        address to = _regulators[1 - _current];
        vm.prank(from);
        try registry.grantRole(role, to) {
            vm.prank(from);
            try registry.renounceRole(role, from) {
                _current = 1 - _current;
                _count("regulatorRotate", true);
            } catch {
                _count("regulatorRotate", false);
            }
        } catch {
            _count("regulatorRotate", false);
        }
    }

    function regulatorMakesOperatorRegulator(bool viaDeputy) external {
        bytes32 role = registry.REGULATOR_ROLE();
        address target = viaDeputy && registry.hasRole(registry.OPERATOR_ROLE(), deputy) ? deputy : operator;
        vm.prank(currentRegulator());
        try registry.grantRole(role, target) {
            _count("regulatorMakesOperatorRegulator", true);
        } catch {
            _count("regulatorMakesOperatorRegulator", false);
        }
    }

    function regulatorRemovesLastRegulator(bool renounce) external {
        bytes32 role = registry.REGULATOR_ROLE();
        address target = currentRegulator();
        vm.prank(target);
        if (renounce) {
            try registry.renounceRole(role, target) {
                _count("regulatorRemovesLastRegulator", true);
            } catch {
                _count("regulatorRemovesLastRegulator", false);
            }
        } else {
            try registry.revokeRole(role, target) {
                _count("regulatorRemovesLastRegulator", true);
            } catch {
                _count("regulatorRemovesLastRegulator", false);
            }
        }
    }

    // ─── anyone ──────────────────────────────────────────────────────────────────────────

    /// @dev Executes a pending proposal once its delay has passed (the clock moves there). The vigilant
    ///      regulator has vetoed it during the delay if it was hostile.
    function anyoneExecute(uint256 seed, bool byStranger) external {
        (bool found, Tracked memory proposal) = _pending(seed, false);
        if (!found) {
            _count("anyoneExecute", false);
            return;
        }
        IDelayedGovernance target = _target(proposal);
        if (proposal.hostile) {
            vm.prank(currentRegulator());
            target.veto(proposal.id);
        }
        uint256 executableAt = target.proposal(proposal.id).executableAt;
        if (vm.getBlockTimestamp() < executableAt) vm.warp(executableAt);
        vm.prank(byStranger ? stranger : _candidates[seed % _candidates.length]);
        try target.execute(proposal.id) {
            _count("anyoneExecute", true);
        } catch {
            _count("anyoneExecute", false);
        }
    }

    /// @dev One reporter in four gives up when asked (a renounce is rare; the others decline).
    function reporterRenounce(uint256 seed) external {
        if (seed % 4 != 0) {
            _count("reporterRenounce", false);
            return;
        }
        seed >>= 2;
        bytes32 role = registry.REPORTER_ROLE();
        address reporter = _candidates[seed % _candidates.length];
        for (uint256 i; i < _candidates.length && !_isReporter(reporter); ++i) {
            reporter = _candidates[(seed % _candidates.length + i) % _candidates.length];
        }
        bool held = _isReporter(reporter);
        vm.prank(reporter);
        try registry.renounceRole(role, reporter) {
            _count("reporterRenounce", held && !_isReporter(reporter));
        } catch {
            _count("reporterRenounce", false);
        }
    }

    function strangerProposes(uint256 seed) external {
        vm.prank(stranger);
        if (seed % 2 == 0) {
            try registry.proposeReporterChange(stranger, true) {
                _count("strangerProposes", true);
            } catch {
                _count("strangerProposes", false);
            }
        } else {
            try fx.proposeQuorum(3) {
                _count("strangerProposes", true);
            } catch {
                _count("strangerProposes", false);
            }
        }
    }

    function strangerVetoes(uint256 seed) external {
        (bool found, Tracked memory proposal) = _pending(seed, false);
        if (!found) proposal = Tracked({onOracle: seed % 2 == 0, id: 1, hostile: false});
        IDelayedGovernance target = _target(proposal);
        vm.prank(stranger);
        try target.veto(proposal.id) {
            _count("strangerVetoes", true);
        } catch {
            _count("strangerVetoes", false);
        }
    }

    function strangerGrantsItselfRole(uint256 seed) external {
        bytes32[4] memory roles = [
            registry.OPERATOR_ROLE(), registry.REGULATOR_ROLE(), registry.REPORTER_ROLE(), registry.QUOTE_SIGNER_ROLE()
        ];
        bytes32 role = roles[seed % 4];
        vm.prank(stranger);
        try registry.grantRole(role, stranger) {
            _count("strangerGrantsItselfRole", true);
        } catch {
            _count("strangerGrantsItselfRole", false);
        }
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────

    function _target(Tracked memory proposal) private view returns (IDelayedGovernance) {
        return proposal.onOracle ? IDelayedGovernance(address(fx)) : IDelayedGovernance(address(registry));
    }

    function currentRegulator() public view returns (address) {
        return _regulators[_current];
    }

    function regulatorCandidates() external view returns (address[2] memory) {
        return _regulators;
    }

    function candidates() external view returns (address[] memory) {
        return _candidates;
    }

    function proposalsMade() external view returns (uint256) {
        return _proposals.length;
    }

    function _isReporter(address account) private view returns (bool) {
        return registry.hasRole(registry.REPORTER_ROLE(), account);
    }

    /// @dev The first pending tracked proposal from `seed` on (only hostile ones when `hostileOnly`).
    function _pending(uint256 seed, bool hostileOnly) private view returns (bool found, Tracked memory proposal) {
        uint256 n = _proposals.length;
        for (uint256 i; i < n; ++i) {
            Tracked memory candidate = _proposals[(seed % n + i) % n];
            if (hostileOnly && !candidate.hostile) continue;
            if (_target(candidate).proposal(candidate.id).status == IDelayedGovernance.ProposalStatus.Pending) {
                return (true, candidate);
            }
        }
    }
}
