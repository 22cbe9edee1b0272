# syntax=docker/dockerfile:1
# kube-dns-legacy-kube2sky: mirrors Kubernetes Services, Endpoints and Pods into SkyDNS records in etcd.
# Build from the repository root (see docs/operations.md):
#   docker build -f docker/kube2sky.Dockerfile -t localhost:5000/kube-dns-legacy-kube2sky:0.1.0 .
# Base image: Node.js 24 LTS on Debian bookworm-slim, pinned by exact tag and digest (both stages).

FROM node:24.11.1-bookworm-slim@sha256:48abc13a19400ca3985071e287bd405a1d99306770eb81d61202fb6b65cf0b57 AS build
WORKDIR /src
# Every workspace's package.json is needed for npm ci against the lockfile; sources come with packages/.
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/ packages/
COPY e2e/package.json e2e/
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx tsc -b packages/kube2sky
# Keep only what runs: production dependencies of this package, built JavaScript, no tests or sources.
# npm links every workspace into node_modules/@kube-dns-legacy; the runtime stage copies the ones it needs.
RUN rm -rf node_modules packages/*/node_modules e2e/node_modules \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace=packages/kube2sky \
 && rm -rf node_modules/@kube-dns-legacy node_modules/.bin packages/*/node_modules/.bin \
 && find packages \( -name '*.test.*' -o -name '*.tsbuildinfo' -o -name '*.map' \) -delete \
 && rm -rf packages/*/src packages/*/tsconfig.json

FROM node:24.11.1-bookworm-slim@sha256:48abc13a19400ca3985071e287bd405a1d99306770eb81d61202fb6b65cf0b57
# Nothing beyond Node.js is needed at run time.
WORKDIR /app
# Two malloc arenas, not 8 per core: the resident set at 120,000 records is ~10 MiB lower and steadier (docs/performance.md).
ENV NODE_ENV=production MALLOC_ARENA_MAX=2
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/packages/goflags/ node_modules/@kube-dns-legacy/goflags/
COPY --from=build /src/packages/etcdkit/ node_modules/@kube-dns-legacy/etcdkit/
COPY --from=build /src/packages/heap/ node_modules/@kube-dns-legacy/heap/
COPY --from=build /src/packages/processkit/ node_modules/@kube-dns-legacy/processkit/
COPY --from=build /src/packages/skymsg/ node_modules/@kube-dns-legacy/skymsg/
COPY --from=build /src/packages/kube2sky/ packages/kube2sky/
USER 65534:65534
EXPOSE 8081
ENTRYPOINT ["node", "/app/packages/kube2sky/dist/main.js"]
