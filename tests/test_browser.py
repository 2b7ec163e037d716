"""Real-browser tests: a student's day in JupyterLab on the released notebook, driven through headless Chromium.

The harness is meant for any browser test (the TA's formgrader test too):

* ``browser``: a Selenium Chrome driver (Debian's headless Chromium, 1600x1000, offline) that keeps the browser
  console (``start_browser()`` makes one outside pytest);
  ``console(driver)`` returns every entry so far, ``severe(driver)`` the errors among them;
* ``jupyter_server(folder, *args, app="lab", env=None)``: starts ``jupyter lab`` (or ``app="notebook"``) in
  ``folder`` on a free port with a random token, returns a ``Server`` (``.url``, ``.token``, ``.page(path)``,
  ``.api(path)``, ``.log``) once it answers, and stops it when the test ends;
* ``shot(driver, name)``: a numbered screenshot in the test's output folder (printed with ``-s``);
* JupyterLab helpers: ``open_notebook``, ``wait_kernel_idle``, ``is_dirty``, ``cell``, ``type_into_cell``,
  ``menu``, ``save``;
* formgrader helpers: ``log_in``, ``text_of``, ``open_grading_page`` (a submission's grading page, set up, and the
  console errors it gave), ``assert_shortcuts_work`` (formgrade.js's keyboard shortcuts on that page).
"""
import ast
import contextlib
import csv
import dataclasses
import itertools
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from autograder.environment import environment, run_nbgrader
from tests.conftest import ROOT

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip(f"the browser tests need Debian's {CHROMIUM} and {CHROMEDRIVER} (scripts/test.sh installs them as "
                "root: apt-get install chromium chromium-driver)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

RELEASE = ROOT / "release" / "sec02"
SOLUTIONS = ROOT / "solutions" / "sec02.py"


# ----------------------------------------------------------------------------------------------------- harness

def start_browser():
    """Headless Chromium through Debian's chromedriver (no Selenium Manager), with the console log kept.

    It is offline, as a grading machine may be: every host name but the local server's fails to resolve, so a page
    that needs the internet shows it in the console, wherever the tests run.
    """
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.console_entries = []
    return driver


@pytest.fixture
def browser():
    """start_browser(), quit when the test ends."""
    driver = start_browser()
    yield driver
    driver.quit()


def console(driver):
    """Every browser console entry so far (Chrome empties its log on each read, so they are kept on the driver)."""
    driver.console_entries.extend(driver.get_log("browser"))
    return driver.console_entries


def severe(driver):
    """The console's errors (failed requests such as a 404 included), as their messages."""
    return [entry["message"] for entry in console(driver) if entry["level"] == "SEVERE"]


@pytest.fixture
def shot(tmp_path):
    """shot(driver, name): saves 01-name.png, 02-..., in the test's output folder; returns its path."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    print(f"\nscreenshots: {folder}")
    numbers = itertools.count(1)

    def take(driver, name):
        path = folder / f"{next(numbers):02d}-{name}.png"
        driver.save_screenshot(str(path))
        return path

    return take


@dataclasses.dataclass
class Server:
    url: str  # http://127.0.0.1:PORT/
    token: str
    log: pathlib.Path

    def page(self, path):
        """The URL of a page (e.g. "lab/tree/sec02.ipynb", "formgrader") with the token."""
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, path, method="GET"):
        """The JSON answer of a REST call, e.g. api("api/sessions")."""
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_jupyter(folder, log, *args, app="lab", env=None, timeout=120):
    """A Jupyter server (``jupyter lab`` or ``jupyter notebook``) on ``folder`` until the block ends.

    It runs in ``folder`` (so nbgrader reads the folder's nbgrader_config.py, if any), with JupyterLab's user
    settings (no news question) and workspaces in a fresh folder beside ``log``; its kernels inherit TensorFlow's
    quiet flags.
    """
    token, port = secrets.token_hex(16), _free_port()
    user = log.with_suffix(".user")
    news = user / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false", "checkForUpdates": false}')  # no news question over the page
    server_env = environment(JUPYTERLAB_SETTINGS_DIR=str(user / "settings"),
                             JUPYTERLAB_WORKSPACES_DIR=str(user / "workspaces"), **(env or {}))
    command = [sys.executable, "-m", "jupyter", app, "--no-browser", f"--ServerApp.token={token}",
               f"--ServerApp.port={port}", f"--ServerApp.root_dir={folder}", "--allow-root",
               "--ServerApp.open_browser=False", *args]
    server = Server(f"http://127.0.0.1:{port}/", token, log)
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=folder, env=server_env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    server.api("api/status")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"jupyter {app} did not start; its log:\n{log.read_text()[-3000:]}")
                    time.sleep(0.5)
            print(f"jupyter {app} on {folder}: {server.url} (log: {log})")
            yield server
        finally:
            process.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def jupyter_server(tmp_path):
    """jupyter_server(folder, *args, app="lab", env=None) -> Server; each one is stopped when the test ends."""
    with contextlib.ExitStack() as servers:
        numbers = itertools.count(1)

        def start(folder, *args, **kwargs):
            return servers.enter_context(running_jupyter(folder, tmp_path / f"jupyter-{next(numbers)}.log",
                                                         *args, **kwargs))

        yield start


def wait(driver, condition, timeout, message=""):
    """WebDriverWait(driver, timeout).until(condition): what the condition returned, or TimeoutException."""
    return WebDriverWait(driver, timeout, poll_frequency=0.25).until(condition, message)


def open_notebook(driver, server, path, timeout=120):
    """Opens lab/tree/<path> and waits until its kernel is idle."""
    driver.get(server.page(f"lab/tree/{path}"))
    wait_kernel_idle(driver, server, timeout)


def wait_kernel_idle(driver, server, timeout=120):
    """Waits until the notebook's kernel indicator and the server both say idle (after a start or a run)."""
    def idle(driver):
        shown = driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) "
                                                      ".jp-Notebook-ExecutionIndicator[data-status='idle']")
        kernels = server.api("api/kernels")
        return shown and kernels and all(kernel["execution_state"] == "idle" for kernel in kernels)

    wait(driver, idle, timeout, "the kernel did not become idle")


def is_dirty(driver):
    """Whether the current document's tab shows unsaved changes."""
    return bool(driver.find_elements(By.CSS_SELECTOR, ".lm-TabBar-tab.jp-mod-current.jp-mod-dirty"))


def cell_selector(index):
    """CSS selector of the current notebook's cell number ``index`` (0-based, as in the file)."""
    return f".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell[data-windowed-list-index='{index}']"


def cell(driver, index, timeout=30):
    """The notebook's cell number ``index`` (0-based, as in the file), scrolled into view."""
    element = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, cell_selector(index)),
                   timeout, f"cell {index} is not in the page")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return element


def cell_text(element):
    """The text in a cell's editor, line by line as CodeMirror shows it."""
    lines = element.find_elements(By.CSS_SELECTOR, ".cm-line")
    return "\n".join(line.get_attribute("textContent") for line in lines)


def type_into_cell(driver, element, text):
    """Replaces a code cell's text by typing ``text`` into its editor, key by key.

    CodeMirror indents a new line by itself; after each Enter, Shift+Home selects that indentation (nothing at
    column 0) and the line is typed with its own, replacing it. So the cell ends up with exactly ``text``.
    """
    element.find_element(By.CSS_SELECTOR, ".cm-content").click()  # edit mode
    wait(driver, lambda d: "jp-mod-editMode" in d.find_element(
        By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").get_attribute("class"), 10)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
    for number, line in enumerate(text.split("\n")):
        keys = ActionChains(driver)
        if number:
            keys.send_keys(Keys.ENTER).key_down(Keys.SHIFT).send_keys(Keys.HOME).key_up(Keys.SHIFT)
        keys.send_keys(line).perform()


def menu(driver, *labels):
    """Clicks a menu bar item, then the items labelled ``labels`` in turn, e.g. menu(d, "Run", "Run All Cells")."""
    for css, label in zip([".lm-MenuBar-itemLabel"] + [".lm-Menu-itemLabel"] * (len(labels) - 1), labels):
        wait(driver, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, css) if e.text == label],
             10, f"no menu item {label!r}")[0].click()


def save(driver, timeout=30):
    """Ctrl+S from command mode; waits until the tab no longer shows unsaved changes (the file is written)."""
    ActionChains(driver).send_keys(Keys.ESCAPE).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
    wait(driver, lambda d: not is_dirty(d), timeout, "the notebook was not saved")


# --------------------------------------------------------------------------------------------- the student

def _student_folder(tmp_path):
    """A copy of the released assignment, as a student downloads it."""
    folder = tmp_path / "student"
    shutil.copytree(RELEASE, folder, ignore=shutil.ignore_patterns("__pycache__", "*.best.keras"))
    return folder


def _first_exercise(nb):
    """(solution cell index, its test cell indices, the next solution code cell's index) of the release."""
    def solution(index):
        c = nb.cells[index]
        return c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")

    first = next(i for i in range(len(nb.cells)) if solution(i))
    tests = list(itertools.takewhile(lambda i: nb.cells[i].metadata.get("nbgrader", {}).get("grade"),
                                     range(first + 1, len(nb.cells))))
    following = next(i for i in range(tests[-1] + 1, len(nb.cells)) if solution(i))
    return first, tests, following


def _reference(name):
    """The source of the top-level definition ``name`` in solutions/sec02.py."""
    source = SOLUTIONS.read_text()
    node = next(node for node in ast.parse(source).body if getattr(node, "name", None) == name)
    return ast.get_source_segment(source, node)


def test_student_solves_the_first_exercise_and_runs_all(browser, jupyter_server, shot, tmp_path):
    started = time.monotonic()
    folder = _student_folder(tmp_path)
    release = nbformat.read(folder / "sec02.ipynb", as_version=4)
    first, tests, following = _first_exercise(release)
    grade_id = release.cells[first].metadata.nbgrader.grade_id
    answer = _reference(grade_id)
    server = jupyter_server(folder)

    open_notebook(browser, server, "sec02.ipynb")
    shot(browser, "opened")

    solution = cell(browser, first)
    type_into_cell(browser, solution, answer)
    assert cell_text(solution) == answer, "what the editor holds differs from what was typed"
    shot(browser, "solution-typed")

    menu(browser, "Run", "Run All Cells")

    def stopped(driver):  # Run All stops at the next exercise, still a stub raising NotImplementedError
        outputs = driver.find_elements(By.CSS_SELECTOR, f"{cell_selector(following)} .jp-OutputArea-output")
        prompts = [p.get_attribute("textContent") for p in driver.find_elements(By.CSS_SELECTOR, ".jp-InputPrompt")]
        return any("NotImplementedError" in o.get_attribute("textContent") for o in outputs) and "[*]:" not in prompts

    wait(browser, stopped, 300, "Run All did not reach the next exercise")
    wait_kernel_idle(browser, server, 60)
    cell(browser, tests[-1])
    shot(browser, "first-exercise-tested")
    save(browser)
    cell(browser, following)
    shot(browser, "saved-stopped-at-next-exercise")

    saved = nbformat.read(folder / "sec02.ipynb", as_version=4)
    assert saved.cells[first].source == answer
    for index, c in enumerate(saved.cells[:tests[-1] + 1]):
        if c.cell_type != "code":
            continue
        assert c.execution_count is not None, f"cell {index} did not run"
        bad = [o for o in c.outputs if o.output_type == "error" or o.get("name") == "stderr"]
        assert not bad, f"cell {index} wrote an error or to stderr: {bad}"
    assert all(saved.cells[i].execution_count is not None for i in tests), "the visible test did not run"
    errors = [o for o in saved.cells[following].outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "NotImplementedError", saved.cells[following].outputs
    assert all(c.execution_count is None for c in saved.cells[following + 1:] if c.cell_type == "code")

    figures = [e for e in severe(browser) if "/fig/" in e or "404" in e]
    assert not figures, f"the notebook's figures failed to load: {figures}"
    loaded = browser.execute_script("return [...document.querySelectorAll('.jp-Notebook img')]"
                                    ".filter(i => i.src.includes('/fig/')).map(i => [i.src, i.naturalWidth])")
    assert loaded and all(width > 0 for _, width in loaded), loaded
    print(f"severe console entries: {severe(browser)}\nstudent test: {time.monotonic() - started:.0f} s")


def test_release_notebook_opens_without_unsaved_changes(browser, jupyter_server, shot, tmp_path):
    folder = _student_folder(tmp_path)
    server = jupyter_server(folder)
    open_notebook(browser, server, "sec02.ipynb")
    try:  # the kernel's language_info arrives just after it is idle: give it a few seconds to mark the tab
        wait(browser, is_dirty, 5)
    except TimeoutException:
        pass
    shot(browser, "opened")
    assert not is_dirty(browser), "the tab shows unsaved changes right after opening"


@pytest.mark.slow
def test_student_opens_the_fetched_feedback_in_jupyterlab(browser, jupyter_server, shot, tmp_path, graded_course):
    """fay's feedback page (graded with the class, maps and all), where ``nbgrader fetch_feedback`` puts it in the
    student's folder (tests/test_exchange.py fetches one), opened in JupyterLab: its text shows, every picture
    loads, the console stays clean."""
    fetched = tmp_path / "fay" / "sec02" / "feedback" / "2026-12-01 09:00:00.000000 UTC"
    fetched.mkdir(parents=True)
    shutil.copy(graded_course / "feedback" / "fay" / "sec02" / "sec02.html", fetched)
    server = jupyter_server(tmp_path / "fay")
    browser.get(server.page(f"lab/tree/sec02/feedback/{fetched.name}/sec02.html"))
    frame = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-HTMLViewer iframe"), 120,
                 "JupyterLab did not open the page")[0]
    browser.switch_to.frame(frame)
    wait(browser, lambda d: "Feedback for fay" in text_of(d), 30, "the page's text did not show")
    images = browser.find_elements(By.TAG_NAME, "img")
    loaded = [browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
              for image in images]
    browser.switch_to.default_content()
    shot(browser, "feedback")
    assert len(images) == 3 and all(loaded), loaded  # her vanilla saliency, Grad-CAM and SmoothGrad maps
    assert not severe(browser), severe(browser)


# -------------------------------------------------------------------------------------------------------- the TA

@pytest.mark.slow
def test_the_class_report_opens_offline_with_its_plots(browser, shot, graded_course):
    """The graded class's report (autograder/class_report.py), opened from disk: every picture loads, no console
    error."""
    browser.get((graded_course / "sec02_class_report.html").as_uri())
    wait(browser, lambda d: "Class report" in text_of(d), 30, "the report did not open")
    images = browser.find_elements(By.TAG_NAME, "img")
    assert images and all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                                                 image) for image in images)
    assert "Reasons for review" in text_of(browser) and not severe(browser), severe(browser)
    shot(browser, "class-report")


def log_in(driver, server):
    """Opens formgrader with the token, as a TA does first: the login cookie then holds for every page (a token in
    a deeper page's URL sets a cookie for that folder only, and formgrader's API calls would be turned away)."""
    driver.get(server.page("formgrader"))
    wait(driver, lambda d: "sec02" in text_of(d), 60, "formgrader's assignments did not load")


def text_of(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def _submission_ids(course, assignment="sec02"):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.notebooks[0].id for s in gb.assignment_submissions(assignment)}


def _shown(driver, css):
    """What a score or comment box shows: the TA's value, or else (as a placeholder) the autograder's."""
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return (found[0].get_attribute("value") or found[0].get_attribute("placeholder")) if found else None


def open_grading_page(driver, server, submission_id, timeout=60):
    """Opens formgrader's grading page of a submission and waits until its script has set the page up (MathJax has
    typeset it, the keyboard shortcuts are registered); returns the console errors the page gave meanwhile."""
    before = len(severe(driver))
    driver.get(server.url + f"formgrader/submissions/{submission_id}/")
    try:
        wait(driver, lambda d: d.execute_script(
            "return !!(window.formgrader && formgrader.loaded && window.MathJax && MathJax.loaded)"), timeout)
    except TimeoutException:
        raise AssertionError(f"the grading page of {submission_id} did not set itself up; "
                             f"console errors: {severe(driver)[before:]}") from None
    return severe(driver)[before:]


def assert_shortcuts_work(driver):
    """formgrade.js's Tab and Shift+Tab cycle through the page's score and comment boxes, wrapping round at either
    end, which the browser's own focus order does not: Shift+Tab in the first box lands in the last, Tab there in
    the first. (The page focuses its first box once MathJax has typeset it.)"""
    boxes = driver.find_elements(By.CSS_SELECTOR, ".tabbable")
    assert len(boxes) > 2, f"the grading page has {len(boxes)} score or comment boxes"
    wait(driver, lambda d: d.switch_to.active_element == boxes[0], 10, "the first box is not focused")
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    wait(driver, lambda d: d.switch_to.active_element == boxes[-1], 10, "Shift+Tab did not wrap round to the last box")
    ActionChains(driver).send_keys(Keys.TAB).perform()
    wait(driver, lambda d: d.switch_to.active_element == boxes[0], 10, "Tab did not wrap round to the first box")


@pytest.mark.slow
def test_ta_reviews_the_graded_class_in_formgrader(browser, jupyter_server, shot, graded_course):
    import sample_class
    from autograder import catalogue

    sec02 = catalogue.get("sec02")
    EXERCISES, QUESTIONS = sec02.exercises, sec02.questions

    course = graded_course
    students = sorted(sample_class.grades(course))
    flagged = {s for s in students if sample_class.expected(course, s)["flagged"]}
    ids = _submission_ids(course)
    server = jupyter_server(course)

    log_in(browser, server)
    assert "exchange directory" not in text_of(browser), "formgrader warns that the exchange is missing"
    wait(browser, lambda d: "conv_warmup" in text_of(d), 60, "formgrader does not list the second assignment")
    shot(browser, "assignments")

    browser.get(server.url + "formgrader/gradebook/conv_warmup/conv_warmup")  # the warm-up, graded by the same run
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "table tbody tr .glyphicon-eye-open"))
         == len(sample_class.WARMUP), 60, "the warm-up's submissions did not load")
    shot(browser, "warmup-submissions")

    browser.get(server.url + "formgrader/manage_students")
    names = {s: sample_class.NAMES[s].split(" ", 1) for s in students}
    wait(browser, lambda d: all(f"{last}, {first}" in text_of(d) for first, last in names.values()), 60,
         "not every student is listed with their name")
    shot(browser, "students-with-names")

    browser.get(server.url + "formgrader/gradebook/sec02/sec02")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "table tbody tr .glyphicon-eye-open")) == len(students),
         60, "the assignment's submissions did not load")
    browser.find_element(By.XPATH, "//button[contains(., 'Show All Names')]").click()
    student_of = {f"{last}, {first}": s for s, (first, last) in names.items()}
    wait(browser, lambda d: all(row.find_elements(By.CSS_SELECTOR, "td")[1].text in student_of
                                for row in d.find_elements(By.CSS_SELECTOR, "table tbody tr")), 10, "names shown")
    shown = {student_of[row.find_elements(By.CSS_SELECTOR, "td")[1].text]
             for row in browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
             if row.find_elements(By.CSS_SELECTOR, ".glyphicon-flag")}
    assert shown == flagged, f"flagged in formgrader: {sorted(shown)}, expected: {sorted(flagged)}"
    shot(browser, "submissions-flagged")

    # each grading page is checked the same way: no console error (MathJax, served by this server, has typeset it).
    # kai deleted a test cell of the warm-up: it is back, scored, and the page says why it is flagged
    warmup = catalogue.get("conv_warmup")
    comment = f"#{warmup.solution_cell['conv2d']}-comment"
    assert open_grading_page(browser, server, _submission_ids(course, "conv_warmup")["kai"]) == []
    assert_shortcuts_work(browser)
    wait(browser, lambda d: "its test cell was missing" in (_shown(d, comment) or ""), 60,
         "kai's conv2d comment box does not say that its test cell was missing")
    assert "Flagged for review by the grader." in text_of(browser) and "conv2d: its test cell was missing" in text_of(
        browser), "the reasons for review head the page"
    wait(browser, lambda d: _shown(d, "#test_conv2d") == f"{warmup.exercises['conv2d']:g}", 60,
         "the put-back test cell shows no score")
    shot(browser, "kai-flagged-with-reasons")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                           browser.find_element(By.CSS_SELECTOR, "#test_conv2d"))
    shot(browser, "kai-put-back-test-cell")

    assert open_grading_page(browser, server, _submission_ids(course, "conv_warmup")["jo"]) == []
    wait(browser, lambda d: "could not be read as a notebook" in text_of(d), 60, "jo's stand-in page")
    wait(browser, lambda d: _shown(d, "#test_conv2d") == "0", 60, "jo's stand-in scores")
    shot(browser, "jo-stand-in")

    # vic's kernel died twice: his page is his own cells, not executed, under what happened, scored from his records
    assert open_grading_page(browser, server, ids["vic"]) == []
    wait(browser, lambda d: "The kernel died while this notebook ran" in text_of(d), 60, "vic's page of his cells")
    wait(browser, lambda d: "sleepers.append(subprocess.Popen" in text_of(d), 60, "his own cells")
    wait(browser, lambda d: _shown(d, "#test_gradcam") == f"{EXERCISES['gradcam']:g}", 60, "vic's recorded scores")
    shot(browser, "vic-kernel-died")

    # -x's answers in words, and an output of hers, hold a script and an image's error handler: shown, never run
    assert open_grading_page(browser, server, _submission_ids(course, "conv_warmup")["-x"]) == []
    wait(browser, lambda d: 'document.title = "pwned by script"' in text_of(d), 60, "-x's script, shown as text")
    assert "pwned" not in browser.title, browser.title
    planted = browser.execute_script("return [...document.querySelectorAll('[onerror], script')]"
                                     ".filter(element => element.outerHTML.includes('pwned')).length")
    assert planted == 0, "her script or her image's handler is an element of the page"
    shot(browser, "x-script-shown-as-text")

    # the TA grades one free-response answer by hand; nbgrader's export then counts it
    question = next(iter(QUESTIONS))
    assert open_grading_page(browser, server, ids["ada"]) == []
    wait(browser, lambda d: _shown(d, "#test_gradcam") == f"{EXERCISES['gradcam']:g}", 60, "ada's grades did not load")
    figures = browser.execute_script("return [...document.querySelectorAll('img')].filter(i => i.src.includes('/fig/'))"
                                     ".map(i => [i.src, i.complete && i.naturalWidth])")
    assert figures and all(width for _, width in figures), figures  # the release's pictures, served beside her page
    score = browser.find_element(By.CSS_SELECTOR, f"input#{question}")
    score.location_once_scrolled_into_view
    score.clear()
    score.send_keys("2")
    browser.find_element(By.CSS_SELECTOR, f"#{question}-comment").click()  # leaving the field saves it
    wait(browser, lambda d: _manual_score(course, "ada", question) == 2.0, 30, "the TA's score was not saved")
    shot(browser, "ada-free-response-graded")

    result = run_nbgrader("export", "--to", "after.csv", cwd=course, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    with (course / "after.csv").open() as f:
        ada = next(row for row in csv.DictReader(f) if row["student_id"] == "ada" and row["assignment"] == "sec02")
    assert float(ada["score"]) == sum(EXERCISES.values()) + 2
    not_found = [entry for entry in severe(browser) if " 404 " in entry or "/fig/" in entry]
    assert not not_found, not_found


def _manual_score(course, student, name):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_grade(name, "sec02", "sec02", student).manual_score
