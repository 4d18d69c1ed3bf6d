# Local stand-in for the official swift:6.3-bookworm image (no registry here).
# Built by .ci/lib/containers.sh with the host's toolchain folder mounted at
# /host/toolchain and its Swift package mirror at /host/packages:
#   podman build -v TOOLCHAIN:/host/toolchain:ro -v MIRROR:/host/packages:ro \
#     --build-arg PACKAGES_DIR=MIRROR -f swift.Dockerfile -t localhost/swift:6.3-bookworm .
FROM localhost/debian:bookworm-slim
ARG PACKAGES_DIR=/opt/swift-packages
# The packages the official Debian 12 image installs.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       binutils-gold gcc git libcurl4-openssl-dev libedit2 libc6-dev libncurses-dev \
       libpython3-dev libsqlite3-0 libstdc++-12-dev libxml2-dev libz3-dev pkg-config \
       tzdata zlib1g-dev unzip gnupg2 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# The toolchain and the package mirror (GitHub URLs resolve to the mirror).
RUN mkdir -p /opt/swift "$PACKAGES_DIR" \
    && cp -a /host/toolchain/. /opt/swift/ \
    && cp -a /host/packages/. "$PACKAGES_DIR"/ \
    && git config --system "url.$PACKAGES_DIR/.insteadOf" https://github.com/ \
    && git config --system --add "url.$PACKAGES_DIR/.insteadOf" git@github.com: \
    && git config --system --add safe.directory '*' \
    && /opt/swift/usr/bin/swift --version
ENV PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/bash"]
