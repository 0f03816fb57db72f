// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IsoCodes
/// @notice Shape checks for the ISO codes stored on chain, left-aligned in fixed-size bytes.
library IsoCodes {
    /// @notice True when `code` is three upper-case letters (ISO 4217 currency).
    function isCurrency(bytes3 code) internal pure returns (bool) {
        return _isUpper(code[0]) && _isUpper(code[1]) && _isUpper(code[2]);
    }

    /// @notice True when `code` is two upper-case letters (ISO 3166-1 alpha-2 country).
    function isCountry(bytes2 code) internal pure returns (bool) {
        return _isUpper(code[0]) && _isUpper(code[1]);
    }

    /// @notice True when `bic` is 8 characters (padded with zero bytes) or 11 characters,
    ///         each an upper-case letter or a digit (ISO 9362).
    function isBic(bytes11 bic) internal pure returns (bool) {
        for (uint256 i; i < 8; ++i) {
            if (!_isUpperOrDigit(bic[i])) return false;
        }
        bool shortForm = bic[8] == 0 && bic[9] == 0 && bic[10] == 0;
        if (shortForm) return true;
        return _isUpperOrDigit(bic[8]) && _isUpperOrDigit(bic[9]) && _isUpperOrDigit(bic[10]);
    }

    function _isUpper(bytes1 c) private pure returns (bool) {
        return c >= "A" && c <= "Z";
    }

    function _isUpperOrDigit(bytes1 c) private pure returns (bool) {
        return _isUpper(c) || (c >= "0" && c <= "9");
    }
}
