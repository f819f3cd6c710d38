#!/usr/bin/env bash
# install-ec2.sh --tarball FILE --bucket BUCKET --region REGION --brokers HOST:PORT[,...] [options]
#
# Installs logpipe on an Amazon Linux 2023 EC2 instance, as root. Idempotent: run it again with the
# same arguments and nothing changes (the service is not even restarted); with a new tarball or new
# arguments, what differs is replaced and the service restarted.
#
#   1. dnf: nodejs20 and nodejs20-npm (Node 20, as /usr/bin/node-20 and npm-20), cronie (AL2023
#      has no cron by default), util-linux (flock, logger), python3 and curl (for trigger.sh).
#   2. the system user and group `logpipe`; /var/lib/logpipe/{logs,reports,outbox} owned by it.
#   3. the package from FILE (made by `npm pack` after `npm run build`, with npm-shrinkwrap.json:
#      docs/deploy-aws.md) into /opt/logpipe, with its production dependencies exactly as locked:
#      `npm ci --omit=dev --ignore-scripts`, run as the logpipe user, never root, so no code from
#      the registry runs at install time, and none as root (the dependencies need no install
#      script: core-js's only prints a banner). The tree is then made root-owned and read-only for
#      the service. The previous install is replaced only once the new one is complete.
#      /usr/local/bin/logpipe runs it.
#   4. /etc/logpipe/env (root:logpipe, 0640) from the arguments: LOGPIPE_* variables for AWS (empty
#      endpoints and keys: the AWS defaults and the instance role), Kafka, SQS, listing, email, the
#      ingest allow-list (the bucket and prefix), the control socket /run/logpipe/control.sock
#      (what trigger.sh uses) and a control token for the TCP port (generated once, kept on
#      later runs), so no other local user can use the control API or read the dashboard.
#   5. /etc/systemd/system/logpipe.service (shell/logpipe.service), enabled and started
#      (not with --no-service: app hosts that only upload).
#   6. /etc/cron.d/logpipe from shell/crontab.example: upload-logs.sh at 0, 20 and 40 past the hour.
#
# Options:
#   --tarball FILE          logpipe-<version>.tgz from `npm pack` (required)
#   --bucket BUCKET         the log bucket (required): uploads go there, and it is listed
#   --region REGION         AWS region of S3, SQS and SES, e.g. eu-west-1 (required)
#   --brokers LIST          Kafka bootstrap brokers, HOST:PORT separated by commas (required,
#                           but with --no-service)
#   --prefix PREFIX         key prefix of this host's uploads and of the listing (default logs/)
#                           the host's short name is appended for uploads: logs/<host>/...
#   --sqs-queue-url URL     queue of the bucket's S3 notifications (default: SQS trigger off)
#   --email-from ADDR       sender of alert emails, verified in SES (default logpipe@example.com)
#   --email-to LIST         recipients, separated by commas (default oncall@example.com)
#   --replication-factor N  replication factor of the topics logpipe creates (default: logpipe's, 1)
#   --kafka-msk-iam         the brokers are Amazon MSK with IAM access control (port 9098): TLS and
#                           SASL aws-msk-iam, signed with the instance role (docs/deploy-aws.md)
#   --kafka-topic-profile P standard or msk-serverless: the settings of the topics logpipe creates
#                           (kafka.topicProfile; the stack's KafkaTopicProfile output)
#   --log-dir DIR           directory upload-logs.sh uploads from (default /var/lib/logpipe/logs)
#   --no-generate           the cron job uploads the application's logs only (no generator)
#   --no-cron               do not install /etc/cron.d/logpipe (an existing one is removed)
#   --no-service            an app host that only uploads logs: no logpipe.service (an installed
#                           one is stopped, disabled and removed); do not give it the Lambda's tag
#   --no-start              enable the service but do not start or restart it
#   -h, --help              this text
#
# Exit status: 0 installed; 1 a step failed (the message names it); 2 usage.
set -euo pipefail

readonly PROG=install-ec2.sh
readonly PREFIX_DIR=/opt/logpipe
readonly STATE_DIR=/var/lib/logpipe
readonly ENV_FILE=/etc/logpipe/env
readonly UNIT_FILE=/etc/systemd/system/logpipe.service
readonly CRON_FILE=/etc/cron.d/logpipe
readonly WRAPPER=/usr/local/bin/logpipe
# The unit's RuntimeDirectory=logpipe; the service creates the socket there with mode 0660.
readonly CONTROL_SOCKET=/run/logpipe/control.sock
readonly NODE_MAJOR=20

usage() { sed -n '2,/^set -euo pipefail/{/^set -euo pipefail/d;s/^# \{0,1\}//;p}' "$0"; }
say() { printf '%s: %s\n' "$PROG" "$*"; }
die() {
  local status=$1
  shift
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit "$status"
}
usage_error() { die 2 "$* (see $PROG --help)"; }
need_value() {
  if [[ $2 -lt 2 || -z "${3-}" ]]; then
    usage_error "$1 needs a value"
  fi
}

tarball=
bucket=
region=
brokers=
prefix=logs/
queue_url=
email_from=logpipe@example.com
email_to=oncall@example.com
replication_factor=
msk_iam=false
topic_profile=
log_dir=$STATE_DIR/logs
generate=true
cron=true
service=true
start=true

while [[ $# -gt 0 ]]; do
  case $1 in
    --tarball) need_value "$1" $# "${2-}"; tarball=$2; shift ;;
    --bucket) need_value "$1" $# "${2-}"; bucket=$2; shift ;;
    --region) need_value "$1" $# "${2-}"; region=$2; shift ;;
    --brokers) need_value "$1" $# "${2-}"; brokers=$2; shift ;;
    --prefix) need_value "$1" $# "${2-}"; prefix=$2; shift ;;
    --sqs-queue-url) need_value "$1" $# "${2-}"; queue_url=$2; shift ;;
    --email-from) need_value "$1" $# "${2-}"; email_from=$2; shift ;;
    --email-to) need_value "$1" $# "${2-}"; email_to=$2; shift ;;
    --replication-factor) need_value "$1" $# "${2-}"; replication_factor=$2; shift ;;
    --kafka-msk-iam) msk_iam=true ;;
    --kafka-topic-profile) need_value "$1" $# "${2-}"; topic_profile=$2; shift ;;
    --log-dir) need_value "$1" $# "${2-}"; log_dir=$2; shift ;;
    --no-generate) generate=false ;;
    --no-cron) cron=false ;;
    --no-service) service=false ;;
    --no-start) start=false ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done

[[ -n "$tarball" ]] || usage_error "--tarball FILE is required"
[[ -n "$bucket" ]] || usage_error "--bucket BUCKET is required"
[[ -n "$region" ]] || usage_error "--region REGION is required"
[[ -n "$brokers" || "$service" != true ]] || usage_error "--brokers HOST:PORT[,...] is required (but with --no-service)"
[[ -f "$tarball" ]] || usage_error "--tarball $tarball: no such file"
[[ "$bucket" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || usage_error "--bucket '$bucket' is not a valid S3 bucket name"
[[ "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || usage_error "--region '$region' is not an AWS region such as eu-west-1"
[[ -z "$brokers" || "$brokers" =~ ^[A-Za-z0-9._-]+:[0-9]+(,[A-Za-z0-9._-]+:[0-9]+)*$ ]] || usage_error "--brokers '$brokers' is not HOST:PORT[,HOST:PORT...]"
# The prefix lands in a cron line and a key: plain characters only, and a trailing slash.
[[ "$prefix" =~ ^[A-Za-z0-9._/-]+$ ]] || usage_error "--prefix '$prefix' may hold letters, digits and . _ / - only"
[[ "$prefix" == */ ]] || prefix="$prefix/"
[[ "$log_dir" =~ ^/[A-Za-z0-9._/-]+$ ]] || usage_error "--log-dir '$log_dir' must be an absolute path of letters, digits and . _ / -"
if [[ -n "$queue_url" && ! "$queue_url" =~ ^https://[^[:space:]\']+$ ]]; then
  usage_error "--sqs-queue-url '$queue_url' is not an https:// URL"
fi
[[ "$email_from" =~ ^[^[:space:]@\',]+@[^[:space:]@\',]+$ ]] || usage_error "--email-from '$email_from' is not an email address"
[[ "$email_to" =~ ^[^[:space:]@\',]+@[^[:space:]@\',]+(,[^[:space:]@\',]+@[^[:space:]@\',]+)*$ ]] || usage_error "--email-to '$email_to' is not a comma-separated list of email addresses"
if [[ -n "$replication_factor" && ! "$replication_factor" =~ ^[1-9][0-9]*$ ]]; then
  usage_error "--replication-factor must be a positive whole number"
fi
if [[ -n "$topic_profile" && "$topic_profile" != standard && "$topic_profile" != msk-serverless ]]; then
  usage_error "--kafka-topic-profile must be standard or msk-serverless"
fi

[[ $EUID -eq 0 ]] || die 1 "run as root (sudo $PROG ...)"
command -v dnf >/dev/null 2>&1 || die 1 "dnf not found: this script is for Amazon Linux 2023"
if ! grep -qs '^ID="\{0,1\}amzn' /etc/os-release || ! grep -qs '^VERSION_ID="\{0,1\}2023' /etc/os-release; then
  say "warning: this is not Amazon Linux 2023 (/etc/os-release); going on, package names may differ"
fi

tarball=$(readlink -f -- "$tarball")
# The running service is restarted at the end only when something it reads has changed.
restart_needed=false

# install_file SRC DEST MODE OWNER:GROUP: copies SRC over DEST unless they are equal already.
# Returns 0 when DEST changed, 1 when it was up to date.
install_file() {
  local src=$1 dest=$2 mode=$3 owner=$4
  if [[ -f "$dest" ]] && cmp -s -- "$src" "$dest" && [[ "$(stat -c '%a %U:%G' -- "$dest")" == "${mode#0} $owner" ]]; then
    return 1
  fi
  install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" -- "$src" "$dest"
  say "wrote $dest"
  return 0
}

work=$(mktemp -d)
npm_cache=
deps_dir=
cleanup() { rm -rf -- "$work" ${npm_cache:+"$npm_cache"} ${deps_dir:+"$deps_dir"}; }
trap cleanup EXIT

# 1. Packages.
packages=("nodejs$NODE_MAJOR" "nodejs$NODE_MAJOR-npm" cronie util-linux python3 curl-minimal)
missing=()
for package in "${packages[@]}"; do
  # curl-minimal or full curl: either provides /usr/bin/curl.
  if [[ "$package" == curl-minimal ]] && command -v curl >/dev/null 2>&1; then
    continue
  fi
  rpm -q "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]}"
  dnf install -y "${missing[@]}" || die 1 "dnf install ${missing[*]} failed"
else
  say "packages already installed: ${packages[*]}"
fi
node_bin=/usr/bin/node-$NODE_MAJOR
npm_bin=/usr/bin/npm-$NODE_MAJOR
[[ -x "$node_bin" ]] || die 1 "$node_bin is missing after installing nodejs$NODE_MAJOR"
[[ -x "$npm_bin" ]] || die 1 "$npm_bin is missing after installing nodejs$NODE_MAJOR-npm"

# 2. User and directories.
if ! id -u logpipe >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /sbin/nologin logpipe ||
    die 1 "cannot create the user logpipe"
  say "created the system user logpipe"
fi
install -d -m 0750 -o logpipe -g logpipe "$STATE_DIR" "$STATE_DIR/reports" "$STATE_DIR/outbox" "$log_dir"
install -d -m 0755 -o root -g root /etc/logpipe

# 3. The package.
tarball_sum=$(sha256sum -- "$tarball")
tarball_sum=${tarball_sum%% *}
if [[ -f "$PREFIX_DIR/.tarball-sha256" && "$(cat "$PREFIX_DIR/.tarball-sha256")" == "$tarball_sum" && -d "$PREFIX_DIR/node_modules" ]]; then
  say "$PREFIX_DIR already holds $(basename -- "$tarball")"
else
  name=$(tar -xzOf "$tarball" package/package.json 2>/dev/null |
    python3 -I -c 'import json, sys; print(json.load(sys.stdin).get("name", ""))' 2>/dev/null || true)
  [[ "$name" == logpipe ]] || die 1 "$tarball is not a logpipe package from npm pack (package/package.json names '${name:-nothing}')"
  tar -tzf "$tarball" package/dist/cli/main.js >/dev/null 2>&1 ||
    die 1 "$tarball has no dist/: run \`npm run build\` before \`npm pack\`"
  staging="$PREFIX_DIR.new"
  rm -rf -- "$staging"
  mkdir -p -- "$staging"
  tar -xzf "$tarball" -C "$staging" --strip-components=1 --no-same-owner
  [[ -f "$staging/npm-shrinkwrap.json" ]] ||
    die 1 "$tarball has no npm-shrinkwrap.json: pack it with the lockfile (cp package-lock.json npm-shrinkwrap.json && npm pack), so the dependencies installed are the ones tested"
  say "installing the production dependencies of $(basename -- "$tarball") as the logpipe user"
  # The registry's code never runs here (--ignore-scripts) and npm itself runs as logpipe, in a
  # directory of its own holding only the manifest and the lockfile, with a cache it owns. The
  # staging tree stays root's throughout: logpipe never gets to write dist/ or shell/trigger.sh,
  # which root runs later (SSM runs trigger.sh as root), nor to plant a link that a root chmod or
  # chown below would follow. Root takes the finished node_modules over and moves it in.
  # Their own directories: $work is root's (0700), which logpipe cannot enter.
  deps_dir=$(mktemp -d /tmp/logpipe-deps.XXXXXX)
  npm_cache=$(mktemp -d /tmp/logpipe-npm.XXXXXX)
  cp -- "$staging/package.json" "$staging/npm-shrinkwrap.json" "$deps_dir/"
  cp -R -- "$staging/patches" "$deps_dir/"
  chown -R logpipe:logpipe "$deps_dir" "$npm_cache"
  # patches/ (fixes to dependencies: kafkajs's read_committed filter) applied by patch-package, a
  # dependency of logpipe's own run explicitly, since install scripts stay off. Optional
  # dependencies are left out: the one there is (@confluentinc/kafka-javascript, for kafka.client
  # librdkafka) is a native build that needs its install script; these hosts run kafkajs.
  (cd "$deps_dir" && runuser -u logpipe -- env HOME="$npm_cache" npm_config_cache="$npm_cache" \
    "$npm_bin" ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error &&
    runuser -u logpipe -- env HOME="$npm_cache" "$node_bin" node_modules/patch-package/index.js) ||
    die 1 "npm ci or patch-package in $deps_dir failed; $PREFIX_DIR is unchanged"
  # Root's again before anything is checked (logpipe can no longer swap what lies in it), then the
  # tree; chown -R does not follow links (-P). A link that leads out of node_modules is refused.
  chown root:root "$deps_dir"
  chmod 0700 "$deps_dir"
  chown -R root:root "$deps_dir/node_modules"
  modules=$(readlink -f -- "$deps_dir/node_modules")
  outside=$(find "$modules" -type l -exec sh -c 'top=$1; shift; for l; do t=$(readlink -f -- "$l"); case "$t" in "$top"/*) ;; *) printf "%s\n" "$l" ;; esac; done' sh "$modules" {} +)
  [[ -z "$outside" ]] || die 1 "the installed dependencies hold links out of node_modules: $outside; $PREFIX_DIR is unchanged"
  mv -- "$deps_dir/node_modules" "$staging/node_modules"
  rm -rf -- "$deps_dir"
  chmod 0755 "$staging"/shell/*.sh
  printf '%s\n' "$tarball_sum" >"$staging/.tarball-sha256"
  chown -R root:root "$staging"
  chmod -R u=rwX,go=rX "$staging"
  rm -rf -- "$PREFIX_DIR.old"
  if [[ -d "$PREFIX_DIR" ]]; then
    mv -- "$PREFIX_DIR" "$PREFIX_DIR.old"
  fi
  mv -- "$staging" "$PREFIX_DIR"
  rm -rf -- "$PREFIX_DIR.old"
  say "installed $(basename -- "$tarball") into $PREFIX_DIR"
  restart_needed=true
fi

cat >"$work/wrapper" <<EOF
#!/bin/sh
# The logpipe command (written by $PROG): Node $NODE_MAJOR running the package in $PREFIX_DIR.
exec $node_bin $PREFIX_DIR/dist/cli/main.js "\$@"
EOF
install_file "$work/wrapper" "$WRAPPER" 0755 root:root || true

# 4. Configuration. The control token of the TCP port is generated once and kept: rewriting it on
# every run would log browsers out and change the file for nothing.
control_token=$(sed -n "s/^LOGPIPE_CONTROL_TOKEN='\([A-Za-z0-9._~+\/=-]\{16,\}\)'\$/\1/p" "$ENV_FILE" 2>/dev/null | tail -n 1 || true)
if [[ -z "$control_token" ]]; then
  control_token=$(python3 -I -c 'import secrets; print(secrets.token_hex(32))') || die 1 "cannot generate a control token"
  say "generated a control token (LOGPIPE_CONTROL_TOKEN in $ENV_FILE)"
fi
# Values are single-quoted, which systemd's EnvironmentFile= and the shell (the
# cron job sources this file) read alike; the checks above keep single quotes out of them.
{
  printf '# Written by %s; run it again to change these. Keys: docs/configuration.md.\n' "$PROG"
  printf "%s='%s'\n" \
    NODE_ENV production \
    LOGPIPE_LOG_FORMAT json \
    LOGPIPE_AWS_REGION "$region" \
    LOGPIPE_AWS_ENDPOINT '' \
    LOGPIPE_AWS_ACCESS_KEY_ID '' \
    LOGPIPE_AWS_SECRET_ACCESS_KEY '' \
    LOGPIPE_AWS_FORCE_PATH_STYLE false \
    LOGPIPE_SES_ENDPOINT '' \
    LOGPIPE_INGEST_SQS_QUEUE_URL "$queue_url" \
    LOGPIPE_INGEST_LISTINGS "$bucket/$prefix" \
    LOGPIPE_INGEST_ALLOWED_PREFIXES "$bucket/$prefix" \
    LOGPIPE_CONTROL_SOCKET "$CONTROL_SOCKET" \
    LOGPIPE_CONTROL_TOKEN "$control_token" \
    LOGPIPE_REPORT_DIR "$STATE_DIR/reports" \
    LOGPIPE_REPORT_OUTBOX_DIR "$STATE_DIR/outbox" \
    LOGPIPE_REPORT_EMAIL_TRANSPORT ses \
    LOGPIPE_REPORT_EMAIL_FROM "$email_from" \
    LOGPIPE_REPORT_EMAIL_TO "$email_to"
  if [[ -n "$brokers" ]]; then
    printf "LOGPIPE_KAFKA_BROKERS='%s'\n" "$brokers"
  fi
  if [[ -n "$replication_factor" ]]; then
    printf "LOGPIPE_KAFKA_REPLICATION_FACTOR='%s'\n" "$replication_factor"
  fi
  if [[ -n "$topic_profile" ]]; then
    printf "LOGPIPE_KAFKA_TOPIC_PROFILE='%s'\n" "$topic_profile"
  fi
  if [[ "$msk_iam" == true ]]; then
    # Tokens are signed for LOGPIPE_AWS_REGION with the instance role (the default credential chain).
    printf "%s='%s'\n" LOGPIPE_KAFKA_SSL_ENABLED true LOGPIPE_KAFKA_SASL_MECHANISM aws-msk-iam
  fi
} >"$work/env"
if install_file "$work/env" "$ENV_FILE" 0640 root:logpipe; then
  restart_needed=true
fi
# The configuration as logpipe reads it: exit 2 names each bad value.
# shellcheck source=/dev/null
(set -a && . "$ENV_FILE" && set +a && "$WRAPPER" config >/dev/null) ||
  die 1 "logpipe rejects the configuration in $ENV_FILE (see the message above)"

# 5. The service.
if [[ "$service" != true ]]; then
  if [[ -e "$UNIT_FILE" ]]; then
    systemctl disable --now logpipe.service >/dev/null 2>&1 || true
    rm -f -- "$UNIT_FILE"
    systemctl daemon-reload
    say "stopped, disabled and removed logpipe.service (--no-service)"
  fi
  start=false
else
  if install_file "$PREFIX_DIR/shell/logpipe.service" "$UNIT_FILE" 0644 root:root; then
    systemctl daemon-reload
    restart_needed=true
  fi
  systemctl enable logpipe.service >/dev/null 2>&1 || die 1 "systemctl enable logpipe failed"
fi
if [[ "$service" != true ]]; then
  say "no logpipe.service on this host (--no-service)"
elif [[ "$start" == true ]]; then
  if ! systemctl is-active --quiet logpipe.service; then
    systemctl start logpipe.service || die 1 "logpipe did not start: journalctl -u logpipe"
    say "started logpipe.service"
  elif [[ "$restart_needed" == true ]]; then
    systemctl restart logpipe.service || die 1 "logpipe did not restart: journalctl -u logpipe"
    say "restarted logpipe.service"
  else
    say "logpipe.service is running and up to date"
  fi
else
  say "logpipe.service enabled, not started (--no-start)"
fi

# 6. The upload cron job.
if [[ "$cron" == true ]]; then
  host=$(hostname -s 2>/dev/null || uname -n)
  host=${host%%.*}
  host=$(printf '%s' "$host" | tr -c 'A-Za-z0-9_-' '-')
  sed -e "s|@BUCKET@|$bucket|g" -e "s|@PREFIX@|$prefix$host/|g" -e "s|@LOG_DIR@|$log_dir|g" \
    "$PREFIX_DIR/shell/crontab.example" >"$work/cron"
  if [[ "$generate" != true ]]; then
    sed -i -e 's| --generate | |' "$work/cron"
  fi
  install_file "$work/cron" "$CRON_FILE" 0644 root:root || true
  systemctl enable --now crond.service >/dev/null 2>&1 || die 1 "cannot enable crond"
else
  if [[ -e "$CRON_FILE" ]]; then
    rm -f -- "$CRON_FILE"
    say "removed $CRON_FILE (--no-cron)"
  fi
fi

# A short check: the control server answers on its socket (what trigger.sh uses) once the service
# is up. Never through a proxy: SSM's shell may export one.
healthz() { curl --disable --noproxy '*' --silent --fail --max-time 2 --unix-socket "$CONTROL_SOCKET" http://localhost/healthz >/dev/null 2>&1; }
if [[ "$start" == true ]]; then
  for _ in $(seq 1 30); do
    if healthz; then
      say "logpipe answers on $CONTROL_SOCKET"
      break
    fi
    sleep 1
  done || true
  if ! healthz; then
    say "warning: no answer on $CONTROL_SOCKET after 30 s: journalctl -u logpipe"
  fi
fi
installed=("$PREFIX_DIR" "$ENV_FILE")
[[ "$service" == true ]] && installed+=("$UNIT_FILE")
[[ "$cron" == true ]] && installed+=("$CRON_FILE")
say "done: ${installed[*]}"
