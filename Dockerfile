# One Dockerfile, one target per service:
#   docker build --target data-api -t resilient/data-api .
#   docker build --target gateway  -t resilient/gateway .
# and one for the demos' fault proxy (deploy/compose.demo.yaml only):
#   docker build --target fault-proxy -t resilient/fault-proxy .
# Build context: the repository root (see .dockerignore).
# Base images are build arguments; the build stage uses the same Debian
# release as the runtime so libpq and hiredis match.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# Versions are not pinned: bookworm's point releases replace them (DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libhiredis-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Dependencies in their own cached layer: only Package.swift changes them.
COPY Package.swift ./
RUN swift package resolve
COPY Shared ./Shared
COPY Services ./Services
# Package.swift names these targets too: SwiftPM needs their folders.
COPY Tests ./Tests
COPY Tools ./Tools
# The OpenAPI document, built into both binaries by this plugin.
COPY Plugins ./Plugins
COPY docs/openapi.yaml ./docs/openapi.yaml
RUN swift build -c release --static-swift-stdlib --product data-api \
    && swift build -c release --static-swift-stdlib --product gateway \
    && swift build -c release --static-swift-stdlib --product fault-proxy \
    && mkdir -p /out \
    && bin="$(swift build -c release --show-bin-path)" \
    && cp "$bin/data-api" "$bin/gateway" "$bin/fault-proxy" /out/

FROM ${RUNTIME_IMAGE} AS runtime
# Only the shared libraries the binaries need; no curl or wget (the probe is
# the binary's own `healthcheck` mode).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libhiredis0.14 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app
USER 10001:10001
ENV HTTP_HOST=0.0.0.0

FROM runtime AS data-api
COPY --from=build /out/data-api /usr/local/bin/data-api
ENV HTTP_PORT=8081
EXPOSE 8081
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 CMD ["data-api", "healthcheck", "--ready"]
ENTRYPOINT ["data-api"]

FROM runtime AS gateway
COPY --from=build /out/gateway /usr/local/bin/gateway
ENV HTTP_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 CMD ["gateway", "healthcheck", "--ready"]
ENTRYPOINT ["gateway"]

# The resilience demos' TCP fault proxy (Tools/fault-proxy): between data-api
# and its stores in deploy/compose.demo.yaml only.
FROM runtime AS fault-proxy
COPY --from=build /out/fault-proxy /usr/local/bin/fault-proxy
EXPOSE 8090
ENTRYPOINT ["fault-proxy"]
