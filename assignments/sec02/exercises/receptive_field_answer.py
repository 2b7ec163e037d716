"""The ice breaker: which square is the receptive field of the purple neuron, "i", "ii" or "iii"."""
from autograder.exercises.keyed import expected_for, record  # noqa: F401 (this exercise's recorder)


def expected(reference):
    return expected_for("sec02", "receptive_field_answer")


def judge(record, expected):
    answer = record.get("str")
    assert answer in ("i", "ii", "iii"), f'receptive_field_answer should be "i", "ii" or "iii", not {record["repr"]}'
    assert answer == expected["key"], "that square is not the receptive field of the purple neuron"
