# Local stand-in for the official prom/prometheus:v2.42.0 image: Debian 12's
# prometheus package (the same version, 2.42.0) laid out like the official
# image: prometheus as the entrypoint, promtool on PATH, running as nobody in
# /prometheus (the storage volume). A policy-rc.d denies the package's
# postinst the start of its daemon while it installs.
FROM localhost/debian:bookworm-slim
# hadolint ignore=DL3008
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
    && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
    && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
VOLUME /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
