#!/usr/bin/env bash
# trigger.sh [--key-encoding none|percent] [--version-id ID] [--] BUCKET KEY
#
# Asks the running `logpipe start` on this host to ingest s3://BUCKET/KEY (that version when
# --version-id is given and not empty), through its control API: POST /v1/ingest on the Unix socket
# LOGPIPE_CONTROL_SOCKET when the env file sets one (install-ec2.sh: /run/logpipe/control.sock),
# else on http://127.0.0.1:LOGPIPE_CONTROL_PORT (default 8787) with the control token. The S3-event
# Lambda runs it through the stack's SSM document (TriggerDocument, src/lambda/trigger-document.ts)
# as `exec 'trigger.sh' --key-encoding percent --version-id 'ID' -- 'BUCKET' 'KEY'`: the key arrives
# percent-encoded (UTF-8) and is decoded here, so no character of it ever meant anything to SSM or
# the shell. Everything after `--`, or from the first argument not starting with `-`, is BUCKET and
# KEY, so a KEY starting with `-` is never taken for an option.
#
# Settings come from the service's own env file only (LOGPIPE_ENV_FILE, default /etc/logpipe/env,
# which SSM's root shell can read but does not load): LOGPIPE_CONTROL_SOCKET, LOGPIPE_CONTROL_PORT,
# LOGPIPE_CONTROL_TOKEN. No other variable of the caller's environment is read, so the script talks to
# the address the service was given, not one a caller or another user's session chose. No proxy is
# ever used: curl gets --noproxy '*', the proxy variables are unset (the SSM agent's documented proxy
# set-up exports them) and ~/.curlrc is not read (--disable), so the request and the token stay on
# this host.
#
# The JSON body is built by python3 (json.dumps), never by string pasting: keys may hold quotes,
# backslashes, newlines and any unicode. python3 is part of the Amazon Linux 2023 base system
# (dnf needs it); jq is not installed by default, and node may not be on the SSM agent's PATH.
#
# The token reaches curl through a file descriptor, never its command line, where other users could
# read it in the process list. Over the socket no token is sent: its file mode is the access control.
#
# Exit status: 0 accepted (HTTP 202, the answer is printed on stdout); 1 the service rejected the
# request or answered unexpectedly; 2 usage, an unusable setting or key; 3 the service cannot be
# reached. Errors are one line on stderr.
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

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

env_file=${LOGPIPE_ENV_FILE:-/etc/logpipe/env}
# setting NAME: the value of NAME= in the env file as install-ec2.sh writes it (NAME='value') or
# unquoted; the last line wins, like sourcing; empty when absent or unreadable.
setting() {
  [[ -r "$env_file" ]] || return 0
  sed -n "s/^$1='\{0,1\}\([^']*\)'\{0,1\}[[:space:]]*\$/\1/p" "$env_file" | tail -n 1
}
socket=$(setting LOGPIPE_CONTROL_SOCKET)
port=$(setting LOGPIPE_CONTROL_PORT)
token=$(setting LOGPIPE_CONTROL_TOKEN)
port=${port:-8787}
[[ "$port" =~ ^[0-9]{1,5}$ ]] || die 2 "LOGPIPE_CONTROL_PORT in $env_file is not a port number"
if [[ -n "$socket" && ! "$socket" =~ ^/[A-Za-z0-9._/-]+$ ]]; then
  die 2 "LOGPIPE_CONTROL_SOCKET in $env_file is not an absolute path of A-Z a-z 0-9 . _ / -"
fi

# --disable (first): no ~/.curlrc. --noproxy '*': never a proxy, whatever the environment says.
curl_args=(--disable --noproxy '*' --silent --connect-timeout 5 --max-time 30)
auth_header=()
if [[ -n "$socket" ]]; then
  # The Host is fixed: the service answers only loopback names without a token.
  url="http://localhost/v1/ingest"
  where="unix:$socket"
  curl_args+=(--unix-socket "$socket")
  token=
else
  url="http://127.0.0.1:$port/v1/ingest"
  where=$url
  # The service accepts no other characters (control.token); anything else could forge header lines.
  if [[ -n "$token" && ! "$token" =~ ^[A-Za-z0-9._~+/=-]+$ ]]; then
    die 2 "LOGPIPE_CONTROL_TOKEN holds characters a control token cannot have (A-Z a-z 0-9 . _ ~ + / = -)"
  fi
  # printf is a shell builtin: the token shows in no process's arguments.
  if [[ -n "$token" ]]; then
    auth_header=(--header "@/dev/fd/3")
  fi
fi

curl_status=0
response=$(printf '%s' "$body" | curl "${curl_args[@]}" \
  --header 'Content-Type: application/json' "${auth_header[@]}" --data-binary @- \
  --write-out '\n%{http_code}' "$url" 3< <(if [[ -n "$token" ]]; then printf 'Authorization: Bearer %s\n' "$token"; fi)) || curl_status=$?

case $curl_status in
  0) ;;
  7) die 3 "logpipe is not running: connection refused at $where" ;;
  28) die 3 "no answer from $where within the time limit" ;;
  *) die 3 "request to $where failed (curl exit status $curl_status)" ;;
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
die 1 "logpipe did not accept the request (HTTP $http_code from $where): $error"
