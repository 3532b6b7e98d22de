"""On the labelled set, hybrid search finds at least what full-text search finds, and ranks it no worse."""

from __future__ import annotations

from nerv.services import projects
from nerv.store.db import open_store
from nerv.store.orm import bind
from tests.knowledge import labelled_set


def test_labelled_set_is_big_enough():
    assert len(labelled_set.ITEMS) >= 60 and len(labelled_set.QUERIES) >= 30
    assert all(expected <= set(labelled_set.ITEMS) for _, expected in labelled_set.QUERIES)


def test_hybrid_recall_and_mrr_beat_text_alone(nerv_home):
    store = bind(open_store())
    try:
        projects.add_project(store, "labelled")
        keys = labelled_set.load(store, "labelled")
        text = labelled_set.evaluate(store, keys, "text", project="labelled")
        hybrid = labelled_set.evaluate(store, keys, "hybrid", project="labelled")
    finally:
        store.close()
    assert hybrid["recall@5"] > text["recall@5"]
    assert hybrid["mrr"] >= text["mrr"]
