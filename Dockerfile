# syntax=docker/dockerfile:1
#
# Gatehouse as a container: the production build's standalone server on Node.js, as a non-root user, on a root file
# system that can be read-only. Build and run (see docs/deploy.md):
#
#   docker build -t gatehouse .
#   docker run --rm -p 3000:3000 --read-only --tmpfs /tmp --tmpfs /data:uid=1000,gid=1000 --env-file gatehouse.env gatehouse
#
# Writable paths: /tmp, and /data (GATEHOUSE_DATA_DIR: the embedded PGlite database — only used without DATABASE_URL;
# mount a volume there to keep it). Everything else is read-only at run time.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- 1. Production dependencies only: the build needs nothing else (a test checks every import is a dependency). ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- 2. The build: `next build` with `output: "standalone"` traces exactly what the server needs. -----------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /src/node_modules ./node_modules
# .dockerignore keeps tests, the sandbox, benchmarks, docs and local state out of the build context.
COPY . .
RUN npm run build \
 && cp -R .next/static .next/standalone/.next/static \
 && cp -R public .next/standalone/public

# --- 3. The runtime image: Node.js and the standalone output, nothing else (no npm, no sources, no build tools). --
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    GATEHOUSE_DATA_DIR=/data \
    NODE_OPTIONS="--max-old-space-size=256 --v8-pool-size=1" \
    MALLOC_MMAP_THRESHOLD_=32768
# The package managers stay in the build stages.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && mkdir -p /data && chown node:node /data
WORKDIR /app
# Owned by root and not writable by the server's user: the application cannot change itself.
COPY --from=build --chown=root:root /src/.next/standalone ./
USER node
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The server checks its configuration at start-up and stops with one message listing every problem. Its heap limit and
# V8's worker threads are NODE_OPTIONS above (scripts/standalone.ts's SERVER_NODE_OPTIONS; docs/deploy.md "Memory"),
# and glibc's malloc returns freed buffers of 32 KB and more to the kernel (SERVER_MALLOC_ENVIRONMENT); the container's
# own environment may replace either.
CMD ["node", "server.js"]
