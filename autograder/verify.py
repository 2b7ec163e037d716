"""The authoritative verdict on a submission, reached outside the student's kernel.

    python -m autograder.verify NOTEBOOK --out FOLDER   # writes FOLDER/verdict.json and map pictures

nbgrader runs the hidden checks inside the student's kernel, where the student's code ran first: it can
patch numpy's comparisons, import the reference, or silence every exception. This process instead
imports the checks and the reference first, takes from the notebook only the student's definitions
(functions, classes, imports, literal constants; no top-level statements), runs each check on them with
the comparison functions it captured before any student code existed, and refuses imports of the
grading code. It also lists what in the notebook looks like tampering, for a person to review.
"""
import argparse
import ast
import json
import os
import pathlib
import re
import signal
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
GRADING_CODE = ("solutions", "autograder", "tools", "nbgrader")
EXERCISES = ("conv_output_size", "receptive_field_answer", "receptive_field", "get_feature_maps", "filter_order",
             "vanilla_saliency", "gradcam", "prepare_image", "model_modifier", "saliency_graphs")
SECONDS_PER_CHECK = 300
# Names whose attributes a student has no reason to reassign: doing so changes how checks behave.
PROTECTED = {"np", "numpy", "tf", "tensorflow", "keras", "math", "plt", "sys", "builtins", "checks"}
SUSPICIOUS_CALLS = {"set_custom_exc", "excepthook", "showtraceback", "get_objects", "_getframe"}


# --- reading the student's notebook ------------------------------------------------------------

def student_cells(nb):
    """The code cells the student wrote in: every code cell but nbgrader's test cells."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
            yield cell.source


def _python(source):
    """Cell source as plain Python (IPython magics translated), or None if it does not parse."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _is_definition(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        try:
            ast.literal_eval(node.value)
            return True
        except ValueError:
            return False
    return False


def definitions(nb, namespace):
    """Execute the student's definitions, each on its own, into ``namespace``; return what failed."""
    problems = []
    for source in student_cells(nb):
        tree = _python(source)
        if tree is None:
            problems.append(f"a cell does not parse: {source.strip().splitlines()[0][:60] if source.strip() else ''}")
            continue
        for node in tree.body:
            if not _is_definition(node):
                continue
            try:
                exec(compile(ast.Module([node], type_ignores=[]), "<student>", "exec"), namespace)
            except Exception as err:  # the student's import or decorator failed: their function is missing
                problems.append(f"line {node.lineno}: {type(err).__name__}: {err}")
    return problems


def suspicious(nb):
    """What in the notebook looks like an attempt to change how it is graded."""
    found = []
    for source in student_cells(nb):
        tree = _python(source)
        if tree is None:
            if re.search(r"solutions|autograder|excepthook|set_custom_exc", source):
                found.append("an unparsable cell mentions the grading machinery")
            continue
        for node in ast.walk(tree):
            found.extend(_suspicious_node(node))
    return sorted(set(found))


def _suspicious_node(node):
    if isinstance(node, ast.Import):
        return [f"imports {alias.name}" for alias in node.names if alias.name.split(".")[0] in GRADING_CODE]
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in GRADING_CODE:
        return [f"imports from {node.module}"]
    if isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_CALLS:
        return [f"uses {node.attr}"]
    if isinstance(node, ast.Attribute) and node.attr == "modules" and getattr(node.value, "id", "") == "sys":
        return ["uses sys.modules"]
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [f"reassigns {t.value.id}.{t.attr}" for t in targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in PROTECTED]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\b(solutions|autograder)\b", node.value):
        return ["names the grading code in a string"]
    return []


# --- the checks, guarded -------------------------------------------------------------------------

def _guard_checks():
    """Import the checks and the reference, freeze what they compare with, then lock the grading code away."""
    from autograder import checks

    checks._reference()
    checks.np = types.SimpleNamespace(**vars(checks.np))  # patching numpy later cannot reach the checks
    for name in list(sys.modules):
        if name.split(".")[0] in GRADING_CODE:
            del sys.modules[name]
    sys.meta_path.insert(0, _RefuseGradingCode())
    return checks


class _RefuseGradingCode:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in GRADING_CODE:
            raise ImportError(f"{name} is not available to submissions")
        return None


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def run_check(check, answer):
    """(passed, message) of one check; the student's own exceptions count as a failure."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_CHECK)
    try:
        check(answer)
        return True, ""
    except AssertionError as err:
        return False, str(err) or "wrong answer"
    except _Timeout:
        return False, f"did not finish within {SECONDS_PER_CHECK} s"
    except BaseException as err:  # noqa: B902 (a student's code may raise anything, SystemExit included)
        return False, f"raised {type(err).__name__}: {err}"
    finally:
        signal.alarm(0)


def verify(notebook_path, out_dir):
    import nbformat

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except Exception as err:
        verdict = {name: {"passed": False, "message": f"the notebook could not be read ({type(err).__name__})"}
                   for name in EXERCISES}
        return {"exercises": verdict, "suspicious": [], "problems": [str(err)[:300]], "pictures": {}}
    imports = _setup_imports()
    checks = _guard_checks()
    namespace = {"__name__": "__student__"}
    exec("\n".join(imports), namespace)
    problems = definitions(nb, namespace)
    verdict = {}
    for name in EXERCISES:
        if name not in namespace:
            verdict[name] = {"passed": False, "message": f"{name} is not defined"}
            continue
        passed, message = run_check(getattr(checks, f"check_{name}"), namespace[name])
        verdict[name] = {"passed": passed, "message": message}
    pictures = compare_maps(checks, namespace, out_dir)
    return {"exercises": verdict, "suspicious": suspicious(nb), "problems": problems, "pictures": pictures}


def _setup_imports():
    from tools.build import setup_imports

    return setup_imports()


# --- pictures for the feedback ---------------------------------------------------------------------

MAP_EXERCISES = {
    "vanilla_saliency": lambda fn, model, img: fn(model, img, 1),
    "gradcam": lambda fn, model, img: fn(model, img, 1, "conv5"),
    "saliency_graphs": lambda fn, model, img: fn(model, img)[1][1],
}


def compare_maps(checks, namespace, out_dir):
    """For each map exercise: the student's zebra map beside the reference's, and their difference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import tensorflow as tf

    img = checks._images()[1]
    pictures = {}
    for name, make in MAP_EXERCISES.items():
        tf.random.set_seed(checks.GRADING_SEED)
        want = checks._rescaled(make(getattr(checks._reference(), name), checks._fresh_cnn2(), img))
        got = None
        if name in namespace:
            ok, result = _guarded(lambda: make(namespace[name], checks._fresh_cnn2(), img))
            if ok and checks.np.shape(result) == want.shape:
                got = checks._rescaled(result)
        fig, ax = plt.subplots(1, 4, figsize=(12, 3.2))
        panels = [(img, "grading image"), (got, "your map"), (want, "expected map"),
                  (None if got is None else checks.np.abs(got - want), "difference")]
        for axis, (picture, title) in zip(ax, panels):
            if picture is None:
                axis.text(0.5, 0.5, "no map", ha="center", va="center")
            else:
                axis.imshow(picture, cmap=None if picture.ndim == 3 else "jet", vmin=0, vmax=1)
            axis.set_title(title)
            axis.axis("off")
        fig.suptitle(f"{name}, class 1 (zebra)")
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=72, bbox_inches="tight")
        plt.close("all")
        pictures[name] = path.name
    return pictures


def _guarded(call):
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_CHECK)
    try:
        return True, call()
    except BaseException as err:  # noqa: B902
        return False, err
    finally:
        signal.alarm(0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    notebook, out = pathlib.Path(args.notebook).resolve(), pathlib.Path(args.out).resolve()
    sys.path[:0] = [str(ROOT), str(ROOT / "source" / "sec02")]  # the grader's own copies, not the student's
    os.chdir(notebook.parent)
    result = verify(notebook, out)
    (out / "verdict.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
