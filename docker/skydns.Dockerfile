# syntax=docker/dockerfile:1
# kube-dns-legacy-skydns: serves the cluster domain over DNS from the records in etcd.
# Build from the repository root (see docs/operations.md):
#   docker build -f docker/skydns.Dockerfile -t localhost:5000/kube-dns-legacy-skydns:0.1.0 .
# Base image: Node.js 24 LTS on Debian bookworm-slim, pinned by exact tag and digest (both stages).

FROM node:24.11.1-bookworm-slim@sha256:48abc13a19400ca3985071e287bd405a1d99306770eb81d61202fb6b65cf0b57 AS build
WORKDIR /src
# g++ builds the batched-UDP addon (packages/udp-batch) against the N-API headers the Node image ships.
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ \
 && rm -rf /var/lib/apt/lists/*
# Every workspace's package.json is needed for npm ci against the lockfile; sources come with packages/.
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/ packages/
COPY e2e/package.json e2e/
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx tsc -b packages/skydns
# The addon must be there: an image without it would answer over dgram at half the rate (skydns logs which).
RUN bash packages/udp-batch/build.sh && test -f packages/udp-batch/build/udp_batch.node
# Keep only what runs: production dependencies of this package, built JavaScript, no tests or sources.
# npm links every workspace into node_modules/@kube-dns-legacy; the runtime stage copies the ones it needs.
RUN rm -rf node_modules packages/*/node_modules e2e/node_modules \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace=packages/skydns \
 && rm -rf node_modules/@kube-dns-legacy node_modules/.bin packages/*/node_modules/.bin \
 && find packages \( -name '*.test.*' -o -name '*.tsbuildinfo' -o -name '*.map' \) -delete \
 && rm -rf packages/*/src packages/*/tsconfig.json packages/udp-batch/native packages/udp-batch/build.sh

FROM node:24.11.1-bookworm-slim@sha256:48abc13a19400ca3985071e287bd405a1d99306770eb81d61202fb6b65cf0b57
# Port 53 as a non-root user: the node binary gets the file capability cap_net_bind_service, which the
# manifest allows (capabilities add NET_BIND_SERVICE, drop ALL; it survives allowPrivilegeEscalation: false
# because the container starts with NET_BIND_SERVICE permitted).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep /usr/local/bin/node \
 && apt-get purge -y libcap2-bin \
 && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Two malloc arenas, not 8 per core: the resident set at 120,000 records is ~10 MiB lower and steadier (docs/performance.md).
ENV NODE_ENV=production MALLOC_ARENA_MAX=2
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/packages/goflags/ node_modules/@kube-dns-legacy/goflags/
COPY --from=build /src/packages/etcdkit/ node_modules/@kube-dns-legacy/etcdkit/
COPY --from=build /src/packages/heap/ node_modules/@kube-dns-legacy/heap/
COPY --from=build /src/packages/processkit/ node_modules/@kube-dns-legacy/processkit/
COPY --from=build /src/packages/skymsg/ node_modules/@kube-dns-legacy/skymsg/
COPY --from=build /src/packages/udp-batch/ node_modules/@kube-dns-legacy/udp-batch/
COPY --from=build /src/packages/skydns/ packages/skydns/
USER 65534:65534
EXPOSE 53/udp 53/tcp 9153
ENTRYPOINT ["node", "/app/packages/skydns/dist/main.js"]
