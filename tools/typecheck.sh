#!/usr/bin/env bash
# mypy on the package as installed: scheduler/ and django_integration/ are
# mapped into jobq by setuptools' package-dir, which mypy cannot follow through
# an editable install, so check a symlinked view of the installed layout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
view="$root/build/typecheck"
rm -rf "$view" && mkdir -p "$view"
cp -as "$root/jobq" "$view/jobq"
for sub in scheduler django_integration; do
  [ -d "$root/$sub" ] && ln -s "$root/$sub" "$view/jobq/$sub"
done
cd "$view"
export PYTHONPATH="$root/tools${PYTHONPATH:+:$PYTHONPATH}"  # the django-stubs plugin's settings
exec "$root/${VENV:-.venv}/bin/mypy" --config-file "$root/pyproject.toml" -p jobq "$@"
