"""Where scenes send behaviour events. record() runs in the render loop, so it never does I/O."""

import threading
from typing import Protocol, TypeVar, runtime_checkable

from sync.events import BehaviourEvent, EventBus

Event = TypeVar("Event", bound=BehaviourEvent)


@runtime_checkable
class Recorder(Protocol):
    """Takes behaviour events from a scene; must return quickly and never block on I/O."""

    def record(self, event: BehaviourEvent) -> None: ...


class NullRecorder:
    """Drops every event: for renders, benchmarks and runs without a learning platform."""

    def record(self, event: BehaviourEvent) -> None:
        pass


class MemoryRecorder:
    """Keeps events in memory in arrival order; safe to record from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[BehaviourEvent] = []

    def record(self, event: BehaviourEvent) -> None:
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[BehaviourEvent]:
        """A copy of the events recorded so far."""
        with self._lock:
            return list(self._events)

    def of_type(self, event_type: type[Event]) -> list[Event]:
        """The recorded events that are instances of `event_type`, in arrival order."""
        with self._lock:
            return [event for event in self._events if isinstance(event, event_type)]

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


class BusRecorder:
    """Publishes each event on an EventBus; its subscribers must be as quick as record()."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def record(self, event: BehaviourEvent) -> None:
        self.bus.publish(event)
