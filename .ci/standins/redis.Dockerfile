# Local stand-in for the official redis:7-bookworm image: Debian's redis-server
# (7.0) with redis-server and redis-cli on PATH and a POSIX sh. Like the
# official image it runs its command as root unless told otherwise.
FROM localhost/debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown redis:redis /data
WORKDIR /data
VOLUME /data
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
