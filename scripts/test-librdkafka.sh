#!/usr/bin/env bash
# The librdkafka column of the CI matrix (npm run test:librdkafka; .ci/run runs it after the kafkajs
# run of npm test and the fault suite): the tests whose Kafka traffic goes through the client that
# kafka.client chooses, again with LOGPIPE_KAFKA_CLIENT=librdkafka. Needs @confluentinc/kafka-javascript
# (README, "The native Kafka client"); the tests fail, rather than skip, without it.
#
# Chosen by what touches Kafka through kafka.client (the ingest publisher, the report stage's
# consumers and transactional producers, the compacted-topic readers):
#   integration  publisher (the publisher contract: order, one transaction, fencing, dead letters),
#                takeover (fence before the ledger is read), ingest (logpipe ingest, SIGKILL resume,
#                forked workers), actor-messages, supervision (crashes between commits, every line
#                once), service-ingest (SIGTERM mid-object), one-version-one-job, chain (S3 → Kafka
#                under hostile keys), report, report-transport, report-email-crash, report-topics,
#                report-task-fencing (the report stage's exactly-once windows, its tasks' take-over),
#                metrics (counters from both stages)
#   contract     the fake Kafka's scenarios against the broker through the chosen client
#   faults       kill9 (R1), broker-outage, zombie, two-triggers, concurrent-ingest, shared-partition,
#                shared-queue, hostile-keys, bad-inputs (dead letters)
# Left kafkajs-only: kafka (the broker and the kafkajs read_committed patch), kafka-security (kafkajs's
# TLS/SASL on the SASL listener), and the tests that do not reach Kafka through kafka.client
# (AWS, SES, email, dashboard, Lambda, CLI, installers, S3 and email outages, secrets, control API).
set -euo pipefail
cd "$(dirname "$0")/.."
export LOGPIPE_KAFKA_CLIENT=librdkafka

node -e "require('@confluentinc/kafka-javascript')" || {
  echo "test:librdkafka: @confluentinc/kafka-javascript cannot be loaded; build it with CKJS_LINKING=dynamic npm install --no-save @confluentinc/kafka-javascript (README)" >&2
  exit 1
}

INTEGRATION='test/integration/(publisher|takeover|ingest|actor-messages|supervision|service-ingest|one-version-one-job|chain|report|report-transport|report-email-crash|report-topics|report-task-fencing|metrics)\.test\.ts$'
FAULTS='test/faults/(kill9|broker-outage|zombie|two-triggers|concurrent-ingest|shared-partition|shared-queue|hostile-keys|bad-inputs)\.test\.ts$'

status=0
echo "=== librdkafka: integration and contract"
npx jest --ci --selectProjects integration contract --testPathPatterns "$INTEGRATION|test/contract/" || status=1
echo "=== librdkafka: faults"
# The fault suite renders its rows into docs/reliability.md (the kafkajs run's): this run's rows go
# to docs/reliability-librdkafka.md instead, and docs/reliability.md is put back as it was.
doc=docs/reliability.md
saved=$(mktemp)
cp "$doc" "$saved"
rm -f "$doc"
npx jest --ci --runInBand --selectProjects faults --testPathPatterns "$FAULTS" || status=1
if [ -f "$doc" ]; then
  { echo "<!-- The fault scenarios run with LOGPIPE_KAFKA_CLIENT=librdkafka (npm run test:librdkafka); docs/reliability.md has the kafkajs run. -->"; cat "$doc"; } > docs/reliability-librdkafka.md
fi
cp "$saved" "$doc"
rm -f "$saved"
exit $status
