"""The exercises whose answer is a value, judged against ``autograder/answer_key.json``."""


def record(answer, out):
    """The answer itself, when it is a string, and how it reads."""
    if isinstance(answer, str):
        out["str"] = answer[:100]
    out["repr"] = repr(answer)[:100]


def expected_for(name):
    from autograder.catalogue import ANSWER_KEY

    return {"key": ANSWER_KEY[name]}
