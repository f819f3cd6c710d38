#!/usr/bin/env bash
# scripts/lint-infra.sh: lints the deployment files.
#   - shellcheck on shell/*.sh and this script;
#   - cfn-lint (pinned below, with informational checks too) on infra/cloudformation.yaml.
#
# Tools: shellcheck from PATH, installed with apt-get when missing (only as root on a machine with
# apt-get; otherwise it stops and says how to install it); cfn-lint in its own virtualenv,
# .stack/cfn-lint-venv (python3 -m venv, pip install cfn-lint==$CFN_LINT_VERSION), created or
# re-created when missing or at another version. Both need their package registry once.
#
# Exit status: 0 no finding; 1 a finding (each tool's report is printed) or a tool could not be
# installed.
set -euo pipefail

readonly CFN_LINT_VERSION=1.58.0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step() { printf '\n=== %s\n' "$*"; }
fail() {
  printf 'lint-infra: %s\n' "$*" >&2
  exit 1
}

ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 && return 0
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    fail "shellcheck is not installed, and it can only be installed here as root with apt-get: install it (Debian/Ubuntu: apt-get install shellcheck; Fedora/Amazon Linux: dnf install ShellCheck; macOS: brew install shellcheck) and run again"
  fi
  echo "installing shellcheck with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q shellcheck >/dev/null 2>&1; then
    # A fresh machine may have no package lists yet.
    apt-get update -q >/dev/null || fail "apt-get update failed"
    apt-get install -y -q shellcheck >/dev/null || fail "apt-get install shellcheck failed"
  fi
  command -v shellcheck >/dev/null 2>&1 || fail "shellcheck is still not on PATH after apt-get install"
}

ensure_cfn_lint() {
  local venv=.stack/cfn-lint-venv
  cfn_lint="$venv/bin/cfn-lint"
  if [[ -x "$cfn_lint" ]] && [[ "$("$cfn_lint" --version 2>/dev/null)" == "cfn-lint $CFN_LINT_VERSION" ]]; then
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || fail "python3 is needed for cfn-lint (python3 with venv)"
  echo "installing cfn-lint $CFN_LINT_VERSION into $venv"
  rm -rf "$venv"
  mkdir -p .stack
  python3 -m venv "$venv" || fail "python3 -m venv $venv failed (Debian: apt-get install python3-venv)"
  local log
  log=$(mktemp)
  if ! "$venv/bin/pip" install --disable-pip-version-check -q "cfn-lint==$CFN_LINT_VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    fail "pip install cfn-lint==$CFN_LINT_VERSION failed"
  fi
  rm -f "$log"
}

ensure_shellcheck
ensure_cfn_lint

status=0

step "shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
scripts=(shell/*.sh scripts/lint-infra.sh)
if shellcheck "${scripts[@]}"; then
  echo "no findings in ${scripts[*]}"
else
  status=1
fi

step "$("$cfn_lint" --version)"
# Exit status is a bit mask: 2 errors, 4 warnings, 8 informational; any of them is a finding.
if "$cfn_lint" infra/cloudformation.yaml --include-checks I; then
  echo "no findings in infra/cloudformation.yaml"
else
  status=1
fi

if [[ $status -ne 0 ]]; then
  fail "findings above"
fi
echo
echo "lint-infra: clean"
