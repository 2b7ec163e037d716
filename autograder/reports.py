"""What the batch leaves for people, from each student's summary (``results.Summary``, kept as ``summary.json``,
the mark that a submission is done): each assignment's ``<assignment>_grades_by_exercise.csv`` and the table
printed at the end. The HTML feedback is ``feedback.py``'s."""
import csv

from autograder import InfrastructureError, paths
from autograder.late import hours_and_minutes
from autograder.results import Summary


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def spreadsheet_safe(value):
    """A CSV field that a spreadsheet shows as text: one that would begin a formula (a student's id or name such as
    ``=2+3`` or ``@SUM(...)``) gets a leading ``'``, as OWASP advises. Numbers stay numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA) else value


def as_given(field):
    """The value that ``spreadsheet_safe`` wrote as ``field``."""
    return field[1:] if field.startswith("'") and field[1:].startswith(FORMULA) else field


def everyone(course, assignment):
    """Every student's last ``Summary`` of ``assignment`` in the course, by student: a run that graded some students
    (--students) keeps the others'."""
    pattern = paths.summary(course, assignment, "*").relative_to(course)
    return [_summary(path) for path in sorted(course.glob(str(pattern)))]


def write_csv(course, assignment):
    """The assignment's grades by exercise, from every student's last summary."""
    summaries = everyone(course, assignment)
    with paths.grades_by_exercise(course, assignment).open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *assignment.exercises, "autograded", "late_penalty", "flagged"])
        for s in summaries:
            points = [s.exercises[name].points for name in assignment.exercises]
            writer.writerow([spreadsheet_safe(s.student), *(f"{p:g}" for p in points), f"{sum(points):g}",
                             f"{s.late_penalty:g}", "yes" if s.flags else ""])


def _summary(path):
    try:
        return Summary.load(path)
    except (ValueError, KeyError, TypeError) as err:
        raise InfrastructureError(f"{path} is not a summary this grader reads ({type(err).__name__}: {err}); grade "
                                  "its student again (--students ID --force)") from None


def heading(name, width=9):
    """A column heading of at most ``width`` characters: "_answer" as "?", then, while it is too long, one more
    word from the left cut to its initial (receptive_field_answer -> r_field?, receptive_field -> r_field)."""
    words = name.replace("_answer", "?").split("_")
    for i in range(len(words) - 1):
        if len("_".join(words)) <= width:
            break
        words[i] = words[i][0]
    return "_".join(words)[:width]


def print_table(assignment, summaries, alike=()):
    exercises, questions = assignment.exercises, assignment.questions
    short = {name: heading(name) for name in exercises}
    print(f"{assignment.name}: {assignment.title}")
    header = " ".join([f"{'student':8s}", *(f"{short[n]:>9s}" for n in exercises), f"{'total':>6s}", "late", " review"])
    print(header)
    print("-" * len(header))
    for s in summaries:
        points = [s.exercises[n].points for n in exercises]
        cells = " ".join(f"{p:>4g}/{exercises[n]:<4d}" for p, n in zip(points, exercises))
        late, flag = f"-{s.late_penalty:g}" if s.late_penalty else "", "FLAG" if s.flags else ""
        print(f"{s.student:8s} {cells} {sum(points):>3g}/{sum(exercises.values())} {late:>4s}  {flag}")
    manual = sum(points for points, _ in questions.values())
    print(f"\n{len(summaries)} students; free-response answers ({len(questions)} questions, {manual} points) are "
          "graded in formgrader.")
    for s in summaries:
        if s.seconds_late:
            print(f"  late {s.student}: {hours_and_minutes(s.seconds_late)} after the due date, -{s.late_penalty:g}")
        for flag in s.flags:
            print(f"  review {s.student}: {flag}")
    for pair in alike:
        print(f"  alike: {' and '.join(pair.students)} ({', '.join(f'{share:.0%}' for share in pair.shares)} of their "
              "own code in common; see the class report)")
