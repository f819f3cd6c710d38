# Image of the logpipe service for users with a Docker engine. The development machines have none:
# the local stack (`logpipe dev`) runs the same software without containers.
#
#   docker build -t logpipe .
#   docker run --rm -p 8787:8787 -e LOGPIPE_KAFKA_BROKERS=broker:9092 -e LOGPIPE_CONTROL_TOKEN="$(openssl rand -hex 32)" logpipe
#
# Configuration comes from LOGPIPE_* variables or a file mounted and passed with --config.

# Dependencies exactly as locked (npm ci), with install scripts off (none is needed: core-js's
# only prints a banner, esbuild's and @parcel/watcher's serve development tools this build does
# not use), and as the unprivileged `node` user: nothing from the registry runs as root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN chown node:node /app
USER node
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node patches ./patches
# patches/: fixes to dependencies (kafkajs's read_committed filter), applied explicitly since
# install scripts are off; logpipe refuses to start on an unpatched kafkajs.
RUN npm ci --no-audit --no-fund --ignore-scripts && npx --no-install patch-package
COPY --chown=node:node tsconfig.json tsconfig.build.json ./
COPY --chown=node:node src ./src
# kafka.client librdkafka is not in this image: its optional dependency (@confluentinc/kafka-javascript)
# is a native build that needs its install script, so it is pruned; kafkajs, the default, needs
# nothing of it. An image for librdkafka adds build-essential python3 libssl-dev zlib1g-dev to the
# build stage, runs CKJS_LINKING=dynamic npm rebuild @confluentinc/kafka-javascript there, keeps
# optional dependencies, and installs libssl3 and zlib1g in the final stage (README).
RUN npm run build && npm prune --omit=dev --omit=optional --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    # Inside a container the control server must listen beyond loopback to be reachable; it then
    # refuses to start without LOGPIPE_CONTROL_TOKEN (the health check's /healthz needs none).
    LOGPIPE_CONTROL_HOST=0.0.0.0 \
    LOGPIPE_LOG_FORMAT=json
WORKDIR /app
# Copied as root-owned files: the service (user node) can read but not change its code.
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
USER node
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:8787/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start"]
