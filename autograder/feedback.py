"""Each student's feedback: one self-contained HTML page (pictures embedded, opens offline).

It shows the score of every exercise, the failure message of the checks (which say what is wrong, never
how the reference does it), and for the map exercises the student's map beside the expected one and
their difference, on a grading image; then the course staff's points and comments, once given in formgrader.
Unlike ``nbgrader generate_feedback`` (nbgrader issue #917), it never shows hidden test code: the page is built
from the scores and messages alone.

It is written where nbgrader's ``generate_feedback`` would write its own (``paths.feedback``), with the graded
submission's ``timestamp.txt`` and ``submission_secret.txt`` beside it, so that ``nbgrader release_feedback``
releases it and the student's ``nbgrader fetch_feedback`` (Fetch Feedback in the Assignments tab) brings it home.
"""
import base64
import datetime
import html
import pathlib
import secrets

from autograder import paths
from autograder.exercises import marked
from autograder.late import hours_and_minutes

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: .4em; text-align: left; }
.ok { color: #1a7f37; } .bad { color: #b42318; } .part, .wait { color: #8a6d00; } img { max-width: 100%; }
.rubric { margin: .3em 0 0; padding-left: 1.2em; }
.staff { margin: .3em 0 0; font-style: italic; }
"""


def render(assignment, summary, staff, pictures=None, late_rule=None):
    """The HTML page of one student's ``Summary``, what the staff gave it (``StaffMarks``), its map pictures
    ({exercise: path of its picture}) and the course's ``late_rule`` (``late.LateRule``)."""
    rows = []
    for name, outcome in summary.exercises.items():
        full = assignment.exercises[name]
        state = "ok" if outcome.points == full else "part" if outcome.points > 0 else "bad"
        message = "correct" if state == "ok" else "partly right" if state == "part" else html.escape(outcome.message)
        comment = _comment(staff, assignment.solution_cell[name])
        rows.append(f'<tr><td><code>{name}</code></td><td class="{state}">{outcome.points:g} / {full}</td>'
                    f"<td>{message}{_rubric(assignment, name, outcome)}{comment}</td></tr>")
    for name, (full, question) in assignment.questions.items():
        score = staff.scores.get(name)
        shown = '<span class="wait">to be graded by the course staff</span>' if score is None else f"{score:g} / {full}"
        rows.append(f"<tr><td>{html.escape(question)}</td><td>{shown}</td><td>{_comment(staff, name)}</td></tr>")
    pictures = "".join(f"<h3><code>{html.escape(name)}</code></h3>{_embedded(path)}"
                       for name, path in (pictures or {}).items())
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Feedback for {html.escape(summary.student)}: {html.escape(assignment.title)}</title>
<style>{STYLE}</style></head><body>
<h1>Feedback for {html.escape(summary.student)}</h1>
<p>{html.escape(assignment.title)}</p>
<p>Autograded exercises: <b>{summary.total:g} / {sum(assignment.exercises.values())}</b>. The free-response answers
({sum(points for points, _ in assignment.questions.values())} points) are graded by the course staff.</p>
<table><tr><th>exercise</th><th>points</th><th>what the grader found</th></tr>{"".join(rows)}</table>
{_late(summary, late_rule)}
{_stopped(summary.stopped)}
{_maps(assignment, pictures)}
</body></html>
"""


def _rubric(assignment, name, outcome):
    """The sub-checks of an exercise with a rubric, each with the points it earned and, if it failed, why."""
    if outcome.failed is None:
        return ""
    items = "".join(f'<li class="{"ok" if earned else "bad"}">{html.escape(check.asks)}: {earned:g} / '
                    f'{check.points:g}{html.escape(f" ({why})" if why else "")}</li>'
                    for check, earned, why in marked(assignment.rubric(name), outcome.failed))
    return f'<ul class="rubric">{items}</ul>'


def _late(summary, rule):
    """What lateness cost, if any."""
    if not summary.seconds_late:
        return ""
    how = html.escape(str(rule) if rule else "the course's rule")
    return (f'<p class="bad">Handed in {hours_and_minutes(summary.seconds_late)} after the due date: '
            f"{summary.late_penalty:g} points off ({how}).</p>")


def _comment(staff, cell):
    """The staff's comment on a cell, as text."""
    text = staff.comments.get(cell)
    return f'<p class="staff">Course staff: {html.escape(text)}</p>' if text else ""


def _maps(assignment, pictures):
    """The section of the student's maps, for an assignment with map exercises (``Pictured``)."""
    if not any(hasattr(assignment.exercise(name), "picture") for name in assignment.exercises):
        return ""
    return f"""<h2>Your maps on a grading image</h2>
<p>Your function run on an image you have not seen, beside the expected map and the difference between them
(both rescaled to [0, 1]).</p>
{pictures or "<p>No maps could be made from this notebook.</p>"}"""


def _stopped(cells):
    """The cells the grader stopped for time, each with its limit and the reference notebook's time."""
    if not cells:
        return ""
    items = "".join(f"<li>{html.escape(text)}</li>" for text in cells)
    return (f"<h2>Cells stopped for time</h2><p>Each cell may run for a limit set from the reference notebook's "
            f"time for it; these cells ran past theirs and were stopped, and the notebook went on without them.</p>"
            f"<ul>{items}</ul>")


def _embedded(path):
    data = base64.b64encode(pathlib.Path(path).read_bytes()).decode()
    return f'<img alt="maps" src="data:image/png;base64,{data}">'


def write_report(course, assignment, summary, staff, late_rule=None):
    """The feedback page of a student's ``Summary``, with the map pictures the batch kept, what the staff gave it
    (``StaffMarks``) and the course's ``late_rule``, into the course, with the graded submission's timestamp and key
    beside it."""
    checked = paths.verification(course, assignment, summary.student)
    pictures = {name: checked / file for name, file in summary.pictures.items() if (checked / file).exists()}
    out = paths.feedback(course, assignment, summary.student)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(assignment, summary, staff, pictures, late_rule))
    graded, folder = checked.parent, out.parent
    for name, made in (("timestamp.txt", _now), (paths.SECRET, lambda: _kept_or_new_secret(folder / paths.SECRET))):
        (folder / name).write_text((graded / name).read_text() if (graded / name).exists() else made())
    return out


def _now():
    """A timestamp as nbgrader writes one, for a submission that came with none (not through the exchange)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def _kept_or_new_secret(path):
    """The key of a submission that did not come through the exchange: a new one, kept from run to run. No student
    holds it, so ``release_feedback`` releases the page where nobody fetches it (the course hands those pages out
    another way), and never fails for want of it."""
    return path.read_text() if path.exists() else secrets.token_hex(64)
