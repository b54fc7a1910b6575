import threading

from sync.events import EventBus, ObjectViewed, SceneEntered, SceneLeft
from sync.recorder import BusRecorder, MemoryRecorder, NullRecorder, Recorder


def test_every_recorder_satisfies_the_protocol() -> None:
    for recorder in (NullRecorder(), MemoryRecorder(), BusRecorder(EventBus())):
        assert isinstance(recorder, Recorder)


def test_null_recorder_accepts_and_drops() -> None:
    assert NullRecorder().record(SceneEntered("lobby")) is None


def test_memory_recorder_keeps_order_filters_and_clears() -> None:
    recorder = MemoryRecorder()
    events = [
        SceneEntered("anatomy"),
        ObjectViewed("anatomy", "heart", 2.0),
        SceneLeft("anatomy", 5),
    ]
    for event in events:
        recorder.record(event)
    assert recorder.events == events
    assert recorder.of_type(SceneEntered) == [events[0]]
    assert recorder.of_type(ObjectViewed) == [events[1]]
    assert len(recorder) == 3

    snapshot = recorder.events
    snapshot.clear()
    assert len(recorder.events) == 3

    recorder.clear()
    assert recorder.events == []
    assert len(recorder) == 0


def test_memory_recorder_keeps_every_event_from_many_threads() -> None:
    recorder = MemoryRecorder()
    threads_n, per_thread = 8, 2000
    start = threading.Barrier(threads_n)

    def record_many(worker: int) -> None:
        start.wait()
        for index in range(per_thread):
            recorder.record(ObjectViewed("anatomy", f"w{worker}-{index}", 0.1))

    threads = [threading.Thread(target=record_many, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    recorded = recorder.of_type(ObjectViewed)
    assert len(recorded) == threads_n * per_thread
    assert {event.object_id for event in recorded} == {
        f"w{worker}-{index}" for worker in range(threads_n) for index in range(per_thread)
    }
    # Each thread's own events stay in the order it recorded them.
    for worker in range(threads_n):
        mine = [e.object_id for e in recorded if e.object_id.startswith(f"w{worker}-")]
        assert mine == [f"w{worker}-{index}" for index in range(per_thread)]


def test_bus_recorder_publishes_to_subscribers() -> None:
    bus = EventBus()
    entered: list[SceneEntered] = []
    bus.subscribe(SceneEntered, entered.append)
    recorder = BusRecorder(bus)
    event = SceneEntered("hall.oab")
    recorder.record(event)
    recorder.record(SceneLeft("hall.oab", 1.0))
    assert entered == [event]


def test_bus_recorder_feeds_a_memory_recorder() -> None:
    bus = EventBus()
    memory = MemoryRecorder()
    bus.subscribe(SceneEntered, memory.record)
    BusRecorder(bus).record(SceneEntered("lobby"))
    assert [e.scene_id for e in memory.of_type(SceneEntered)] == ["lobby"]
