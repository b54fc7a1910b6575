"""The find-the-structure quiz and the multilingual search, on the real catalog."""

from __future__ import annotations

import pytest

from anatomy.catalog import load_catalog
from anatomy.errors import AnatomyError
from anatomy.quiz import FindStructureQuiz
from anatomy.search import StructureSearch


def test_quiz_scores_and_times_each_answer():
    quiz = FindStructureQuiz(["heart", "liver", "stomach"], questions=3, seed=7)
    assert sorted(quiz.order) == ["heart", "liver", "stomach"]
    first = quiz.ask(now=10.0)
    a = quiz.answer(first, now=12.5)
    assert a.correct and a.duration_s == pytest.approx(2.5)
    second = quiz.current
    wrong = next(s for s in quiz.order if s != second)
    b = quiz.answer(wrong, now=16.0)
    assert not b.correct and b.duration_s == pytest.approx(3.5)
    quiz.answer(quiz.current, now=17.0)
    assert quiz.finished and quiz.current is None
    assert quiz.score == pytest.approx(2 / 3)
    assert quiz.duration_s == pytest.approx(7.0)
    with pytest.raises(AnatomyError):
        quiz.answer("heart", now=18.0)


def test_quiz_needs_structures():
    with pytest.raises(AnatomyError, match="no structures"):
        FindStructureQuiz([])


@pytest.fixture(scope="module")
def search():
    return StructureSearch(load_catalog())


@pytest.mark.parametrize(
    "query",
    ["皮肤", "skin", "Skin", "pifu", "pífū", "pf", "cutis"],
)
def test_search_finds_skin_every_way(search, query):
    assert search.find(query)[0] == "skin"


def test_search_ignores_empty_and_unknown(search):
    assert search.find("") == []
    assert search.find("zzzzqqq") == []
