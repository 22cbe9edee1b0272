# syntax=docker/dockerfile:1
# kube-dns-legacy-exechealthz: the healthz sidecar (runs a command, serves /healthz for the kubelet).
# Build from the repository root (see docs/operations.md):
#   docker build -f docker/exechealthz.Dockerfile -t localhost:5000/kube-dns-legacy-exechealthz:0.1.0 .
# Base image: Node.js 24 LTS on Debian bookworm-slim, pinned by exact tag and digest (both stages).

FROM node:24.11.1-bookworm-slim@sha256:48abc13a19400ca3985071e287bd405a1d99306770eb81d61202fb6b65cf0b57 AS build
WORKDIR /src
# Every workspace's package.json is needed for npm ci against the lockfile; sources come with packages/.
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/ packages/
COPY e2e/package.json e2e/
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx tsc -b packages/exechealthz
# Keep only what runs: production dependencies of this package, built JavaScript, no tests or sources.
# npm links every workspace into node_modules/@kube-dns-legacy; the runtime stage copies the ones it needs.
RUN rm -rf node_modules packages/*/node_modules e2e/node_modules \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace=packages/exechealthz \
 && rm -rf node_modules/@kube-dns-legacy node_modules/.bin packages/*/node_modules/.bin \
 && find packages \( -name '*.test.*' -o -name '*.tsbuildinfo' -o -name '*.map' \) -delete \
 && rm -rf packages/*/src packages/*/tsconfig.json

FROM node:24.11.1-bookworm-slim@sha256:48abc13a19400ca3985071e287bd405a1d99306770eb81d61202fb6b65cf0b57
# nslookup for the probe command (busybox's, as the original exechealthz image); sh comes with the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends busybox \
 && ln -s /bin/busybox /usr/local/bin/nslookup \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/packages/goflags/ node_modules/@kube-dns-legacy/goflags/
COPY --from=build /src/packages/processkit/ node_modules/@kube-dns-legacy/processkit/
COPY --from=build /src/packages/exechealthz/ packages/exechealthz/
USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["node", "/app/packages/exechealthz/dist/main.js"]
