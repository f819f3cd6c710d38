#!/usr/bin/env bash
# trigger.sh [--] BUCKET KEY
#
# Asks the running `logpipe start` on this host to ingest s3://BUCKET/KEY, through its control API
# (POST http://127.0.0.1:${LOGPIPE_CONTROL_PORT:-8787}/v1/ingest). The S3-event Lambda runs it via
# SSM AWS-RunShellScript as `'trigger.sh' -- 'BUCKET' 'KEY'`, each argument single-quoted; the
# leading `--` is optional and dropped, so a KEY starting with `-` is never taken for an option.
#
# The JSON body is built by python3 (json.dumps), never by string pasting: keys may hold quotes,
# backslashes, newlines and any unicode. python3 is part of the Amazon Linux 2023 base system
# (dnf needs it); jq is not installed by default, and node may not be on the SSM agent's PATH.
#
# Exit status: 0 accepted (HTTP 202, the answer is printed on stdout); 1 the service rejected the
# request or answered unexpectedly; 2 usage; 3 the service cannot be reached. Errors are one line
# on stderr.
set -euo pipefail

readonly PROG=trigger.sh

die() {
  local status=$1
  shift
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit "$status"
}

if [[ "${1-}" == "--" ]]; then
  shift
fi
if [[ $# -ne 2 || -z "$1" || -z "$2" ]]; then
  die 2 "usage: $PROG [--] BUCKET KEY"
fi

url="http://127.0.0.1:${LOGPIPE_CONTROL_PORT:-8787}/v1/ingest"
body=$(python3 -I -c 'import json, sys; print(json.dumps({"bucket": sys.argv[1], "key": sys.argv[2]}))' "$1" "$2")

curl_status=0
response=$(printf '%s' "$body" | curl --silent --connect-timeout 5 --max-time 30 \
  --header 'Content-Type: application/json' --data-binary @- \
  --write-out '\n%{http_code}' "$url") || curl_status=$?

case $curl_status in
  0) ;;
  7) die 3 "logpipe is not running: connection refused at $url" ;;
  28) die 3 "no answer from $url within the time limit" ;;
  *) die 3 "request to $url failed (curl exit status $curl_status)" ;;
esac

http_code=${response##*$'\n'}
answer=${response%$'\n'*}

if [[ "$http_code" == "202" ]]; then
  printf '%s\n' "$answer"
  exit 0
fi

# The API's {"error": "..."} on one line; the raw answer when it is not that shape.
error=$(python3 -I -c '
import json, sys
text = sys.stdin.read()
try:
    message = json.loads(text)["error"]
except Exception:
    message = text
print(" ".join(str(message).split()) or "(empty answer)")
' <<<"$answer")
die 1 "logpipe did not accept the request (HTTP $http_code from $url): $error"
