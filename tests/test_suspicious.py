"""What in a notebook's cells the judge lists for a person to review (``verify.suspicious``): attempts to reach the
grading code or change how checks behave, never an ordinary answer."""
from autograder import verify
from autograder.hidden import RECORDS

ORDINARY = ['import numpy as np\nimport tensorflow as tf\n\ndef gradcam(model, img, c, layer):\n    return np.zeros((2, 2))',
            "%matplotlib inline\nplt.imshow(img)", "x = [i ** 2 for i in range(3)]  # my notes on solutions"]


def test_ordinary_answers_raise_nothing():
    assert verify.suspicious(ORDINARY) == []


def test_each_way_of_reaching_the_grading_code_is_named():
    cells = {"from solutions.sec02 import gradcam": "imports from solutions.sec02",
             "import autograder.hidden": "imports autograder.hidden",
             "np.allclose = lambda *a, **k: True": "reassigns np.allclose",
             "get_ipython().set_custom_exc((Exception,), None)": "uses set_custom_exc",
             "import os\nfor root, dirs, files in os.walk('/'): pass": "walks the filesystem (os.walk)",
             "exec(open('x.py').read())": "runs code it builds or reads (exec)",
             "import sys\nsys.modules['numpy']": "uses sys.modules",
             f"import os\nos.environ['{RECORDS}']": "names the folder of the grader's records",
             "path = 'autograder/verify.py'": "names the grading code in a string",
             "def f(:\n  autograder": "an unparsable cell mentions the grading machinery"}
    for source, finding in cells.items():
        assert verify.suspicious([source]) == [finding], source
