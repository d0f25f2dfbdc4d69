# flinkops image: multi-stage, production dependencies only, runs as a non-root user.
# Build: docker build -t flinkops .
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --home-dir /var/lib/flinkops flinkops
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY workers ./workers
ENV NODE_ENV=production FLINKOPS_WORK_DIR=/var/lib/flinkops HOME=/var/lib/flinkops
USER 10001
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/src/bin/flinkops.mjs"]
CMD ["run"]
