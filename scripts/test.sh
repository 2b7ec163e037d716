#!/usr/bin/env bash
# The test suite, from a fresh clone: sets up .venv, then runs pytest. Extra arguments go to pytest; without a test
# file or folder among them (bash scripts/test.sh tests/test_data.py), it runs the whole suite.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# The browser tests (tests/test_browser.py) drive Debian's headless Chromium through its chromedriver.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Chromium and its driver from the system's packages..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "chromium and chromedriver are missing (apt-get install chromium chromium-driver, as root):" \
         "the browser tests will be skipped" >&2
  fi
fi
suite=(tests)
for arg in "$@"; do
  if [ -e "${arg%%::*}" ]; then suite=(); fi  # a file, a folder, or a test in a file (tests/test_x.py::test_y)
done
python -m pytest "${suite[@]}" "$@"
