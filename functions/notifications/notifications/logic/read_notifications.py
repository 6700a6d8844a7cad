from __future__ import annotations

from notifications.dal.notifications_table import NotificationsTable
from notifications.errors import NotYourNotifications
from notifications.models import NotificationPage
from petstore_shared.caller_identity import CallerIdentity, user_id_meant


def list_user_notifications(
    caller: CallerIdentity,
    user_id: str,
    limit: int,
    next_token: str | None,
    *,
    notifications: NotificationsTable,
) -> NotificationPage:
    """A shopper's notifications, newest first, for that shopper (`me`) or an admin."""
    user_id = user_id_meant(caller, user_id)
    if caller.user_id != user_id and not caller.is_admin:
        raise NotYourNotifications(caller.user_id)
    items, token = notifications.list_user_notifications(user_id, limit, next_token)
    return NotificationPage(items=items, next_token=token)
