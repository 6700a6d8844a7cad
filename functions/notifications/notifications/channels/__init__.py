"""Adapters of the notification channel port (`notifications.logic.notification_channel`)."""
