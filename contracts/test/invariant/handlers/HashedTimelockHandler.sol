// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IHashedTimelockEscrow} from "../../../src/interfaces/IHashedTimelockEscrow.sol";
import {FeeOnTransferToken} from "../../mocks/FeeOnTransferToken.sol";
import {SettlementHandlerBase, SettlementWorld} from "./SettlementHandlerBase.sol";

/// @notice Every entry point of the HTLC escrow: locks by the sender, relayed and batched (with an
///         item front-run by a stranger), claims and refunds one by one and in batches (by banks and
///         strangers, with wrong secrets and at the window edges), time travel, attempts to lock a
///         used hashlock again, quotes not signed by the quote service, forged lock authorisations, and
///         locks in a fee-on-transfer token. Ghost records: each lock's fate, value open per token.
contract HashedTimelockHandler is SettlementHandlerBase {
    struct Lock {
        IHashedTimelockEscrow.LockTerms terms;
        bytes32 secret;
        uint8 fate; // 0 open, 1 claimed, 2 refunded, 3 claim held (pending: the receiver's once the hold lifts)
    }

    FeeOnTransferToken public immutable feeToken;

    Lock[] internal _locks;
    mapping(address sender => uint256 nonce) internal _nonces;
    /// @dev (sender, nonce) of authorisations the sender never signed: none may ever be consumed.
    address[] internal _probeSenders;
    uint256[] internal _probeNonces;
    uint256 internal _counter;

    mapping(address token => uint256) public ghostOpen;
    uint256 public ghostClaims;
    uint256 public ghostRefunds;
    /// @notice A settlement observed on a lock already settled (must stay 0).
    uint256 public ghostDoubleSettlements;
    /// @notice Payouts to anyone but the receiver (claim) or the sender (refund) (must stay 0).
    uint256 public ghostMisdirected;
    /// @notice Locks with a pending claim that were refunded (must stay 0: a held claim is the receiver's).
    uint256 public ghostRefundedPending;
    /// @notice Locks accepted that should have been refused: used hashlock, unsigned quote, forged
    ///         authorisation, fee-on-transfer token (must stay 0).
    uint256 public ghostWronglyAccepted;

    constructor(SettlementWorld memory world, FeeOnTransferToken feeToken_) SettlementHandlerBase(world) {
        feeToken = feeToken_;
        _declare(IHashedTimelockEscrow.lock.selector, "HashedTimelockEscrow.lock");
        _declare(IHashedTimelockEscrow.lockFor.selector, "HashedTimelockEscrow.lockFor");
        _declare(IHashedTimelockEscrow.lockForBatch.selector, "HashedTimelockEscrow.lockForBatch");
        _declare(IHashedTimelockEscrow.claim.selector, "HashedTimelockEscrow.claim");
        _declare(IHashedTimelockEscrow.claimBatch.selector, "HashedTimelockEscrow.claimBatch");
        _declare(IHashedTimelockEscrow.refund.selector, "HashedTimelockEscrow.refund");
        _declare(IHashedTimelockEscrow.refundBatch.selector, "HashedTimelockEscrow.refundBatch");
    }

    // ─── locking ─────────────────────────────────────────────────────────────────────────

    /// @notice The sender locks its own funds; sometimes with a quote signed by someone other than the
    ///         quote service (must be refused).
    function lock(uint256 senderSeed, uint256 receiverSeed, uint256 amount, uint256 ttl, uint256 tokenSeed, uint8 forgeSeed)
        external
        observed
    {
        bool forgeQuote = forgeSeed % 4 == 0; // one call in four offers a quote the quote service never signed
        (LockRequest memory request, ) = _newRequest(senderSeed, receiverSeed, amount, ttl, tokenSeed);
        uint256 key = forgeQuote ? _world.strangerKey : _world.quoterKey;
        vm.prank(request.terms.sender);
        try _world.htlc.lock(_params(request), _proofBy(key, request)) {
            _record(IHashedTimelockEscrow.lock.selector, true);
            if (forgeQuote) ++ghostWronglyAccepted;
            _opened(request);
        } catch {
            _record(IHashedTimelockEscrow.lock.selector, false);
        }
    }

    /// @notice A relayer (a bank or a stranger) locks with the sender's authorisation; sometimes the
    ///         authorisation is forged by the stranger for a nonce the sender never signed.
    function lockFor(uint256 senderSeed, uint256 receiverSeed, uint256 amount, uint256 ttl, uint256 callerSeed, uint8 forgeSeed)
        external
        observed
    {
        bool forge = forgeSeed % 4 == 0; // one call in four carries an authorisation the sender never signed
        (LockRequest memory request, uint256 senderKey) =
            _newRequest(senderSeed, receiverSeed, amount, ttl, 0);
        address sender = request.terms.sender;
        uint256 nonce = forge ? (1 << 200) + _counter++ : _nonces[sender]++;
        bytes memory authorisation =
            _authoriseLock(forge ? _world.strangerKey : senderKey, request, nonce, address(_world.htlc));
        if (forge) {
            _probeSenders.push(sender);
            _probeNonces.push(nonce);
        }
        vm.prank(_caller(callerSeed));
        try _world.htlc.lockFor(_params(request), _proofBy(_world.quoterKey, request), _auth(request, nonce, authorisation)) {
            _record(IHashedTimelockEscrow.lockFor.selector, true);
            if (forge) ++ghostWronglyAccepted;
            _opened(request);
        } catch {
            _record(IHashedTimelockEscrow.lockFor.selector, false);
        }
    }

    /// @notice A batch of relayed locks in several tokens, with runs of one sender in one token (each pulled
    ///         in one transfer), sometimes ending in the fee-on-transfer token (must be refused); optionally
    ///         a stranger submits one item first through lockFor.
    function lockForBatch(uint256 seed, uint8 size, uint8 frontRunIndex, uint256 callerSeed) external observed {
        size = uint8(bound(size, 1, 6));
        LockRequest[] memory requests = new LockRequest[](size);
        IHashedTimelockEscrow.QuoteProof[] memory quotes = new IHashedTimelockEscrow.QuoteProof[](size);
        uint256[] memory nonces = new uint256[](size);
        bytes[] memory signatures = new bytes[](size);
        uint256 runSeed;
        bool withFee = seed % 8 == 0; // one batch in eight ends with an item in the fee-on-transfer token
        for (uint256 i; i < size; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            // About half the items continue the previous item's run (same sender, same token: one pull for
            // the run), the rest start a new one.
            uint256 senderSeed = i > 0 && s % 2 == 0 ? runSeed : s;
            runSeed = senderSeed;
            uint256 senderKey;
            (requests[i], senderKey) = _newRequest(senderSeed, s >> 64, s >> 128, s >> 32, senderSeed >> 96);
            if (withFee && i == size - 1) {
                requests[i].terms.token = address(feeToken);
                requests[i].terms.amount = bound(s >> 128, 100, 10_000_00);
            }
            quotes[i] = _proofBy(_world.quoterKey, requests[i]);
            nonces[i] = _nonces[requests[i].terms.sender]++;
            signatures[i] = _authoriseLock(senderKey, requests[i], nonces[i], address(_world.htlc));
        }
        if (frontRunIndex < size) {
            uint256 k = frontRunIndex;
            IHashedTimelockEscrow.Authorisation memory auth = _auth(requests[k], nonces[k], signatures[k]);
            vm.prank(_world.stranger);
            try _world.htlc.lockFor(_params(requests[k]), quotes[k], auth) {
                _opened(requests[k]);
            } catch {}
        }
        vm.prank(_caller(callerSeed));
        try _world.htlc.lockForBatch(_batch(requests, quotes, nonces, signatures)) returns (bytes32[] memory ids) {
            _record(IHashedTimelockEscrow.lockForBatch.selector, true);
            if (withFee) ++ghostWronglyAccepted; // the escrow received less than the run's sum
            for (uint256 i; i < size; ++i) {
                if (ids[i] != bytes32(0)) _opened(requests[i]);
                else if (i != frontRunIndex) ++ghostWronglyAccepted; // only a used authorisation may be skipped
            }
        } catch {
            _record(IHashedTimelockEscrow.lockForBatch.selector, false);
        }
    }

    /// @notice The sender signs a fresh authorisation for a hashlock whose lock already settled: a
    ///         retry that must never lock (and so never pay the receiver) twice.
    function relock(uint256 seed) external observed {
        (bool found, uint256 i) = _lockWithFate(seed, false);
        if (!found) return;
        IHashedTimelockEscrow.LockTerms memory terms = _locks[i].terms;
        terms.expiry = uint64(vm.getBlockTimestamp() + 1 hours); // a fresh lock in every respect but the hashlock
        LockRequest memory request = _wrap(terms, uint64(vm.getBlockTimestamp() + 1 minutes));
        uint256 nonce = _nonces[terms.sender]++;
        bytes memory authorisation = _authoriseLock(_keyOf(terms.sender), request, nonce, address(_world.htlc));
        try _world.htlc.lockFor(_params(request), _proofBy(_world.quoterKey, request), _auth(request, nonce, authorisation)) {
            ++ghostWronglyAccepted;
        } catch {}
    }

    /// @notice A bank locks a fee-on-transfer token: the escrow would receive less than the lock's
    ///         amount and must refuse.
    function lockFeeToken(uint256 senderSeed, uint256 receiverSeed, uint256 amount) external observed {
        (LockRequest memory request, ) = _newRequest(senderSeed, receiverSeed, amount, 1 hours, 0);
        request.terms.token = address(feeToken);
        request.terms.amount = bound(amount, 100, 10_000_00);
        vm.prank(request.terms.sender);
        try _world.htlc.lock(_params(request), _proofBy(_world.quoterKey, request)) {
            ++ghostWronglyAccepted;
        } catch {}
    }

    // ─── claiming and refunding ──────────────────────────────────────────────────────────

    /// @notice Claims an open lock (one still inside its claim window when there is one); one call in
    ///         four offers a wrong secret.
    function claim(uint256 seed, uint256 callerSeed, uint8 wrongSecret) external observed {
        (bool found, uint256 i) = _claimable(seed);
        if (!found) return;
        Lock memory entry = _locks[i];
        bytes32 secret = wrongSecret % 4 == 0 ? keccak256(abi.encode(entry.secret)) : entry.secret;
        uint256 before = IERC20(entry.terms.token).balanceOf(entry.terms.receiver);
        vm.prank(_caller(callerSeed));
        try _world.htlc.claim(_claimTerms(entry.terms), secret) {
            _record(IHashedTimelockEscrow.claim.selector, true);
            if (_world.htlc.isClaimPending(_idOf(entry.terms))) {
                _locks[i].fate = 3; // held by the token policy: nothing moved, the refund is closed
                if (IERC20(entry.terms.token).balanceOf(entry.terms.receiver) != before) ++ghostMisdirected;
                return;
            }
            if (IERC20(entry.terms.token).balanceOf(entry.terms.receiver) != before + entry.terms.amount) {
                ++ghostMisdirected;
            }
            _settled(i, 1);
        } catch {
            _record(IHashedTimelockEscrow.claim.selector, false);
        }
    }

    function refund(uint256 seed, uint256 callerSeed, bool waitForExpiry) external observed {
        (bool found, uint256 i) = _lockWithFate(seed, true);
        if (!found) return;
        Lock memory entry = _locks[i];
        if (waitForExpiry && vm.getBlockTimestamp() < entry.terms.expiry) vm.warp(entry.terms.expiry);
        uint256 before = IERC20(entry.terms.token).balanceOf(entry.terms.sender);
        vm.prank(_caller(callerSeed));
        try _world.htlc.refund(entry.terms) {
            _record(IHashedTimelockEscrow.refund.selector, true);
            if (entry.fate == 3) ++ghostRefundedPending;
            if (IERC20(entry.terms.token).balanceOf(entry.terms.sender) != before + entry.terms.amount) {
                ++ghostMisdirected;
            }
            _settled(i, 2);
        } catch {
            _record(IHashedTimelockEscrow.refund.selector, false);
        }
    }

    /// @notice Claims a handful of locks (open and settled ones mixed) in one call.
    function claimBatch(uint256 seed, uint8 size, uint256 callerSeed) external observed {
        (uint256[] memory picked, IHashedTimelockEscrow.LockTerms[] memory terms) = _pick(seed, size);
        if (picked.length == 0) return;
        bytes32[] memory secrets = new bytes32[](picked.length);
        for (uint256 k; k < picked.length; ++k) {
            secrets[k] = _locks[picked[k]].secret;
        }
        uint256[] memory before = _payeeBalances(picked, true);
        vm.prank(_caller(callerSeed));
        try _world.htlc.claimBatch(_claimTerms(terms), secrets) {
            _record(IHashedTimelockEscrow.claimBatch.selector, true);
            _afterBatch(picked, before, true, 1);
        } catch {
            _record(IHashedTimelockEscrow.claimBatch.selector, false);
        }
    }

    function refundBatch(uint256 seed, uint8 size, bool waitForExpiry, uint256 callerSeed) external observed {
        (uint256[] memory picked, IHashedTimelockEscrow.LockTerms[] memory terms) = _pick(seed, size);
        if (picked.length == 0) return;
        if (waitForExpiry) {
            uint64 latest;
            for (uint256 k; k < picked.length; ++k) {
                if (terms[k].expiry > latest) latest = terms[k].expiry;
            }
            if (vm.getBlockTimestamp() < latest) vm.warp(latest);
        }
        uint256[] memory before = _payeeBalances(picked, false);
        vm.prank(_caller(callerSeed));
        try _world.htlc.refundBatch(terms) {
            _record(IHashedTimelockEscrow.refundBatch.selector, true);
            _afterBatch(picked, before, false, 2);
        } catch {
            _record(IHashedTimelockEscrow.refundBatch.selector, false);
        }
    }

    function warp(uint256 dt) external {
        vm.warp(vm.getBlockTimestamp() + bound(dt, 1 minutes, 3 hours));
    }

    // ─── views for the invariants ────────────────────────────────────────────────────────

    /// @notice True when the escrow's open flags agree with every lock's ghost fate.
    function openFlagsMatchFates() external view returns (bool) {
        for (uint256 i; i < _locks.length; ++i) {
            bytes32 id = _world.htlc.lockIdOf(_locks[i].terms.sender, _locks[i].terms.hashlock);
            uint8 fate = _locks[i].fate;
            if (_world.htlc.isOpen(id) != (fate == 0 || fate == 3)) return false;
            if (_world.htlc.isSettled(id) != (fate == 1 || fate == 2)) return false;
            if (_world.htlc.isClaimPending(id) != (fate == 3)) return false;
        }
        return true;
    }

    /// @notice True when no authorisation nonce the sender never signed has been consumed.
    function probesUnused() external view returns (bool) {
        for (uint256 i; i < _probeSenders.length; ++i) {
            if (_world.htlc.authorisationUsed(_probeSenders[i], _probeNonces[i])) return false;
        }
        return true;
    }

    function lockCount() external view returns (uint256) {
        return _locks.length;
    }

    // ─── internals ───────────────────────────────────────────────────────────────────────

    /// @dev A fresh lock request between two banks in a settlement token (fresh secret, quote valid for
    ///      one minute, signed terms bound to it).
    function _newRequest(uint256 senderSeed, uint256 receiverSeed, uint256 amount, uint256 ttl, uint256 tokenSeed)
        private
        returns (LockRequest memory request, uint256 senderKey)
    {
        address sender;
        address receiver;
        (sender, senderKey, receiver,) = _pair(senderSeed, receiverSeed);
        bytes32 secret = keccak256(abi.encode("secret", _counter++));
        IHashedTimelockEscrow.LockTerms memory terms = IHashedTimelockEscrow.LockTerms({
            token: address(_token(tokenSeed)),
            sender: sender,
            receiver: receiver,
            amount: bound(amount, 1, 20_000_00),
            hashlock: sha256(abi.encodePacked(secret)),
            expiry: uint64(vm.getBlockTimestamp() + bound(ttl, 2 minutes, 6 hours))
        });
        request = _wrap(terms, uint64(vm.getBlockTimestamp() + 1 minutes));
        request.swapId = secret; // the handler finds a lock's secret through its swap id
        _rebind(request);
    }

    function _wrap(IHashedTimelockEscrow.LockTerms memory terms, uint64 validUntil)
        private
        pure
        returns (LockRequest memory request)
    {
        request = LockRequest({
            terms: terms,
            swapId: keccak256(abi.encode(terms.hashlock)),
            quoteHash: bytes32(0),
            quoteValidUntil: validUntil < terms.expiry ? validUntil : terms.expiry
        });
        _rebind(request);
    }

    function _opened(LockRequest memory request) private {
        _locks.push(Lock({terms: request.terms, secret: request.swapId, fate: 0}));
        ghostOpen[request.terms.token] += request.terms.amount;
    }

    function _settled(uint256 i, uint8 fate) private {
        if (_locks[i].fate == 1 || _locks[i].fate == 2) ++ghostDoubleSettlements;
        if (_locks[i].fate == 3 && fate == 2) ++ghostRefundedPending;
        _locks[i].fate = fate;
        ghostOpen[_locks[i].terms.token] -= _locks[i].terms.amount;
        if (fate == 1) ++ghostClaims;
        else ++ghostRefunds;
    }

    /// @dev Up to `size` distinct locks from `seed` on, mostly open ones (a settled one is kept when met).
    function _pick(uint256 seed, uint8 size)
        private
        view
        returns (uint256[] memory picked, IHashedTimelockEscrow.LockTerms[] memory terms)
    {
        uint256 n = _locks.length;
        if (n == 0) return (picked, terms);
        uint256 want = bound(size, 1, 5);
        if (want > n) want = n;
        picked = new uint256[](want);
        terms = new IHashedTimelockEscrow.LockTerms[](want);
        uint256 count;
        for (uint256 k; k < n && count < want; ++k) {
            uint256 i = (seed % n + k) % n;
            if ((_locks[i].fate == 1 || _locks[i].fate == 2) && count > 0) continue; // at most the first one may be settled
            picked[count] = i;
            terms[count] = _locks[i].terms;
            ++count;
        }
        assembly ("memory-safe") {
            mstore(picked, count)
            mstore(terms, count)
        }
    }

    function _payeeBalances(uint256[] memory picked, bool toReceiver) private view returns (uint256[] memory before) {
        before = new uint256[](picked.length);
        for (uint256 k; k < picked.length; ++k) {
            IHashedTimelockEscrow.LockTerms memory terms = _locks[picked[k]].terms;
            before[k] = IERC20(terms.token).balanceOf(toReceiver ? terms.receiver : terms.sender);
        }
    }

    /// @dev Records the locks the batch settled and checks each payee got exactly the amounts of its
    ///      own settled locks.
    function _afterBatch(uint256[] memory picked, uint256[] memory before, bool toReceiver, uint8 fate) private {
        bool[] memory newlySettled = new bool[](picked.length);
        for (uint256 k; k < picked.length; ++k) {
            IHashedTimelockEscrow.LockTerms memory terms = _locks[picked[k]].terms;
            bool open = _world.htlc.isOpen(_world.htlc.lockIdOf(terms.sender, terms.hashlock));
            uint8 fate = _locks[picked[k]].fate;
            newlySettled[k] = (fate == 0 || fate == 3) && !open;
        }
        for (uint256 k; k < picked.length; ++k) {
            IHashedTimelockEscrow.LockTerms memory terms = _locks[picked[k]].terms;
            address payee = toReceiver ? terms.receiver : terms.sender;
            uint256 expected = before[k];
            for (uint256 j; j < picked.length; ++j) {
                IHashedTimelockEscrow.LockTerms memory other = _locks[picked[j]].terms;
                address otherPayee = toReceiver ? other.receiver : other.sender;
                if (newlySettled[j] && otherPayee == payee && other.token == terms.token) expected += other.amount;
            }
            if (IERC20(terms.token).balanceOf(payee) != expected) ++ghostMisdirected;
        }
        for (uint256 k; k < picked.length; ++k) {
            if (newlySettled[k]) _settled(picked[k], fate);
            else if (_world.htlc.isClaimPending(_idOf(_locks[picked[k]].terms))) _locks[picked[k]].fate = 3;
        }
    }

    /// @dev The first open lock at or after `seed` whose claim window is still open, else any open lock.
    function _claimable(uint256 seed) private view returns (bool found, uint256 index) {
        uint256 n = _locks.length;
        for (uint256 k; k < n; ++k) {
            uint256 i = (seed % n + k) % n;
            uint8 fate = _locks[i].fate;
            if (fate == 3 || (fate == 0 && vm.getBlockTimestamp() < _locks[i].terms.expiry)) return (true, i);
        }
        return _lockWithFate(seed, true);
    }

    /// @dev The first lock at or after `seed` that is open (`open`) or settled (`!open`).
    function _lockWithFate(uint256 seed, bool open) private view returns (bool found, uint256 index) {
        uint256 n = _locks.length;
        for (uint256 k; k < n; ++k) {
            uint256 i = (seed % n + k) % n;
            uint8 fate = _locks[i].fate;
            if ((fate == 0 || fate == 3) == open) return (true, i);
        }
        return (false, 0);
    }

    function _idOf(IHashedTimelockEscrow.LockTerms memory terms) private view returns (bytes32) {
        return _world.htlc.lockIdOf(terms.sender, terms.hashlock);
    }

    function _keyOf(address bank) private view returns (uint256) {
        for (uint256 k; k < _world.banks.length; ++k) {
            if (_world.banks[k] == bank) return _world.keys[k];
        }
        revert("unknown bank");
    }
}
