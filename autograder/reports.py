"""What the batch leaves for people: each student's summary (``summary.json``, the mark that a submission is
done), the class's ``grades_by_exercise.csv`` and the table printed at the end. The HTML feedback is
``feedback.py``'s."""
import csv
import json

from autograder.catalogue import ASSIGNMENT, EXERCISES, QUESTIONS


def summary_path(course, student):
    return course / "autograded" / student / ASSIGNMENT / "verification" / "summary.json"


def write_csv(course):
    """grades_by_exercise.csv, from every student's last summary: a run that graded some students (--students)
    keeps the others' rows."""
    everyone = sorted(course.glob(str(summary_path(course, "*").relative_to(course))))
    summaries = [json.loads(path.read_text()) for path in everyone]
    with (course / "grades_by_exercise.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *EXERCISES, "autograded", "flagged"])
        for s in summaries:
            points = [s["exercises"][name]["points"] for name in EXERCISES]
            writer.writerow([s["student"], *(f"{p:g}" for p in points), f"{sum(points):g}", "yes" if s["flags"] else ""])


def print_table(summaries):
    short = {name: name.replace("receptive_field", "rf").replace("_answer", "?")[:9] for name in EXERCISES}
    header = f"{'student':8s} " + " ".join(f"{short[n]:>9s}" for n in EXERCISES) + f" {'total':>6s}  review"
    print(header)
    print("-" * len(header))
    for s in summaries:
        points = [s["exercises"][n]["points"] for n in EXERCISES]
        cells = " ".join(f"{p:>4g}/{EXERCISES[n]:<4d}" for p, n in zip(points, EXERCISES))
        print(f"{s['student']:8s} {cells} {sum(points):>3g}/{sum(EXERCISES.values())}  {'FLAG' if s['flags'] else ''}")
    manual = sum(points for points, _ in QUESTIONS.values())
    print(f"\n{len(summaries)} students; free-response answers ({len(QUESTIONS)} questions, {manual} points) are "
          "graded in formgrader.")
    for s in summaries:
        for flag in s["flags"]:
            print(f"  review {s['student']}: {flag}")
