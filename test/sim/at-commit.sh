#!/usr/bin/env bash
# Runs today's simulation against the code of another commit (the commit's src/ and config/, this
# working tree's test/sim/), e.g. to show that a bug it finds was there before a fix:
#   test/sim/at-commit.sh <commit> [npm run test:sim arguments, e.g. --sim ingest --runs 500]
set -euo pipefail
commit=${1:?usage: test/sim/at-commit.sh <commit> [--sim NAME] [--runs N] [--seed S] [--path P]}
shift
root=$(git rev-parse --show-toplevel)
dir=$(mktemp -d "${TMPDIR:-/tmp}/logpipe-sim-XXXXXX")
trap 'rm -rf "$dir"' EXIT
git -C "$root" archive "$commit" src config package.json tsconfig.json | tar -x -C "$dir"
mkdir -p "$dir/test"
cp -r "$root/test/sim" "$dir/test/sim"
ln -s "$root/node_modules" "$dir/node_modules"
echo "simulation of $(git -C "$root" log -1 --format='%h %s' "$commit" | cut -c1-100)" >&2
cd "$dir"
node_modules/.bin/ts-node --transpile-only test/sim/cli.ts "$@"
