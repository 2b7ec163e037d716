"""The class at a glance: one self-contained HTML page per assignment, ``<assignment>_class_report.html`` beside
grades.csv, written by the batch at the end of every run from the students' summaries and the gradebook.

    scores        the distribution of each exercise's points and of the total (plots, and a table)
    mistakes      each sub-check the judges failed with a reason (the mistakes they name), how many made it and who;
                  the wholly wrong answers; the exercises most often left as the release's stub
    review        the reasons for review, grouped by kind (``results.Kind``), each student linked to formgrader
    alike         the submissions too alike to have been written apart (``similarity.py``), their code side by side
    staff         the free answers graded and still to grade, per question
    cost          what each student's grading took, and the slowest cells against the reference notebook's
"""
import base64
import collections
import html
import io
import json
import statistics

from autograder import budgets, job, paths, references
from autograder.results import Kind

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; } td, th { border-bottom: 1px solid #ddd; padding: .3em .6em;
text-align: left; vertical-align: top; } img { max-width: 100%; } .who { color: #555; font-size: .9em; }
"""
STUB = "NotImplementedError"  # what the release's stubs raise: an exercise left as it was handed out
SLOWEST = 10  # students and cells listed under the grading's cost
ADDED = "the cells students added"


def write(course, assignment, summaries, alike):
    """The class report of ``assignment`` from everyone's ``Summary`` (those the machinery could not grade left out)
    and the pairs of submissions too alike (``similarity.Alike``); returns its path."""
    graded = [s for s in summaries if s.error is None]
    path = paths.class_report(course, assignment)
    path.write_text(render(assignment, graded, _gradebook_facts(course, assignment, graded),
                           _cell_times(assignment, graded), alike))
    return path


def render(assignment, summaries, facts, cells, alike=()):
    """The page: ``facts`` from the gradebook ({"pages": {student: formgrader URL}, "questions": {question:
    (graded, to grade)}}), ``cells`` the cells' times ({cell: ([seconds of each student], reference's seconds)}),
    ``alike`` the pairs of submissions too alike."""
    sections = [_scores(assignment, summaries), _mistakes(assignment, summaries), _review(summaries, facts["pages"]),
                _alike(alike, facts["pages"]), _staff(assignment, facts["questions"]), _cost(summaries, cells)]
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Class report: {html.escape(assignment.title)}</title>
<style>{STYLE}</style></head><body>
<h1>Class report: {html.escape(assignment.title)}</h1>
<p>{len(summaries)} students graded.</p>
{"".join(sections)}
</body></html>
"""


# --- the sections -----------------------------------------------------------------------------------

def _scores(assignment, summaries):
    rows = []
    for name, full in assignment.exercises.items():
        points = [s.exercises[name].points for s in summaries]
        rows.append(_row(f"<code>{name}</code>", f"{full:g}", _mean(points), sum(p == full for p in points),
                         sum(p == 0 for p in points)))
    totals = [s.total - s.late_penalty for s in summaries]
    rows.append(_row("<b>total</b>", f"{sum(assignment.exercises.values()):g}", _mean(totals),
                     sum(t == sum(assignment.exercises.values()) for t in totals), sum(t == 0 for t in totals)))
    return (f"<h2>Scores</h2>{_plot(assignment, summaries)}<table><tr><th>exercise</th><th>points</th><th>mean</th>"
            f"<th>full marks</th><th>zero</th></tr>{''.join(rows)}</table>")


def mistakes(assignment, summaries):
    """{(exercise, what): [students]}: each sub-check failed for a reason the judge gave, each wholly wrong answer
    ("wrong"), and each exercise left as the release's stub ("left blank"), most frequent first."""
    found = collections.defaultdict(list)
    for s in summaries:
        for name, outcome in s.exercises.items():
            if outcome.passed or outcome.fault:
                continue
            if STUB in outcome.message:
                found[name, "left blank"].append(s.student)
            elif outcome.points > 0 and outcome.failed:
                rubric = {check.name: check.asks for check in assignment.rubric(name)}
                for check, why in outcome.failed.items():
                    found[name, f"{rubric[check]}: {why}" if why else rubric[check]].append(s.student)
            else:
                found[name, "wrong"].append(s.student)
    return dict(sorted(found.items(), key=lambda item: -len(item[1])))


def _mistakes(assignment, summaries):
    rows = [_row(f"<code>{name}</code>", html.escape(what), len(students), _who(students))
            for (name, what), students in mistakes(assignment, summaries).items()]
    return ("<h2>Mistakes</h2><p>Each part of an answer the judges found wrong, with their reason; a wholly wrong "
            "answer, and an exercise left as it was handed out, once each.</p><table><tr><th>exercise</th>"
            f"<th>what</th><th>students</th><th></th></tr>{''.join(rows)}</table>")


def _review(summaries, pages):
    kinds = collections.defaultdict(list)
    for s in summaries:
        for note in s.flags:
            kinds[note.kind].append((s.student, str(note)))
    if not kinds:
        return "<h2>Reasons for review</h2><p>None.</p>"
    rows = []
    for kind in Kind:
        for student, text in kinds.get(kind, []):
            rows.append(_row(kind.value, _linked(student, pages), html.escape(text)))
    return ("<h2>Reasons for review</h2><p>Each student's name opens their submission in formgrader (this page "
            f"opened through the course's Jupyter server).</p><table><tr><th>kind</th><th>student</th>"
            f"<th>reason</th></tr>{''.join(rows)}</table>")


def _alike(pairs, pages):
    if not pairs:
        return "<h2>Submissions too alike</h2><p>None.</p>"
    rows = []
    for pair in pairs:
        names = [_linked(student, pages) for student in pair.students]
        code = "".join(f'<td><pre>{html.escape(chr(10).join(fragments))}</pre></td>' for fragments in pair.common)
        rows.append(_row(*(f"{name}: {share:.0%}" for name, share in zip(names, pair.shares)))
                    + f'<tr><td colspan="2"><details><summary>the code they share, as each wrote it (normalised)'
                      f'</summary><table><tr>{code}</tr></table></details></td></tr>')
    return ("<h2>Submissions too alike</h2><p>Pairs whose own code (their solution cells and the cells they added, "
            "less what the class shares) is alike beyond what independent work gives: each student with the share "
            "of their own code found in the other's. For a person to look at: it changes no grade.</p><table>"
            f"{''.join(rows)}</table>")


def _linked(student, pages):
    return (f'<a href="{html.escape(pages[student])}">{html.escape(student)}</a>' if student in pages
            else html.escape(student))


def _staff(assignment, questions):
    rows = [_row(html.escape(assignment.questions[name][1]), graded, waiting)
            for name, (graded, waiting) in questions.items()]
    return ("<h2>Free answers</h2><table><tr><th>question</th><th>graded</th><th>to grade</th></tr>"
            f"{''.join(rows)}</table>")


def _cost(summaries, cells):
    seconds = sorted(((sum(s.seconds.values()), s.student) for s in summaries if s.seconds), reverse=True)
    students = [_row(html.escape(student), f"{total:.1f}") for total, student in seconds[:SLOWEST]]
    slowest = sorted(cells.items(), key=lambda item: -max(item[1][0]))[:SLOWEST]
    rows = [_row(html.escape(str(cell)), f"{max(times):.1f}", f"{statistics.median(times):.1f}",
                 "" if reference is None else f"{reference:.1f}") for cell, (times, reference) in slowest]
    total = sum(total for total, _ in seconds)
    return (f"<h2>Grading cost</h2><p>{total:.0f} s of grading jobs in all (nbgrader's autograde and the judge, "
            f"students graded in earlier runs included).</p><h3>The slowest students</h3><table><tr><th>student</th>"
            f"<th>seconds</th></tr>{''.join(students)}</table><h3>The slowest cells</h3><table><tr><th>cell</th>"
            f"<th>slowest (s)</th><th>median (s)</th><th>reference (s)</th></tr>{''.join(rows)}</table>")


# --- what the sections read ----------------------------------------------------------------------------

def _gradebook_facts(course, assignment, summaries):
    """{"pages": {student: their submission's formgrader page}, "questions": {question: (graded, to grade)}}."""
    from nbgrader.api import Gradebook, MissingEntry

    pages, questions = {}, {name: [0, 0] for name in assignment.questions}
    with Gradebook(paths.gradebook_url(course)) as gb:
        for s in summaries:
            try:
                notebook = gb.find_submission_notebook(assignment.name, assignment.name, s.student)
            except MissingEntry:
                continue
            pages[s.student] = f"/formgrader/submissions/{notebook.id}/"
            for grade in notebook.grades:
                if grade.name in questions:  # [graded, to grade]
                    questions[grade.name][1 if grade.needs_manual_grade else 0] += 1
    return {"pages": pages, "questions": {name: tuple(counts) for name, counts in questions.items()}}


def _cell_times(assignment, summaries):
    """{cell: ([seconds it ran in each graded notebook], the reference notebook's seconds or None)}, each cell of the
    release by its name, the cells the students added together."""
    table = job.cell_budgets_file(assignment, references.folder(assignment))
    reference = json.loads(table.read_text())["reference"] if table.exists() else {}
    release = {budgets.key(cell): budgets.cell_name(cell)
               for cell in json.loads(assignment.release_notebook.read_text())["cells"] if cell["cell_type"] == "code"}
    times = collections.defaultdict(list)
    for s in summaries:
        for cell, seconds in s.cells.items():
            times[release.get(cell, ADDED)].append(seconds)
    named = {name: cell for cell, name in release.items()}
    return {name: (seconds, reference.get(named.get(name))) for name, seconds in times.items()}


def _plot(assignment, summaries):
    """The distribution of each exercise's points and of the total, as an embedded PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    columns = {name: [s.exercises[name].points for s in summaries] for name in assignment.exercises}
    columns["total"] = [s.total - s.late_penalty for s in summaries]
    full = dict(assignment.exercises, total=sum(assignment.exercises.values()))
    rows = -(-len(columns) // 4)
    figure, axes = plt.subplots(rows, 4, figsize=(12, 2.4 * rows), squeeze=False)
    for ax, (name, points) in zip(axes.flat, columns.items()):
        counts = collections.Counter(points)
        ax.bar(list(counts), list(counts.values()), width=0.4, color="#4a7bb7")  # points come in halves
        ax.set_xlim(-0.5, full[name] + 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("points", fontsize=8)
        ax.set_ylabel("students", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(columns):]:
        ax.set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return f'<img alt="score distributions" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _row(*cells):
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _mean(values):
    return f"{statistics.mean(values):.2f}" if values else ""


def _who(students):
    return f'<span class="who">{html.escape(", ".join(students))}</span>'
