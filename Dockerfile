# The Worker (the only owner of the Tesla tokens) as a Cloud Run container.
# Built by Cloud Build in deploy/gcp/deploy.sh (`gcloud builds submit --tag`), then deployed by digest.
#
# Base image: Node 22 (Cloud Run / Cloud Functions' current LTS; the code also runs on Node 20), Debian
# bookworm slim rather than Alpine so that glibc matches the machines the tests ran on. The tag is pinned to
# the major and distribution; for byte-for-byte reproducible builds pin the digest too, e.g.
#   docker buildx imagetools inspect node:22-bookworm-slim   → NODE_IMAGE=node:22-bookworm-slim@sha256:…
# (not pinned here: no registry was reachable where this file was written).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, compile TypeScript to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build

# ---- runtime: production dependencies and the compiled code only, as the unprivileged "node" user
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# Only the default file store (self-hosting without TOKEN_STORE) writes here; on Cloud Run the tokens live
# in Firestore and the container filesystem is throw-away.
RUN mkdir -p /app/.offpeak && chown node:node /app/.offpeak
USER node
# Cloud Run sets PORT and K_SERVICE; with K_SERVICE set and no HOST the Worker listens on 0.0.0.0.
EXPOSE 8080
# No HEALTHCHECK: Cloud Run ignores it and uses its own probes. GET /health answers 200 when tokens can be
# served, 503 when a new Tesla login is needed (configure it as a startup/liveness probe if wanted).
CMD ["node", "dist/src/cli.js", "worker"]
