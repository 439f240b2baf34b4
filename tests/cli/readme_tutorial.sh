#!/usr/bin/env bash
# Runs the shell blocks of README.md that sit between
# <!-- tutorial:begin --> and <!-- tutorial:end -->, in order, as a new user
# would: in an empty folder, with the built `genesis` on PATH and the
# examples where the build put them.
set -euo pipefail
readme=$1 build=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
script=$work/tutorial.sh
awk '/<!-- tutorial:begin -->/{on=1; next} /<!-- tutorial:end -->/{on=0} on' "$readme" |
  awk '/^```sh/{code=1; next} /^```/{code=0; next} code' > "$script"
if [ ! -s "$script" ]; then
  echo "readme_tutorial: no tutorial commands found in $readme" >&2
  exit 1
fi
echo "--- running the README tutorial ($(wc -l < "$script") lines)"
cat "$script"
echo "---"
cd "$work"
# The tutorial refers to the build folder as build/ (as after `make build`).
ln -s "$build" build
export PATH="$build:$PATH"
unset GENESIS_DB
bash -euo pipefail "$script"
echo "readme_tutorial: ok"
