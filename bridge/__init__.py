"""Corridor bridge: banks submit signed swap instructions; the bridge checks them against the
registry, limits and the FX oracle, drives both legs on one or two ledgers, relays the HTLC secret,
refunds on timeout, and persists every step so a restart resumes every swap.

Imports flow ``api -> engine -> {domain, store}``; ``domain`` imports no fastapi, web3 or sqlalchemy.
"""
