#!/usr/bin/env bash
# The Django suite once more on the newest Django, where `django.tasks` is
# Django's own (Django >= 6.0 needs Python >= 3.12): a second virtualenv in
# .venv-newest-django, built from the first Python >= 3.12 this machine has
# (on PATH, or one that pyenv keeps). Without one the pass is skipped, saying so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/${NEWEST_DJANGO_VENV:-.venv-newest-django}"
# the pinned set (requirements/newest-django.txt); set empty, the newest releases
requirements=${NEWEST_DJANGO_REQUIREMENTS-requirements/newest-django.txt}

find_python() {
  local candidate
  for candidate in python3.13 python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do
      if [ -x "$candidate" ]; then
        echo "$candidate"
        return
      fi
    done
  fi
}

python=$(find_python || true)
if [ -z "$python" ]; then
  echo "newest-Django pass skipped: no Python >= 3.12 on this machine"
  exit 0
fi
stale() {
  [ ! -f "$venv/.installed" ] || [ "$root/pyproject.toml" -nt "$venv/.installed" ] ||
    { [ -n "$requirements" ] && [ "$root/$requirements" -nt "$venv/.installed" ]; }
}
if stale; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  if [ -n "$requirements" ]; then
    "$venv/bin/python" -m pip install -q -r "$root/$requirements"
  else
    "$venv/bin/python" -m pip install -q --upgrade --upgrade-strategy eager "$root[dev,demo]" "Django>=6.1"
  fi
  "$venv/bin/python" -m pip install -q --no-deps -e "$root"
  touch "$venv/.installed"
fi
"$venv/bin/python" -c 'import django, sys; print("newest-Django pass: Django", django.get_version(), "on Python", sys.version.split()[0])'
cd "$root"
JOBQ_TEST_DB=postgres DJANGO_SETTINGS_MODULE=tests.django.settings \
  exec "$venv/bin/python" -m pytest tests/django "$@"
