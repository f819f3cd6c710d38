# Image of the logpipe service for users with a Docker engine. The development machines have none:
# the local stack (`logpipe dev`) runs the same software without containers.
#
#   docker build -t logpipe .
#   docker run --rm -p 8787:8787 -e LOGPIPE_KAFKA_BROKERS=broker:9092 -e LOGPIPE_CONTROL_TOKEN="$(openssl rand -hex 32)" logpipe
#
# Configuration comes from LOGPIPE_* variables or a file mounted and passed with --config.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    # Inside a container the control server must listen beyond loopback to be reachable; it then
    # refuses to start without LOGPIPE_CONTROL_TOKEN (the health check's /healthz needs none).
    LOGPIPE_CONTROL_HOST=0.0.0.0 \
    LOGPIPE_LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
USER node
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:8787/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start"]
