"""The event bus port: publish records, consume them in consumer groups with explicit commits."""

from shared.bus.base import EventBus, Message, Record, Subscription

__all__ = ["EventBus", "Message", "Record", "Subscription"]
