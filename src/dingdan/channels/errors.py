from __future__ import annotations

from dingdan.platform.errors import Conflict, InvalidInput, NotFound


class ChannelNotFound(NotFound):
    code = "channel-not-found"
    title = "Channel not found"


class ChannelInactive(InvalidInput):
    code = "channel-inactive"
    title = "Channel does not take orders"


class DuplicateChannel(Conflict):
    code = "duplicate-channel"
    title = "Channel code already exists"
