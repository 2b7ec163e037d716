"""Breakout 1A: the three pictures of filters, from the shallow to the deep layer, as letters."""
from autograder.exercises.keyed import expected_for, record  # noqa: F401 (this exercise's recorder)


def expected(reference):
    return expected_for("sec02", "filter_order")


def judge(record, expected):
    order = record.get("str")
    assert order is not None and sorted(order.upper()) == ["A", "B", "C"], (
        f'filter_order should be the letters A, B, C in some order, e.g. "BCA", not {record["repr"]}')
    assert order.upper() == expected["key"], "the filter sets are not in shallow-to-deep order"
