"""Submissions too alike to have been written apart, for a person to look at: never a penalty, never a grade.

Each student's *own* code is what they wrote in the notebook's solution cells and the code cells they added. It is
normalised (``normalised``: Python's own parser drops comments and formatting, literal values become one value),
then fingerprinted by copydetect, a maintained Python implementation of MOSS's winnowing (its tokenizer also
replaces every name, so renamed variables and helpers change nothing, and a fingerprint is a set, so reordered
helpers neither). What the class shares is removed from each fingerprint, as MOSS does: the release's code cells and
the reference solutions' own code, and any passage found in ``COMMON`` of the class or more (a typical mistake many
make alike, a formula everybody writes the same way). A pair is reported when the fingerprints left that they share
cover at least ``SHARE`` of either student's own code, and at least ``TOKENS`` characters of it.

copydetect (a maintained implementation of MOSS's winnowing in Python, by pip) fits here where Dolos (tree-sitter
based, on npm) would need Node.js beside the grader. Measured on the sample class and on a class of 200 in
``benchmarks/similarity.py``.
"""
import ast
import dataclasses
import functools
import io
import collections
import itertools
import json
import math

import numpy as np

from autograder import catalogue, paths

NOISE, GUARANTEE = 25, 30  # copydetect's defaults: shared runs shorter than 25 characters never count, 30 always do
SHARE = 0.6  # of a student's own code, found in the other's
TOKENS = 150  # characters of normalised code in common, at least


def common(students):
    """How many submissions a passage must be found in to be the class's, not a copy: a tenth of the class, and at
    least 4 (three students who share code are still reported)."""
    return max(4, math.ceil(students / 10))


@dataclasses.dataclass
class Alike:
    """Two students whose own code is alike: the share of each one's own code found in the other's, and the code
    they have in common as each wrote it (normalised)."""
    students: tuple
    shares: tuple
    common: tuple  # ([fragments of the first's], [fragments of the second's])

    @property
    def share(self):
        return max(self.shares)


def own_code(notebook, assignment):
    """The code a student wrote in ``notebook`` (a notebook as JSON): their solution cells, and the code cells they
    added, normalised, one after the other."""
    release = _release_ids(assignment.release_notebook)
    solutions = set(assignment.solution_cell.values())
    cells = [cell for cell in notebook["cells"] if cell.get("cell_type") == "code"
             and (catalogue.grade_id(cell) in solutions
                  or (cell.get("id") not in release and not catalogue.grade_id(cell)))]
    return _joined(catalogue.source_text(cell) for cell in cells)


@functools.lru_cache
def _release_ids(path):
    """The ids of the release's cells: read once, not once per student."""
    return frozenset(cell.get("id") for cell in json.loads(path.read_text())["cells"])


def boilerplate(assignment):
    """The code every submission may share: the release's code cells and the reference solutions', normalised."""
    return _joined(catalogue.source_text(cell) for path in (assignment.release_notebook, assignment.source)
                   for cell in json.loads(path.read_text())["cells"] if cell.get("cell_type") == "code")


# Between cells, code longer than a fingerprint that the tokenizer keeps: no fingerprint spans two cells, so a cell
# shared with the boilerplate is shared whole, whatever cells surround it.
BETWEEN = "\n" + ";".join(["pass"] * 8) + "\n"


def _shown(code):
    """A stretch of normalised code as a person reads it: without the lines put between cells."""
    return "\n".join(line for line in code.splitlines() if line.strip(" pas;"))


def _joined(sources):
    return BETWEEN + BETWEEN.join(normalised(source) for source in sources) + BETWEEN


class _Literals(ast.NodeTransformer):
    def visit_Constant(self, node):
        return ast.copy_location(ast.Constant(0 if isinstance(node.value, (int, float, complex)) else
                                              "" if isinstance(node.value, str) else node.value), node)


def normalised(source):
    """``source`` as Python's parser reads it, without comments, formatting or literal values; as it is when it does
    not parse (IPython's magics and shell lines are dropped first)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.unparse(_Literals().visit(ast.parse("\n".join(lines))))
    except (SyntaxError, ValueError, RecursionError):
        return "\n".join(lines)


def fingerprints(codes, shared):
    """{student: copydetect's fingerprint of their own code}, less every fingerprint of the ``shared`` code (all its
    k-grams, not only those winnowing keeps: which ones it keeps depends on their neighbours)."""
    from copydetect import CodeFingerprint
    from copydetect.utils import filter_code, hashed_kgrams

    common = np.unique(hashed_kgrams(filter_code(shared, "shared.py", "python")[0], NOISE))
    return {student: CodeFingerprint(f"{student}.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=common,
                                     fp=io.StringIO(code), language="python")
            for student, code in codes.items()}


def alike(codes, shared):
    """[Alike] of the pairs of ``codes`` ({student: own code}) too alike to be independent, the most alike first;
    ``shared``: the code every submission may hold (``boilerplate``)."""
    from copydetect import compare_files

    prints = fingerprints(codes, shared)
    seen = collections.Counter(h for fingerprint in prints.values() for h in fingerprint.hashes)
    _drop(prints.values(), {h for h, n in seen.items() if n >= common(len(prints))})
    found = []
    for a, b in itertools.combinations(sorted(prints), 2):
        tokens, shares, slices = compare_files(prints[a], prints[b])
        if tokens >= TOKENS and max(shares) >= SHARE:
            fragments = tuple([_shown(prints[s].raw_code[start:end]) for start, end in zip(*cut)]
                              for s, cut in zip((a, b), slices))
            found.append(Alike((a, b), tuple(float(share) for share in shares), fragments))
    return sorted(found, key=lambda pair: -pair.share)


def in_course(course, assignment, students):
    """[Alike] of the ``students``' submissions of ``assignment`` handed in to the course (a file that is not a
    notebook has no code to compare)."""
    codes = {}
    for student in students:
        try:
            notebook = json.loads((paths.submitted(course, assignment, student) / assignment.notebook).read_text())
            codes[student] = own_code(notebook, assignment)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return alike(codes, boilerplate(assignment))


def _drop(prints, hashes):
    """Take ``hashes`` out of each copydetect fingerprint, as its own boilerplate option does."""
    from copydetect.utils import get_token_coverage

    for fingerprint in prints:
        fingerprint.hashes -= hashes
        fingerprint.hash_idx = {h: i for h, i in fingerprint.hash_idx.items() if h not in hashes}
        fingerprint.token_coverage = get_token_coverage(fingerprint.hash_idx, fingerprint.k,
                                                        len(fingerprint.filtered_code))
