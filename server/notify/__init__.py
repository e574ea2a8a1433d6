"""Notifications: the outbox dispatcher, its channels (the in-app inbox for now) and the inbox routes."""
