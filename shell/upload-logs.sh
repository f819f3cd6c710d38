#!/usr/bin/env bash
# upload-logs.sh [--generate] [--dir DIR] --bucket BUCKET [--prefix PREFIX] [--min-age SECONDS]
#                [-- GENERATE-OPTION...]
#
# The cron job of an app host (shell/crontab.example): uploads the host's finished log files to
# s3://BUCKET with `logpipe upload`, where the bucket's ObjectCreated notification starts their
# ingestion, and deletes each local file once its upload has succeeded.
#
#   --generate        first run the log generator, `logpipe generate --out-dir DIR/run-<UTC stamp>-<pid>`
#                     plus the GENERATE-OPTIONs after `--` (default: the generator's own, 1000 lines
#                     in real time, about a minute), like the original's cron job; then upload.
#   --dir DIR         the log directory, searched recursively (default /var/lib/logpipe/logs;
#                     created when --generate is given).
#   --bucket BUCKET   destination bucket (required).
#   --prefix PREFIX   key prefix (default logs/<short host name>/; a "/" is added when missing;
#                     an empty PREFIX puts keys at the bucket's root).
#   --min-age SECONDS how long a file must have been left unmodified to count as finished
#                     (default 300).
#
# Which files are finished: a regular file under DIR (hidden files and directories skipped) whose
# last modification is at least --min-age seconds old: a writer still appending to it changes its
# mtime, so today's active log is left alone and uploaded once it stops growing (after rotation,
# or at the end of the day for daily files). Files the generator wrote in this run count as
# finished as soon as it exits 0 (it has closed them). A writer that may stay silent for longer
# than --min-age while keeping a file open needs a larger --min-age, or DIR pointed at its
# rotated files only. A file whose size or mtime changes during its upload is kept.
#
# Keys: PREFIX followed by the file's path relative to DIR, e.g. logs/web-1/run-20260101T002000Z-4242/
# LogFileGenerator.2026-01-01.log. Generated files get a run folder of their own, so no upload
# replaces an object of an earlier run (each run is a new object, ingested once).
#
# A local file is deleted only after its upload exited 0; a failed upload leaves it for the next
# run. Runs take an exclusive lock on DIR/.upload-logs.lock (flock), so an overlapping cron run
# exits at once instead of uploading the same files twice.
#
# The logpipe command comes from LOGPIPE_BIN (default `logpipe` on PATH). Its value is split into
# words on whitespace, without quote handling or globbing, so it may carry an interpreter:
#   LOGPIPE_BIN='node /opt/logpipe/dist/cli/main.js'
# (a path containing spaces needs a wrapper script). logpipe reads its configuration (region,
# endpoint, credentials) from LOGPIPE_* variables and config/, as always.
#
# Exit status: 0 every finished file was uploaded (or none was waiting); 1 at least one upload or
# deletion failed, or the generator failed (the files concerned stay for the next run); 2 usage
# (bad option, DIR missing, logpipe not found); 3 another run holds the lock. Progress goes to
# stdout, problems to stderr, one line each.
set -euo pipefail

readonly PROG=upload-logs.sh
readonly DEFAULT_DIR=/var/lib/logpipe/logs
readonly DEFAULT_MIN_AGE=300

usage() {
  cat <<EOF
usage: $PROG [--generate] [--dir DIR] --bucket BUCKET [--prefix PREFIX] [--min-age SECONDS] [-- GENERATE-OPTION...]

Uploads the finished log files under DIR (default $DEFAULT_DIR) to s3://BUCKET/PREFIX<relative path>
with \`logpipe upload\`, deleting each one after its upload succeeded. A file is finished when it
has not been modified for --min-age seconds (default $DEFAULT_MIN_AGE). --generate first runs
\`logpipe generate --out-dir DIR/run-<stamp>\` with the GENERATE-OPTIONs given after --.
PREFIX defaults to logs/<short host name>/. LOGPIPE_BIN (default: logpipe) is the logpipe command,
split into words on whitespace, e.g. LOGPIPE_BIN='node /opt/logpipe/dist/cli/main.js'.

Exit status: 0 all uploaded, 1 some upload failed, 2 usage, 3 another run is in progress.
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
  local status=$1
  shift
  warn "$*"
  exit "$status"
}
usage_error() { die 2 "$* (see $PROG --help)"; }

generate=false
dir=$DEFAULT_DIR
bucket=
prefix=
prefix_set=false
min_age=$DEFAULT_MIN_AGE
generate_args=()

# An option's value: the next argument, which must exist.
need_value() {
  if [[ $2 -lt 2 ]]; then
    usage_error "$1 needs a value"
  fi
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --generate) generate=true ;;
    --dir) need_value "$1" $#; dir=$2; shift ;;
    --dir=*) dir=${1#*=} ;;
    --bucket) need_value "$1" $#; bucket=$2; shift ;;
    --bucket=*) bucket=${1#*=} ;;
    --prefix) need_value "$1" $#; prefix=$2; prefix_set=true; shift ;;
    --prefix=*) prefix=${1#*=}; prefix_set=true ;;
    --min-age) need_value "$1" $#; min_age=$2; shift ;;
    --min-age=*) min_age=${1#*=} ;;
    -h | --help) usage; exit 0 ;;
    --) shift; generate_args=("$@"); break ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done

[[ -n "$bucket" ]] || usage_error "--bucket BUCKET is required"
[[ -n "$dir" ]] || usage_error "--dir needs a non-empty value"
[[ "$min_age" =~ ^[0-9]+$ ]] || usage_error "--min-age must be a whole number of seconds, got '$min_age'"
if [[ ${#generate_args[@]} -gt 0 && "$generate" != true ]]; then
  usage_error "options after -- are for the generator: give --generate too"
fi
for arg in "${generate_args[@]}"; do
  case $arg in
    --out | --out=* | --out-dir | --out-dir=*) usage_error "the generator's output is chosen by $PROG: leave out $arg" ;;
  esac
done

if [[ "$prefix_set" != true ]]; then
  host=$(hostname -s 2>/dev/null || uname -n)
  prefix="logs/${host:-unknown-host}/"
fi
if [[ -n "$prefix" && "$prefix" != */ ]]; then
  prefix="$prefix/"
fi

# The logpipe command as words (see the header); checked before any work is done.
read -r -a logpipe_cmd <<<"${LOGPIPE_BIN:-logpipe}"
if [[ ${#logpipe_cmd[@]} -eq 0 ]]; then
  usage_error "LOGPIPE_BIN is blank"
fi
if ! command -v "${logpipe_cmd[0]}" >/dev/null 2>&1; then
  die 2 "cannot run '${logpipe_cmd[0]}': not found (install logpipe, or set LOGPIPE_BIN, e.g. LOGPIPE_BIN='node /opt/logpipe/dist/cli/main.js')"
fi

if [[ "$generate" == true ]]; then
  mkdir -p -- "$dir" || die 2 "cannot create the log directory $dir"
fi
[[ -d "$dir" ]] || die 2 "log directory $dir does not exist"
dir=${dir%/}
[[ -n "$dir" ]] || dir=/

# One run at a time per directory.
if command -v flock >/dev/null 2>&1; then
  lock_file="$dir/.upload-logs.lock"
  exec 9>>"$lock_file" || die 2 "cannot open the lock file $lock_file"
  if ! flock --nonblock 9; then
    die 3 "another $PROG run holds $lock_file; nothing done"
  fi
else
  warn "flock is not installed: running without the lock that keeps runs from overlapping"
fi

failures=0
run_dir=

if [[ "$generate" == true ]]; then
  run_dir="$dir/run-$(date -u +%Y%m%dT%H%M%SZ)-$$"
  say "generating logs into $run_dir"
  if "${logpipe_cmd[@]}" generate --out-dir "$run_dir" "${generate_args[@]}"; then
    say "generator finished"
  else
    status=$?
    warn "the generator failed (exit status $status); what it wrote is uploaded once it is $min_age s old"
    failures=$((failures + 1))
    run_dir=
  fi
fi

uploaded=0
skipped=0
now=$(date +%s)

while IFS= read -r -d '' file; do
  relative=${file#"$dir"/}
  key="$prefix$relative"
  if ! before=$(stat -c '%Y %s' -- "$file" 2>/dev/null); then
    continue # gone since the listing (another process moved it)
  fi
  mtime=${before%% *}
  age=$((now - mtime))
  if [[ -z "$run_dir" || "$file" != "$run_dir"/* ]] && ((age < min_age)); then
    say "skipping $file: modified ${age}s ago (under --min-age ${min_age}s), probably still being written"
    skipped=$((skipped + 1))
    continue
  fi

  upload_status=0
  result=$("${logpipe_cmd[@]}" upload "$file" --bucket "$bucket" --key "$key") || upload_status=$?
  if [[ $upload_status -ne 0 ]]; then
    warn "upload of $file to s3://$bucket/$key failed (exit status $upload_status); the file stays for the next run"
    failures=$((failures + 1))
    continue
  fi

  after=$(stat -c '%Y %s' -- "$file" 2>/dev/null || true)
  if [[ "$after" != "$before" ]]; then
    warn "$file changed while it was uploaded to s3://$bucket/$key; kept, so it is uploaded again on the next run"
    failures=$((failures + 1))
    continue
  fi
  if ! rm -f -- "$file"; then
    warn "uploaded $file to s3://$bucket/$key but could not delete it: it would be uploaded again; remove it by hand"
    failures=$((failures + 1))
    continue
  fi
  say "uploaded $file to s3://$bucket/$key and deleted it: ${result:-"(no summary)"}"
  uploaded=$((uploaded + 1))
done < <(find "$dir" -mindepth 1 -name '.*' -prune -o -type f -print0 | sort -z)

# Run folders of the generator that are now empty.
shopt -s nullglob
for run in "$dir"/run-*/; do
  find "$run" -depth -type d -empty -delete 2>/dev/null || true
done

say "$uploaded uploaded, $failures failed, $skipped still being written (s3://$bucket/$prefix)"
if [[ $failures -gt 0 ]]; then
  exit 1
fi
exit 0
