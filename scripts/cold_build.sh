#!/usr/bin/env bash
# Time a cold full build: `make book` with an empty run cache (a fresh VSC_CACHE_DIR, so the
# project's own cache in .cache/runs is neither used nor touched). Usage:
#   bash scripts/cold_build.sh [cache folder, default .cache/book-cold]
# The per-chapter times land in _build/timings-book.json; the wall time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export VSC_CACHE_DIR=${1:-$PWD/.cache/book-cold}
if [ -e "$VSC_CACHE_DIR" ] && [ -n "$(ls -A "$VSC_CACHE_DIR")" ]; then
  echo "cold_build: $VSC_CACHE_DIR is not empty; remove it or name another folder (its runs are kept)." >&2
  exit 2
fi
mkdir -p "$VSC_CACHE_DIR"
started=$(date +%s)
make book
echo "cold build: $(( $(date +%s) - started )) s wall, run cache $VSC_CACHE_DIR"
