#!/usr/bin/env bash
# trigger.sh [--key-encoding none|percent] [--version-id ID] [--] BUCKET KEY
#
# Asks the running `logpipe start` on this host to ingest s3://BUCKET/KEY (that version when
# --version-id is given and not empty), through its control API
# (POST http://127.0.0.1:${LOGPIPE_CONTROL_PORT:-8787}/v1/ingest). The S3-event Lambda runs it
# through the stack's SSM document (TriggerDocument, src/lambda/trigger-document.ts) as
# `exec 'trigger.sh' --key-encoding percent --version-id 'ID' -- 'BUCKET' 'KEY'`: the key arrives
# percent-encoded (UTF-8) and is decoded here, so no character of it ever meant anything to SSM or
# the shell. Everything after `--`, or from the first argument not starting with `-`, is BUCKET and
# KEY, so a KEY starting with `-` is never taken for an option.
#
# The JSON body is built by python3 (json.dumps), never by string pasting: keys may hold quotes,
# backslashes, newlines and any unicode. python3 is part of the Amazon Linux 2023 base system
# (dnf needs it); jq is not installed by default, and node may not be on the SSM agent's PATH.
#
# When the service has a control token (control.token), the request carries it as
# `Authorization: Bearer ...`: from LOGPIPE_CONTROL_TOKEN, or else from the LOGPIPE_CONTROL_TOKEN line
# of LOGPIPE_ENV_FILE (default /etc/logpipe/env, the service's own configuration, which SSM's root
# shell can read but does not load). The token reaches curl through a file descriptor, never its
# command line, where other users could read it in the process list.
#
# Exit status: 0 accepted (HTTP 202, the answer is printed on stdout); 1 the service rejected the
# request or answered unexpectedly; 2 usage or an unusable token; 3 the service cannot be reached. Errors are one line
# on stderr.
set -euo pipefail

readonly PROG=trigger.sh

die() {
  local status=$1
  shift
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit "$status"
}

readonly USAGE="usage: $PROG [--key-encoding none|percent] [--version-id ID] [--] BUCKET KEY"
key_encoding=none
version_id=
while [[ $# -gt 0 ]]; do
  case $1 in
    --key-encoding)
      [[ $# -ge 2 && ( "$2" == none || "$2" == percent ) ]] || die 2 "$USAGE"
      key_encoding=$2
      shift 2
      ;;
    --version-id)
      [[ $# -ge 2 ]] || die 2 "$USAGE"
      version_id=$2
      shift 2
      ;;
    --) shift; break ;;
    -*) die 2 "$USAGE" ;;
    *) break ;;
  esac
done
if [[ $# -ne 2 || -z "$1" || -z "$2" ]]; then
  die 2 "$USAGE"
fi

url="http://127.0.0.1:${LOGPIPE_CONTROL_PORT:-8787}/v1/ingest"
# A percent-encoded key must decode to UTF-8; anything else is refused here (exit 2), not guessed at.
body=$(python3 -I -c '
import json, sys, urllib.parse
bucket, key, encoding, version = sys.argv[1:5]
if encoding == "percent":
    try:
        key = urllib.parse.unquote_to_bytes(key).decode("utf-8")
    except UnicodeDecodeError:
        sys.exit("the percent-encoded key is not UTF-8")
body = {"bucket": bucket, "key": key}
if version:
    body["versionId"] = version
print(json.dumps(body))
' "$1" "$2" "$key_encoding" "$version_id" 2>&1) || die 2 "$body"

token=${LOGPIPE_CONTROL_TOKEN-}
env_file=${LOGPIPE_ENV_FILE:-/etc/logpipe/env}
if [[ -z "$token" && -r "$env_file" ]]; then
  # The line as install-ec2.sh writes it, NAME='value', or unquoted; the last one wins, like sourcing.
  token=$(sed -n "s/^LOGPIPE_CONTROL_TOKEN='\{0,1\}\([^']*\)'\{0,1\}[[:space:]]*\$/\1/p" "$env_file" | tail -n 1)
fi
# The service accepts no other characters (control.token); anything else could forge header lines.
if [[ -n "$token" && ! "$token" =~ ^[A-Za-z0-9._~+/=-]+$ ]]; then
  die 2 "LOGPIPE_CONTROL_TOKEN holds characters a control token cannot have (A-Z a-z 0-9 . _ ~ + / = -)"
fi
# printf is a shell builtin: the token shows in no process's arguments.
auth_header=()
if [[ -n "$token" ]]; then
  auth_header=(--header "@/dev/fd/3")
fi

curl_status=0
response=$(printf '%s' "$body" | curl --silent --connect-timeout 5 --max-time 30 \
  --header 'Content-Type: application/json' "${auth_header[@]}" --data-binary @- \
  --write-out '\n%{http_code}' "$url" 3< <(if [[ -n "$token" ]]; then printf 'Authorization: Bearer %s\n' "$token"; fi)) || curl_status=$?

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
