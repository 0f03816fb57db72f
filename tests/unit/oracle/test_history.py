"""The packed round word of RoundPublished, decoded as the contract's RoundCodec encodes it."""

from oracle.history import OracleRound


def test_round_word_decodes_field_by_field() -> None:
    mid, bid, ask, dispersion, observed, published = 108_500_000, 108_490_000, 108_510_000, 7, 1_700_000_000, 1_700_000_360
    word = mid | bid << 48 | ask << 96 | dispersion << 144 | observed << 160 | published << 192
    assert OracleRound.from_word(word) == OracleRound(mid, bid, ask, dispersion, observed, published)
    assert OracleRound.from_call((mid, bid, ask, dispersion, observed, published)) == OracleRound.from_word(word)


def test_round_word_fields_do_not_bleed() -> None:
    top = (1 << 48) - 1
    word = top | top << 48 | top << 96 | 0xFFFF << 144 | 0xFFFFFFFF << 160 | 0xFFFFFFFF << 192
    assert OracleRound.from_word(word) == OracleRound(top, top, top, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    assert OracleRound.from_word(1 << 48) == OracleRound(0, 1, 0, 0, 0, 0)
