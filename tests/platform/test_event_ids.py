"""Outbox event ids sort in the order they were made, so one transaction's events (which share
`created_at`) leave the dispatcher in the order they were written."""

from __future__ import annotations

from loop_live.platform import event_ids


def test_ids_made_in_a_row_sort_in_that_order_and_are_version_7() -> None:
    made = [event_ids.next() for _ in range(10_000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert {i.version for i in made} == {7}
    assert {i.variant for i in made} == {"specified in RFC 4122"}
