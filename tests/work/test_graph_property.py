"""find_path, the cycle check behind `task dep add`, against a brute-force reachability oracle."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from nerv.services.tasks_graph import find_path
from tests.conftest import examples

edges_strategy = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20)


def reachable(edges, start, goal) -> bool:
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                frontier.append(b)
    return goal in seen


@settings(max_examples=examples(300), deadline=None)
@given(edges_strategy, st.integers(0, 7), st.integers(0, 7))
def test_find_path_agrees_with_reachability_and_returns_a_real_path(edges, start, goal):
    path = find_path(edges, start, goal)
    assert (path is not None) == reachable(edges, start, goal)
    if path is not None:
        assert path[0] == start and path[-1] == goal
        assert all((a, b) in edges for a, b in zip(path, path[1:]))
        assert len(set(path)) == len(path)  # shortest, so no repeated node
