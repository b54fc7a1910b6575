"""The find-the-structure quiz: name a structure, the learner points at it; scored and
timed per question. Plain logic: the scene shows the question and passes the picks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from anatomy.errors import AnatomyError


@dataclass(frozen=True)
class Answer:
    question_id: str
    answer_id: str
    correct: bool
    duration_s: float


@dataclass
class FindStructureQuiz:
    """``questions`` drawn from ``candidates``; ``clock`` is the time source (seconds)."""

    candidates: list[str]
    questions: int = 10
    seed: int | None = None
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.candidates:
            raise AnatomyError("the quiz has no structures to ask about", "测验没有可提问的结构")
        rng = random.Random(self.seed)
        pool = list(self.candidates)
        rng.shuffle(pool)
        # Fewer candidates than questions: ask each once, no repeats.
        self.order = pool[: self.questions]
        self._asked_at: float | None = None

    @property
    def finished(self) -> bool:
        return len(self.answers) >= len(self.order)

    @property
    def current(self) -> str | None:
        return None if self.finished else self.order[len(self.answers)]

    def ask(self, now: float) -> str | None:
        """Start timing the current question; its id (None when the quiz is over)."""
        self._asked_at = now
        return self.current

    def answer(self, picked: str, now: float) -> Answer:
        if self.finished:
            raise AnatomyError("the quiz is already over", "测验已结束")
        started = self._asked_at if self._asked_at is not None else now
        result = Answer(self.current, picked, picked == self.current, max(0.0, now - started))
        self.answers.append(result)
        self._asked_at = now
        return result

    @property
    def score(self) -> float:
        """Share of questions answered right, 0..1."""
        return sum(a.correct for a in self.answers) / len(self.order)

    @property
    def duration_s(self) -> float:
        return sum(a.duration_s for a in self.answers)
