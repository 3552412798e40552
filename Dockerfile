# syntax=docker/dockerfile:1
# One build, one small runtime image per service:
#   docker build --target runtime --build-arg APP=ingest -t runlog-ingest .
# APP is one of: ingest, normalizer, lease-history, trace-store, console, standalone (all of them).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ARG APP=standalone
ENV NODE_ENV=production \
    RUNLOG_APP=${APP} \
    RUNLOG_DATA_DIR=/data \
    LOG_PRETTY=0
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# Health: docker-compose.yml checks GET /health/ready on each service's port.
CMD ["sh", "-c", "exec node dist/apps/${RUNLOG_APP}/src/main.js"]
