"""Acupoint quizzes: "locate this point" (the learner touches the body, scored by the
distance in the point's local cun) and "name this point" (four names, one right).
Plain logic: the scene shows the questions and passes the answers; ``now`` is seconds."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from acupuncture.errors import AcupunctureError
from acupuncture.placement import PlacedPoint, Placement

LOCATE_FULL_CUN = 0.3  # within this of the point: full marks
LOCATE_ZERO_CUN = 2.0  # this far or farther: nothing
CHOICES = 4


@dataclass(frozen=True)
class LocateAnswer:
    key: str
    error_mm: float
    error_cun: float
    score: float  # 0..1
    duration_s: float

    @property
    def correct(self) -> bool:
        return bool(self.error_cun <= 0.5)


@dataclass
class LocatePointQuiz:
    """Asks ``questions`` placed points (keys of ``placement``) one after another."""

    placement: Placement
    keys: list[str]
    questions: int = 10
    seed: int | None = None
    answers: list[LocateAnswer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.keys:
            raise AcupunctureError("the quiz has no points to ask", "测验没有可提问的穴位")
        pool = list(self.keys)
        random.Random(self.seed).shuffle(pool)
        self.order = pool[: self.questions]
        self._asked_at: float | None = None

    @property
    def finished(self) -> bool:
        return len(self.answers) >= len(self.order)

    @property
    def current(self) -> PlacedPoint | None:
        return None if self.finished else self.placement.points[self.order[len(self.answers)]]

    def ask(self, now: float) -> PlacedPoint | None:
        self._asked_at = now
        return self.current

    def answer(self, touched, now: float) -> LocateAnswer:
        target = self.current
        if target is None:
            raise AcupunctureError("the quiz is already over", "测验已结束")
        error_m = float(np.linalg.norm(np.asarray(touched, dtype=float) - target.position))
        error_cun = error_m / target.cun_m
        span = LOCATE_ZERO_CUN - LOCATE_FULL_CUN
        score = float(np.clip(1 - (error_cun - LOCATE_FULL_CUN) / span, 0.0, 1.0))
        started = self._asked_at if self._asked_at is not None else now
        result = LocateAnswer(target.key, error_m * 1000, error_cun, score, max(0.0, now - started))
        self.answers.append(result)
        self._asked_at = now
        return result

    @property
    def score(self) -> float:
        return sum(a.score for a in self.answers) / max(len(self.answers), 1)


@dataclass(frozen=True)
class NameAnswer:
    code: str
    picked: str
    correct: bool
    duration_s: float


@dataclass
class NamePointQuiz:
    """Shows a point; the learner picks its name among ``CHOICES`` codes, the others
    drawn from the same meridian where it has enough points."""

    codes: list[str]
    meridian_of: dict[str, str]
    questions: int = 10
    seed: int | None = None
    answers: list[NameAnswer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.codes) < CHOICES:
            raise AcupunctureError("too few points for a naming quiz", "穴位太少，无法出题")
        self._rng = random.Random(self.seed)
        pool = list(self.codes)
        self._rng.shuffle(pool)
        self.order = pool[: self.questions]
        self.choices = [self._choices_for(code) for code in self.order]
        self._asked_at: float | None = None

    def _choices_for(self, code: str) -> list[str]:
        same = [
            c for c in self.codes if c != code and self.meridian_of[c] == self.meridian_of[code]
        ]
        others = [c for c in self.codes if c != code and c not in same]
        self._rng.shuffle(same)
        self._rng.shuffle(others)
        picks = [code, *(same + others)[: CHOICES - 1]]
        self._rng.shuffle(picks)
        return picks

    @property
    def finished(self) -> bool:
        return len(self.answers) >= len(self.order)

    @property
    def current(self) -> str | None:
        return None if self.finished else self.order[len(self.answers)]

    @property
    def current_choices(self) -> list[str]:
        return [] if self.finished else self.choices[len(self.answers)]

    def ask(self, now: float) -> str | None:
        self._asked_at = now
        return self.current

    def answer(self, picked: str, now: float) -> NameAnswer:
        code = self.current
        if code is None:
            raise AcupunctureError("the quiz is already over", "测验已结束")
        started = self._asked_at if self._asked_at is not None else now
        result = NameAnswer(code, picked, picked == code, max(0.0, now - started))
        self.answers.append(result)
        self._asked_at = now
        return result

    @property
    def score(self) -> float:
        return sum(a.correct for a in self.answers) / max(len(self.answers), 1)
