"""What the grading of one submission carries from step to step, typed.

    job (autograder/job.py)       the judge's ``Verdict`` (verify.py) and nbgrader's ``NbgraderScores``  -> ``Graded``
    batch (autograder/grade.py)   ``Graded`` -> the course's gradebook (gradebook.py)                    -> ``Summary``
    people                        ``Summary`` -> summary.json, the CSV and table (reports.py), the feedback page,
                                  the class report (class_report.py)

A reason for a person to look at a submission is a ``Note``: what it says, the exercise it concerns (if one) and its
kind, so that formgrader's comment boxes, the feedback and the class's table sort them without reading their words.
"""
import dataclasses
import enum
import json


class Kind(enum.StrEnum):
    """What a ``Note`` is about."""
    COLLECTION = "collection"  # something in the student's folder that is not a file of theirs (collect.py)
    RESTORED = "restored"  # a test cell deleted or stripped of its metadata, put back by the grader
    KERNEL_DIED = "kernel died"  # the notebook's kernel died while it ran
    NOT_RUN = "not run"  # nbgrader could not run the notebook, or read it
    STOPPED = "stopped"  # a cell stopped at its time limit
    SUSPICIOUS = "suspicious"  # code that looks like an attempt to change how the notebook is graded
    TAMPERED = "tampered"  # a record the student's code wrote, not the grader's
    TEST_CELL = "test cell"  # a right answer that its own test cell failed
    FAULT = "fault"  # the grader failed on an exercise: it is judged again by the next run
    NOT_GRADED = "not graded"  # the machinery could not grade the submission at all


@dataclasses.dataclass(frozen=True)
class Note:
    """A reason for a person to look at a submission."""
    kind: Kind
    text: str
    exercise: str | None = None  # None: the notebook as a whole

    def __str__(self):
        return f"{self.exercise}: {self.text}" if self.exercise else self.text

    @classmethod
    def from_json(cls, data):
        return cls(Kind(data["kind"]), data["text"], data.get("exercise"))


@dataclasses.dataclass
class Outcome:
    """The judgement of one exercise: its points, what the judge said and, for an exercise with a rubric, the
    sub-checks it failed ({sub-check: why}; {} when it passed)."""
    passed: bool
    points: float
    message: str
    failed: dict | None = None  # None: the exercise has no rubric
    fault: str | None = None  # the grader's own failure on it: not judged (verify.NOT_JUDGED)

    @classmethod
    def from_json(cls, data):
        return cls(**data)


@dataclasses.dataclass
class Verdict:
    """The judge's verdict on a submission (``verify.judge_notebook``), written by its process as verdict.json."""
    exercises: dict  # {exercise: Outcome}
    suspicious: list = dataclasses.field(default_factory=list)  # what the notebook's code does that it should not
    tampered: list = dataclasses.field(default_factory=list)  # [Note] of records the student's code wrote
    stopped: list = dataclasses.field(default_factory=list)  # [(exercise, text)] of test cells stopped for time
    float32: list = dataclasses.field(default_factory=list)  # exercises whose answers were not computed in float32
    pictures: dict = dataclasses.field(default_factory=dict)  # {exercise: file name of its maps' picture}

    def to_json(self):
        return _json(self)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(exercises={name: Outcome.from_json(o) for name, o in data["exercises"].items()},
                   suspicious=data["suspicious"], tampered=[Note.from_json(n) for n in data["tampered"]],
                   stopped=[tuple(s) for s in data["stopped"]], float32=data["float32"], pictures=data["pictures"])


@dataclasses.dataclass
class NbgraderScores:
    """What nbgrader's autograde wrote in a job's private gradebook, copied into the course's."""
    timestamp: str | None = None  # None: nbgrader could not start on the notebook
    notebooks: dict = dataclasses.field(default_factory=dict)  # {notebook: {column: value}}
    grades: dict = dataclasses.field(default_factory=dict)  # {notebook/cell: {column: value}}
    comments: dict = dataclasses.field(default_factory=dict)  # {notebook/cell: auto_comment}


@dataclasses.dataclass
class Graded:
    """What a grading job returns (``job.grade_submission``): plain values and bytes, sent back from any machine."""
    student: str
    submission: str  # the digest of the notebook handed in: a changed one is graded again
    nbgrader: NbgraderScores
    verdict: Verdict
    notes: list  # [Note]
    seconds: dict  # {"autograde": s, "judge": s}
    stopped: list  # [text] of the cells stopped for time, for the feedback
    cells: dict  # {cell (budgets.key): seconds it ran}, for the class report's cost
    pictures: dict  # {file name: PNG bytes} of the verdict's pictures
    files: dict  # {file name: bytes}: the graded notebook, nbgrader's timestamp.txt, the submission's secret


@dataclasses.dataclass
class StaffMarks:
    """What the course staff gave a submission in formgrader, for the student's feedback."""
    scores: dict = dataclasses.field(default_factory=dict)  # {question: points, or None while not graded}
    comments: dict = dataclasses.field(default_factory=dict)  # {cell: the staff's comment on it}


@dataclasses.dataclass
class Summary:
    """A student's grading as the batch records it (summary.json, written last: the mark that it is done)."""
    student: str
    exercises: dict  # {exercise: Outcome}, as the gradebook scores it
    flags: list = dataclasses.field(default_factory=list)  # [Note]: why a person should look at it
    pictures: dict = dataclasses.field(default_factory=dict)
    stopped: list = dataclasses.field(default_factory=list)
    submission: str | None = None
    seconds: dict = dataclasses.field(default_factory=dict)
    cells: dict = dataclasses.field(default_factory=dict)  # {cell (budgets.key): seconds it ran}
    seconds_late: float = 0.0  # after the due date (late.py)
    late_penalty: float = 0.0  # the points it lost for it
    error: str | None = None  # the machinery could not grade it: nothing is counted

    @property
    def faults(self):
        """The exercises the grader failed on: judged again by the next run."""
        return [name for name, outcome in self.exercises.items() if outcome.fault]

    @property
    def total(self):
        """The autograded points, before any late penalty."""
        return sum(outcome.points for outcome in self.exercises.values())

    def to_json(self):
        return _json(self)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(**dict(data, exercises={name: Outcome.from_json(o) for name, o in data["exercises"].items()},
                          flags=[Note.from_json(n) for n in data["flags"]]))

    @classmethod
    def load(cls, path):
        return cls.from_json(path.read_text())


def _json(value):
    """``value`` (a dataclass) as indented JSON, without the fields left at None."""
    def without_none(pairs):
        return {key: item for key, item in pairs if item is not None}

    return json.dumps(dataclasses.asdict(value, dict_factory=without_none), indent=2) + "\n"
