"""NotificationPublisher on a channels backend: the recipient's channel."""

from __future__ import annotations

from litestar.channels.backends.base import ChannelsBackend

from healthrecords.adapters.channels.wire import encode_notification, notification_channel
from healthrecords.domain.notifications import Notification


class ChannelsNotificationPublisher:
    def __init__(self, backend: ChannelsBackend, namespace: str) -> None:
        self._backend = backend
        self._namespace = namespace

    async def publish(self, notification: Notification) -> None:
        channel = notification_channel(self._namespace, notification.recipient_id)
        await self._backend.publish(encode_notification(notification), [channel])
