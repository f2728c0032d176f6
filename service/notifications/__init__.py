"""Notifications: an outbox written in the caller's transaction, delivered by the worker (workers/notify.py)."""
