"""Corridor's FX oracle: feeds of real ECB reference rates, reporters that sign observations,
a publisher that puts quorum-signed rounds on every ledger, and signed quotes that bind swaps.

Imports ``corridor`` (configuration, chain client); never imports ``bridge``.
"""
