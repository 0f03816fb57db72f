"""FX feeds behind one small interface: :class:`~oracle.feeds.base.Feed`."""

from oracle.feeds.base import Feed, Fixing
from oracle.feeds.ecb_history import EcbHistoryFeed
from oracle.feeds.ecb_xml import EcbXmlFeed
from oracle.feeds.restamped import RestampedFeed
from oracle.feeds.static import StaticFeed

__all__ = ["EcbHistoryFeed", "EcbXmlFeed", "Feed", "Fixing", "RestampedFeed", "StaticFeed"]
