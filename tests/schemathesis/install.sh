#!/usr/bin/env bash
# Installs schemathesis, pinned with all its dependencies
# (tests/schemathesis/requirements.txt), into its own venv at
# target/schemathesis-venv (git-ignored), from PyPI only.
#
# Does nothing when the venv already holds exactly these pins: the venv keeps
# a stamp, the sha256 of requirements.txt and of the Python version it was
# built with, and a change of either rebuilds it from scratch.
#
# Env: PYTHON (default python3; schemathesis 4 needs Python >= 3.11),
#      SCHEMATHESIS_VENV (default target/schemathesis-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
requirements=tests/schemathesis/requirements.txt
stamp="$venv/.dealgate-requirements.sha256"

"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "schemathesis 4 needs Python >= 3.11; $python is $("$python" --version 2>&1)" >&2
  exit 1
}

# Debian's python3 keeps venv's pip bootstrap in a package of its own.
if ! "$python" -c 'import venv, ensurepip' 2> /dev/null; then
  if command -v apt-get > /dev/null; then
    echo "schemathesis: installing python3-venv (apt)"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
  else
    echo "schemathesis: $python has no venv/ensurepip; install python3-venv" >&2
    exit 1
  fi
fi

want=$({ sha256sum < "$requirements"; "$python" --version; } | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/schemathesis" --version > /dev/null 2>&1; then
  echo "schemathesis: $("$venv/bin/schemathesis" --version) in $venv (up to date)"
  exit 0
fi

echo "schemathesis: installing $requirements into $venv"
rm -rf "$venv"
"$python" -m venv "$venv"
# --no-deps: the file already lists every dependency at its exact version, so
# pip installs that set and nothing else; `pip check` then proves the set is
# complete and consistent.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
  --no-deps --only-binary=:all: -r "$requirements"
"$venv/bin/pip" check --disable-pip-version-check
echo "$want" > "$stamp"
echo "schemathesis: $("$venv/bin/schemathesis" --version) installed in $venv"
