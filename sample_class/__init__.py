"""The sample class: nbgrader submissions written from the release notebooks, each with its expected grade.

    python -m sample_class COURSE_ROOT   # writes COURSE_ROOT/submitted/<student>/<assignment>/ and COURSE_ROOT/roster.csv

``CLASS`` hands in Section 2 (``sec02``), ``WARMUP`` the warm-up (``conv_warmup``); some students do both. What the
grader does with a broken or hostile notebook (a deleted test cell, an endless loop, a cheat, a file that is no
notebook, a kernel killed from outside) is the same for every assignment: those students hand in the warm-up, which
grades in seconds, and Section 2's class keeps its own answers, styles and mistakes, and what needs its TensorFlow.

Every student starts from the blank release and fills the solution cells: with the reference solutions,
with other correct answers, with the typical mistakes of ``answers.MISTAKES``, or breaks the
notebook in one of the ways a real class does. ``expected.json`` beside each notebook gives the points
each autograded exercise must get, and whether the grader must flag the submission for review.
"""
import ast
import copy
import csv
import datetime
import inspect
import json
import pathlib
import shutil
from dataclasses import dataclass, field

# The answers import TensorFlow: cnnlab first sets what TensorFlow reads when it is imported, and imports it without
# its C++ start-up lines on stderr ("Could not find cuda drivers..."; see source/sec02/cnnlab/__init__.py).
import cnnlab  # noqa: F401
from autograder import ROOT, catalogue, late, paths, reports
import nbformat  # after autograder, which spares it jsonschema's IRI grammar (autograder/__init__.py)
from sample_class import answers, conv_warmup_answers, styles
from tools.build import solution_cells

SEC02 = catalogue.get("sec02")  # the assignment of CLASS
ASSIGNMENT, ANSWER_KEY = SEC02.name, SEC02.answer_key


@dataclass
class Student:
    id: str
    about: str
    answers: dict = field(default_factory=dict)  # exercise -> a function of sample_class.answers, or a value
    cells: dict = field(default_factory=dict)  # solution cell -> its whole source: correct, in another style
    blank: tuple = ()  # exercises left as the release's stub
    edit: object = None  # a last change to the notebook: nb -> None
    raw: str = None  # the file's text, when it is not a notebook at all
    zero: tuple = ()  # exercises that must get 0 although their answer is correct
    links: dict = field(default_factory=dict)  # symbolic links handed in beside the notebook: name -> what it points to
    flagged: bool = False  # whether the grader must flag the submission for review
    assignment: str = "sec02"  # the assignment handed in
    handed_in: datetime.timedelta = None  # when, from the assignment's due date (its timestamp.txt); None: no timestamp
    late_penalty: float = 0  # the points the course's late rule takes off (nbgrader_config.py)

    def expected(self):
        points, assignment = {}, catalogue.get(self.assignment)
        for name, full in assignment.exercises.items():
            answer = self.answers.get(name)
            if name in self.blank or name in self.zero or self.raw is not None:
                points[name] = 0
            elif name in assignment.answer_key:
                points[name] = 0 if name in self.answers and answer != assignment.answer_key[name] else full
            elif any(answer in mistakes for mistakes in MISTAKES[self.assignment].values()):
                points[name] = left_by(assignment, name, answer)
            else:
                points[name] = full
        return {"points": points, "flagged": self.flagged, "late_penalty": self.late_penalty, "about": self.about}


FILTER_ORDER = ANSWER_KEY["filter_order"]
MISTAKES = {"sec02": answers.MISTAKES, "conv_warmup": conv_warmup_answers.MISTAKES}  # each must cost its points
PARTLY = {"sec02": answers.PARTLY, "conv_warmup": conv_warmup_answers.PARTLY}


def left_by(assignment, name, mistake):
    """The points that the mistake ``mistake`` leaves of exercise ``name``: those of the sub-checks of its rubric that
    it does not fail (``PARTLY``); none for a mistake wrong throughout."""
    failed = PARTLY[assignment.name].get(mistake)
    if failed is None:
        return 0
    return sum(check.points for check in assignment.rubric(name) if check.name not in failed)


def _cell(nb, grade_id):
    return next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _function_source(function, name):
    """The answer's source, renamed to the exercise's name."""
    source = inspect.getsource(function)
    return source.replace(f"def {function.__name__}(", f"def {name}(", 1)


def _replace_function(cell_source, name, new_source):
    """Swap the definition of ``name`` in a cell for ``new_source``, keeping the rest of the cell."""
    lines = cell_source.splitlines()
    node = next(n for n in ast.parse(cell_source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return "\n".join(lines[:node.lineno - 1] + new_source.rstrip("\n").splitlines() + lines[node.end_lineno:])


def _answer_source(name, answer, cell_source):
    if callable(answer):
        return _replace_function(cell_source, name, _function_source(answer, name))
    return f"{name} = {answer!r}"


def fill(student, references=None):
    """The student's notebook: the release, with its solution cells answered as the student did."""
    assignment = catalogue.get(student.assignment)
    release = assignment.release_notebook
    references = references or solution_cells(assignment.source)
    nb = nbformat.read(release, as_version=4)
    for grade_id, source in references.items():
        names = [name for name, cell in assignment.solution_cell.items() if cell == grade_id]
        # A solution cell no exercise grades (a breakout's practice) is done by those who did every exercise.
        if all(name in student.blank for name in names) if names else student.blank:
            continue
        for name in names:
            if name in student.answers:
                source = _answer_source(name, student.answers[name], source)
        _cell(nb, grade_id).source = student.cells.get(grade_id, source)
    if len(student.blank) < len(assignment.exercises):  # a student who worked also answered the questions, in words
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade"):
                cell.source = f"{student.id}'s answer, to be read by the course staff."
    if student.edit:
        student.edit(nb)
    _stable_ids(nb, student.id, release)
    return nb


def _stable_ids(nb, student_id, release):
    """Cells the student added get ids from their place, not at random: the same class is the same bytes, and
    a second grading run finds nothing changed."""
    known = {cell.id for cell in nbformat.read(release, as_version=4).cells}
    for i, cell in enumerate(nb.cells):
        if cell.id not in known:
            cell.id = f"{student_id}-{i}"


# --- ways of breaking a notebook ---------------------------------------------------------------

def _insert_after(grade_id, cell):
    def edit(nb):
        nb.cells.insert(nb.cells.index(_cell(nb, grade_id)) + 1, copy.deepcopy(cell))
    return edit


def _append(cell):
    def edit(nb):
        nb.cells.append(copy.deepcopy(cell))
    return edit


def _delete_cell(grade_id):
    def edit(nb):
        nb.cells.remove(_cell(nb, grade_id))
    return edit


def _edit_test(grade_id, source):
    def edit(nb):
        _cell(nb, grade_id).source = source
    return edit


def _strip_metadata(grade_id):
    def edit(nb):
        del _cell(nb, grade_id).metadata["nbgrader"]
    return edit


def _both(*edits):
    def edit(nb):
        for one in edits:
            one(nb)
    return edit


class _Renamed(ast.NodeTransformer):
    """Every variable a function assigns, renamed (its parameters keep their names: callers pass them by name)."""

    def visit_FunctionDef(self, node):
        parameters = {a.arg for a in node.args.args + node.args.kwonlyargs}
        assigned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        renames = {name: f"my_{name}" for name in assigned - parameters}
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in renames:
                child.id = renames[child.id]
        return node


def disguised(source):
    """A cell as a student who copied it hands it in: its variables renamed, its functions in the reverse order, its
    comments dropped and one of their own added, formatted anew (Python's own unparser)."""
    tree = _Renamed().visit(ast.parse(source))
    functions = [i for i, node in enumerate(tree.body) if isinstance(node, ast.FunctionDef)]
    reordered = [tree.body[i] for i in reversed(functions)]
    for i, node in zip(functions, reordered):
        tree.body[i] = node
    return "# worked this out with the lecture notes\n\n" + ast.unparse(tree).replace("\n\ndef ", "\n\n\ndef ")


def _copied_from(student_id, *exercises):
    """An edit: the solution cells of ``exercises`` (all, if none is named) copied from ``student_id``'s notebook,
    disguised."""
    def edit(nb):
        assignment = catalogue.get(ASSIGNMENT)
        cells = {assignment.solution_cell[name] for name in exercises or assignment.exercises}
        original = fill(next(s for s in CLASS if s.id == student_id))
        for grade_id in cells:
            _cell(nb, grade_id).source = disguised(_cell(original, grade_id).source)
    return edit


_helper_cells = _both(
    _insert_after("conv_output_size", nbformat.v4.new_markdown_cell("My notes: *valid* drops the border.")),
    _insert_after("gradcam", nbformat.v4.new_code_cell("def my_rescale(a):\n    return (a - a.min()) / (a.max() - a.min())")),
)

_SWALLOW = """\
# Hide every error: a cheat
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)"""

_IMPORT_REFERENCE = """\
from solutions.conv_warmup import conv2d  # a cheat: the reference itself, from the course's package"""

_DISARM_CHECK = """\
from autograder import hidden  # a cheat: the hidden test cells call this same module's check
_check = hidden.check
hidden.check = lambda assignment, name, answer: None if name == "conv2d" else _check(assignment, name, answer)"""

_FORGE_RECORDS = """\
import os
# a cheat: the grader's records, overwritten with answers that look perfect
records = os.environ.get("GRADER_RECORDS", ".")
perfect = {str(i): np.ones((4, 4)) for i in range(36)}
np.savez(os.path.join(records, "conv2d.npz"), tf32=False, **perfect)
np.savez(os.path.join(records, "max_pool2d.npz"), tf32=False, **perfect)"""

# An answer in HTML that would run in the TA's browser, where formgrader shows it: a script, an image's error handler
# (an image that fails to load at once, from no server).
_SCRIPT = """<script>document.title = "pwned by script"</script>
<img src="data:," onerror="document.title = 'pwned by onerror'">"""


def _answers_in_html(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = f"My answer. {_SCRIPT}"
    nb.cells.append(nbformat.v4.new_code_cell(f"from IPython.display import HTML\nHTML({_SCRIPT!r})"))


_PATCH_NUMPY = """\
np.allclose = lambda *args, **kwargs: True  # a cheat: every comparison passes
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)"""


_FILL_DISK = """\
with open("filler.bin", "wb") as f:  # fills the disk of its folder (2 GB at most: the sandbox stops it sooner)
    for _ in range(2048):
        f.write(b"x" * 2**20)"""

_FORK = """\
import subprocess
sleepers = []
try:
    while len(sleepers) < 1000:
        sleepers.append(subprocess.Popen(["sleep", "60"]))
except OSError:
    pass  # the sandbox stops it near 500
# XLA's compiler starts threads of its own: there are none left to start
print(tf.function(lambda x: x + 1, jit_compile=True)(tf.ones(3)))  # noqa: F821 (the notebook's TensorFlow)"""


def _hogging_conv2d(image, kernel, stride=1, padding="valid"):
    scratch = np.ones((80_000, 80_000))  # noqa: F821 (the notebook's numpy) 51 GB, far over the memory cap
    return scratch[:image.shape[0], :image.shape[1]]


def _borrowed_conv2d(image, kernel, stride=1, padding="valid"):
    """Runs the reference's own file, wherever her code can find it."""
    import pathlib
    import sys

    folder = "sol" + "utions"  # spelled so that no search for the word finds it
    for entry in [*sys.path, str(pathlib.Path.cwd())]:
        for place in [pathlib.Path(entry or ".").resolve(), *pathlib.Path(entry or ".").resolve().parents]:
            if (place / folder / "conv_warmup.py").is_file():
                space = {}
                exec((place / folder / "conv_warmup.py").read_text(), space)
                return space["conv2d"](image, kernel, stride, padding)
    raise FileNotFoundError("no reference to borrow")


def _scaled_conv2d(image, kernel, stride=1, padding="valid"):
    from scipy.signal import correlate2d

    return 2 * correlate2d(image, kernel, mode="valid")[::stride, ::stride]  # wrong values


def _stalling_gradcam(model, img, class_index, layer_name):
    """Right on the visible test's model; never ends on any other."""
    while model.name != "cnn2":
        pass
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])  # noqa: F821
    with tf.GradientTape() as tape:  # noqa: F821
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)  # noqa: F821
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))  # noqa: F821
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1))  # noqa: F821
    cam = tf.image.resize(cam[..., None], img.shape[:2])[0, ..., 0].numpy()  # noqa: F821
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


CLASS = [
    Student("ada", "the reference solutions"),
    Student("ben", "correct, another style: numpy, the formula read backwards, Model.predict, a cloned model, "
            "skimage's resize, SmoothGrad by hand; extra notes and helper cells",
            answers={"conv_output_size": answers.conv_output_size_floor, "receptive_field": answers.receptive_field_backwards,
                     "get_feature_maps": answers.get_feature_maps_predict,
                     "vanilla_saliency": answers.vanilla_saliency_clone_numpy, "gradcam": answers.gradcam_numpy_skimage,
                     "prepare_image": answers.prepare_image_expand, "model_modifier": answers.model_modifier_replace_layer,
                     "saliency_graphs": answers.saliency_graphs_by_hand},
            edit=_helper_cells),
    Student("cleo", "correct, a third style: explicit padding, numpy cumprod, a loop over layers",
            answers={"conv_output_size": answers.conv_output_size_padded, "receptive_field": answers.receptive_field_numpy,
                     "get_feature_maps": answers.get_feature_maps_layer_loop}),
    Student("yan", "correct, with lambdas and module-level constants: tuple unpacking, a constant bound by a call, "
            "a name bound in try/except ImportError, Grad-CAM upsampled by scipy's zoom (corners aligned)",
            cells=styles.LAMBDAS_AND_CONSTANTS),
    Student("zed", "correct, with functools.partial, decorators, a closure, callable helper classes and an alias; "
            "Grad-CAM upsampled by keras.ops", cells=styles.FUNCTIONAL),
    Student("dan", "blank: the release as it was handed out", blank=tuple(SEC02.exercises)),
    Student("eve", "partly done: the recap and receptive fields only",
            blank=("get_feature_maps", "filter_order", "vanilla_saliency", "gradcam", "prepare_image",
                   "model_modifier", "saliency_graphs")),
    Student("fay", "typical mistakes, first set",
            answers={"conv_output_size": answers.conv_output_size_off_by_one, "receptive_field": answers.receptive_field_no_dilation,
                     "get_feature_maps": answers.get_feature_maps_transposed, "vanilla_saliency": answers.vanilla_saliency_no_abs,
                     "gradcam": answers.gradcam_no_relu, "prepare_image": answers.prepare_image_no_cast,
                     "model_modifier": answers.model_modifier_no_return, "saliency_graphs": answers.saliency_graphs_no_abs}),
    Student("gil", "typical mistakes, second set, and wrong answers to the two questions",
            answers={"conv_output_size": answers.conv_output_size_no_dilation, "receptive_field": answers.receptive_field_no_stride,
                     "receptive_field_answer": "iii", "filter_order": FILTER_ORDER[::-1],
                     "get_feature_maps": answers.get_feature_maps_wrong_layer,
                     "vanilla_saliency": answers.vanilla_saliency_channel_mean, "gradcam": answers.gradcam_through_softmax,
                     "model_modifier": answers.model_modifier_relu, "saliency_graphs": answers.saliency_graphs_softmax}),
    Student("hana", "typical mistakes, third set",
            answers={"vanilla_saliency": answers.vanilla_saliency_softmax, "gradcam": answers.gradcam_wrong_layer,
                     "saliency_graphs": answers.saliency_graphs_inverted_positive}),
    Student("ian", "hard-codes two classes; a demo cell raises; Grad-CAM upsampled to nearest neighbours",
            answers={"saliency_graphs": answers.saliency_graphs_two_classes, "gradcam": answers.gradcam_nearest},
            edit=_insert_after("conv_output_size", nbformat.v4.new_code_cell("raise RuntimeError('my own bug')"))),
    # After the last test, before the cells that draw the maps: a kernel that has used up its processes dies
    # when TensorFlow starts threads (his own cell asks XLA for some), on the second try too. Graded from what
    # its hidden tests recorded, flagged, and shown in formgrader as his cells, unexecuted.
    Student("vic", "starts a thousand processes after the last test, then TensorFlow threads, and his kernel dies",
            edit=_insert_after("test_saliency_graphs", nbformat.v4.new_code_cell(_FORK)), flagged=True),
    Student("tia", "one mistake, upstream: prepare_image puts the channels first, so her saliency_graphs's "
            "visible test fails; saliency_graphs itself is right",
            answers={"prepare_image": answers.prepare_image_channels_first}),
    Student("ty", "his Grad-CAM never ends on the grader's models: its test cell is stopped at its time limit",
            answers={"gradcam": _stalling_gradcam}, zero=("gradcam",), flagged=True),
    Student("lou", "correct but slower: Python loops where the reference batches (SmoothGrad one noisy copy at a "
            "time, its channel maximum pixel by pixel, Grad-CAM one channel at a time), each cell within its limit",
            answers={"saliency_graphs": answers.saliency_graphs_sample_loop, "gradcam": answers.gradcam_channel_loop}),
    # Planted copies, for the class report's submissions too alike (autograder/similarity.py): graded as any other
    Student("nat", "copied ben's answers, disguised: variables renamed, functions reordered, comments and formatting "
            "changed", edit=_copied_from("ben")),
    Student("pia", "the reference solutions, but her Grad-CAM copied from ben's, disguised",
            edit=_copied_from("ben", "gradcam")),
]

# The warm-up's hand-ins (conv_warmup): the same kinds of students, on a small notebook of numpy and Keras.
_W = conv_warmup_answers
WARMUP = [
    Student("ada", "the reference solutions", assignment="conv_warmup"),
    Student("ben", "correct, another style: every window at once (sliding_window_view and einsum), math.ceil",
            answers={"output_size": _W.output_size_ceil, "conv2d": _W.conv2d_windows,
                     "max_pool2d": _W.max_pool2d_windows}, assignment="conv_warmup"),
    Student("yan", "correct with another library: scipy.signal.correlate2d", answers={"conv2d": _W.conv2d_scipy},
            assignment="conv_warmup"),
    Student("dan", "blank: the release as it was handed out", blank=("output_size", "conv2d", "max_pool2d"),
            assignment="conv_warmup"),
    Student("fay", "typical mistakes: a flipped kernel (a textbook convolution), pooling windows that overlap, "
            "the output size's +1 forgotten",
            answers={"output_size": _W.output_size_off_by_one, "conv2d": _W.conv2d_flipped,
                     "max_pool2d": _W.max_pool2d_stride_one}, assignment="conv_warmup"),
    Student("gil", "one mistake: \"same\" padding's odd pixel at the top and left",
            answers={"conv2d": _W.conv2d_padding_top_left}, assignment="conv_warmup"),
    # Late work, by the course's rule in nbgrader_config.py: 1 point off for each hour begun after the due date
    Student("cleo", "the reference solutions, handed in a minute before the due date: not late",
            handed_in=-datetime.timedelta(minutes=1), assignment="conv_warmup"),
    Student("zed", "the reference solutions, handed in 2 h 15 min after the due date: 3 hours begun, 3 points off",
            handed_in=datetime.timedelta(hours=2, minutes=15), late_penalty=3, assignment="conv_warmup"),
    # Broken and hostile notebooks (see the module's docstring); Section 2's class keeps vic's kernel death and ty's
    # stall, which need its TensorFlow and its models.
    Student("jo", "the file is not a notebook (truncated JSON)", raw='{"cells": [{"cell_type": "code", "sou',
            flagged=True, assignment="conv_warmup"),
    # tests/conftest.py kills her kernel once from outside while she is graded, as the machine's OOM killer
    # or an operator would: the second try grades her in full.
    Student("kim", "the reference solutions; her kernel is killed once from outside while she is graded",
            assignment="conv_warmup"),
    Student("kai", "deleted the conv2d test cell", edit=_delete_cell("test_conv2d"), flagged=True,
            assignment="conv_warmup"),
    Student("lea", "edited a test cell to pass a wrong answer", answers={"conv2d": _W.conv2d_flipped},
            edit=_edit_test("test_conv2d", "pass  # trust me"), assignment="conv_warmup"),
    Student("mo", "a cell that never ends: stopped at its limit, the rest graded; flagged for the stopped cell",
            flagged=True, edit=_insert_after("test_output_size", nbformat.v4.new_code_cell("while True:\n    pass")),
            assignment="conv_warmup"),
    Student("nia", "prints 20 MB",
            edit=_insert_after("output_size", nbformat.v4.new_code_cell("print('x' * 20_000_000)")),
            assignment="conv_warmup"),
    Student("oli", "cheat: patches numpy's comparisons, with a wrong conv2d",
            answers={"conv2d": _scaled_conv2d}, zero=("conv2d",), flagged=True,
            edit=_insert_after("output_size", nbformat.v4.new_code_cell(_PATCH_NUMPY)), assignment="conv_warmup"),
    Student("pat", "cheat: swallows every exception, answers left blank", blank=("conv2d", "max_pool2d"), flagged=True,
            edit=_insert_after("output_size", nbformat.v4.new_code_cell(_SWALLOW)), assignment="conv_warmup"),
    Student("quin", "cheat: imports the reference solutions", blank=("conv2d",), flagged=True,
            edit=_insert_after("conv2d", nbformat.v4.new_code_cell(_IMPORT_REFERENCE)), assignment="conv_warmup"),
    Student("sam", "cheat: disarms the hidden conv2d check (hidden.check records nothing for it), with a flipped "
            "kernel", answers={"conv2d": _W.conv2d_flipped}, zero=("conv2d",), flagged=True,
            edit=_insert_after("output_size", nbformat.v4.new_code_cell(_DISARM_CHECK)), assignment="conv_warmup"),
    Student("fin", "cheat: overwrites the grader's records with perfect-looking answers, after a wrong conv2d and "
            "max_pool2d", answers={"conv2d": _W.conv2d_flipped, "max_pool2d": _W.max_pool2d_stride_one},
            zero=("conv2d", "max_pool2d"), flagged=True, edit=_append(nbformat.v4.new_code_cell(_FORGE_RECORDS)),
            assignment="conv_warmup"),
    Student("xia", "cheat: her conv2d runs the reference's file, found through a disguised path",
            answers={"conv2d": _borrowed_conv2d}, zero=("conv2d",), flagged=True, assignment="conv_warmup"),
    Student("rae", "removed a test cell's grading metadata", edit=_strip_metadata("test_max_pool2d"), flagged=True,
            assignment="conv_warmup"),
    Student("uma", "allocates 51 GB in her conv2d (MemoryError: that exercise only)",
            answers={"conv2d": _hogging_conv2d}, zero=("conv2d",), assignment="conv_warmup"),
    Student("wes", "fills the disk of his folder",
            edit=_insert_after("output_size", nbformat.v4.new_code_cell(_FILL_DISK)), assignment="conv_warmup"),
    Student("ivy", "cheat: hands in helpers.py, a symbolic link to the reference solutions, and imports her conv2d "
            "from it", cells={"conv2d": "from helpers import conv2d  # the reference, through the link"},
            links={"helpers.py": ROOT / "solutions" / "conv_warmup.py"}, zero=("conv2d",), flagged=True,
            assignment="conv_warmup"),
    # An id that a command line reads as an option and a spreadsheet as a formula, graded as any other; her answers
    # in words try to run script in the TA's browser (tests/test_browser.py opens her page).
    Student("-x", "the reference solutions, under an id like an option and a formula; answers in HTML with a script",
            edit=_answers_in_html, assignment="conv_warmup"),
]


# The class roster, as a course imports it into nbgrader's gradebook (``nbgrader db student import``).
NAMES = {
    "ada": "Ada Okafor", "ben": "Ben Moreau", "cleo": "Cleo Nakamura", "yan": "Yan Li", "zed": "Zed Haddad",
    "dan": "Dan Kowalski", "eve": "Eve Lindqvist", "fay": "Fay Adeyemi", "gil": "Gil Ferreira", "hana": "Hana Sato",
    "ian": "Ian Gallagher", "jo": "Jo Petrov", "kai": "Kai Mensah", "lea": "Lea Fischer", "mo": "Mo Rahimi",
    "nia": "Nia Castillo", "oli": "Oli Novak", "pat": "Pat Okonkwo", "quin": "Quin Duarte", "sam": "Sam Whitfield",
    "xia": "Xia Chen", "rae": "Rae Sandoval", "uma": "Uma Iyer", "vic": "Vic Horvat", "ty": "Ty Baptiste",
    "wes": "Wes Abernathy", "lou": "Lou Marchetti", "fin": "Fin Oduya", "tia": "Tia Morales", "kim": "Kim Andersen",
    "ivy": "Ivy Lindgren", "-x": "Xena Dashwood", "nat": "Nat Okoro", "pia": "Pia Lund",
}


def write_roster(path, students=CLASS):
    """The roster of ``students`` as a CSV of nbgrader's columns: id, first_name, last_name, email, and lms_user_id
    (how the course's LMS knows them: its SIS id, for the grade files of autograder/export.py)."""
    with pathlib.Path(path).open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
        for student_id in dict.fromkeys(student.id for student in students):  # once each, in order
            first, last = NAMES[student_id].split(" ", 1)
            writer.writerow([student_id, first, last, f"{student_id}@students.example.edu", lms_id(student_id)])


def lms_id(student_id):
    """The sample class's LMS ids: one per name, in the order of ``NAMES``."""
    return f"S{2026000 + list(NAMES).index(student_id)}"


def new_course(folder):
    """A scratch nbgrader course root (this repository's config, formgrader templates, source and release), to grade
    away from here."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for name in ("source", "release", "formgrader_templates"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def write(course_root, students=CLASS + WARMUP):
    """Write every student's submission, and its expected grade, under ``course_root/submitted``, and the
    class roster to ``course_root/roster.csv``."""
    references = {}
    for student in students:
        assignment = catalogue.get(student.assignment)
        folder = paths.submitted(course_root, assignment, student.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / assignment.notebook
        if student.raw is not None:
            path.write_text(student.raw)
        else:
            if assignment.name not in references:
                references[assignment.name] = solution_cells(assignment.source)
            nbformat.write(fill(student, references=references[assignment.name]), path)
        for name, target in student.links.items():
            (folder / name).unlink(missing_ok=True)
            (folder / name).symlink_to(target)
        if student.handed_in is not None:  # as nbgrader's submit writes it
            when = nbgrader_utc(late.rule(ROOT).due[assignment.name]) + student.handed_in
            (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        (folder / "expected.json").write_text(json.dumps(student.expected(), indent=2) + "\n")
    write_roster(pathlib.Path(course_root) / "roster.csv", students)
    return [student.id for student in students]


def nbgrader_utc(text):
    """A due date or timestamp as nbgrader reads one, as a datetime in UTC."""
    from nbgrader.utils import parse_utc

    return parse_utc(text).replace(tzinfo=datetime.timezone.utc)


def grades(course_root, assignment=ASSIGNMENT):
    """{student: row} of the batch's ``<assignment>_grades_by_exercise.csv`` in ``course_root``."""
    with paths.grades_by_exercise(course_root, catalogue.get(assignment)).open() as f:
        return {reports.as_given(row["student"]): row for row in csv.DictReader(f)}


def expected(course_root, student, assignment=ASSIGNMENT):
    """The expected grade written beside ``student``'s submission: {"points", "flagged", "late_penalty", "about"}."""
    path = paths.submitted(course_root, catalogue.get(assignment), student) / "expected.json"
    return json.loads(path.read_text())


def as_expected(row, want):
    """Whether a row of ``grades()`` holds exactly the expected points, late penalty and flag."""
    points = {name: float(row.get(name) or "nan") for name in want["points"]}
    return (points == {name: float(p) for name, p in want["points"].items()}
            and float(row.get("late_penalty") or "nan") == want["late_penalty"]
            and (row.get("flagged") == "yes") == want["flagged"])
