#!/usr/bin/env bash
# As root: an ordinary user (cnnlab-ta, no sudo, no groups) with a copy of this repository's tracked files and a
# virtual environment of its own. The environment is made by Debian's /usr/bin/python3.11, since the Python that
# made .venv may live where other users cannot read (/root), and is kept under /var/tmp, owned by that user, keyed
# by the hash of requirements.txt and pyproject.toml (as scripts/env.sh keys its own), so that later runs reuse it
# (the first one costs minutes); the course's code is installed editable from the copy, whose path does not change.
# Prints the copy's path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TA=cnnlab-ta
HOME_DIR=/var/tmp/$TA
[ "$(id -u)" = 0 ] || { echo "tests/ordinary_user.sh makes a user: run it as root" >&2; exit 2; }
if ! /usr/bin/python3.11 -c 'import ensurepip' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv >/dev/null
fi
id -u $TA >/dev/null 2>&1 || useradd --create-home --home-dir "$HOME_DIR" --shell /bin/bash $TA
chmod 700 "$HOME_DIR"
as_ta() { runuser -u $TA -- env -i HOME="$HOME_DIR" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"; }
want="$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
venv=/var/tmp/cnnlab-venv-${want:0:16}
fresh=
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  echo "Installing the pinned environment for $TA into $venv (first run: a few minutes)..." >&2
  rm -rf "$venv"
  install -d -o $TA -g $TA "$venv"
  as_ta /usr/bin/python3.11 -m venv "$venv"
  as_ta "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt" >&2
  fresh=1
fi
repo="$HOME_DIR/repo"
rm -rf "$repo"
as_ta mkdir "$repo"
(cd "$ROOT" && git ls-files -z | tar --null -T - -cf -) | as_ta tar -x -C "$repo"
as_ta ln -s "$venv" "$repo/.venv"
# The reference answers and the reference notebook's cell times that this checkout already computed (.references/,
# each folder named by the hash of what it depends on: the copy reuses one only where it would compute the same),
# so that the ordinary user's grading is what the test is about, not computing them again.
if [ -d "$ROOT/.references" ]; then
  cp -r "$ROOT/.references" "$repo/.references" && chown -R $TA:$TA "$repo/.references"
fi
if [ -n "$fresh" ]; then
  as_ta "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$(realpath "$repo")" >&2
  as_ta sh -c "echo $want > $venv/.requirements.sha256"
fi
echo "$repo"
