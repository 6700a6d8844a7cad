"""The channel port: how a stored notification reaches its shopper."""

from __future__ import annotations

from typing import Protocol

from notifications.models import Notification


class NotificationChannel(Protocol):
    def deliver(self, notification: Notification) -> None:
        """Hand the notification over for delivery; raise if that failed."""
