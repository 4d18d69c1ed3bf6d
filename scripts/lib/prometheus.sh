#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/prometheus.sh: Debian 12's Prometheus binaries (prometheus and
# promtool) for checking and testing deploy/prometheus/, with no daemon.
# Source it after common.sh; executing it only prints this help.
#
## prom_tools    unpack Debian's prometheus package (once per machine) into
##               PROM_TOOLS_DIR and export PROMETHEUS_BIN and PROMTOOL
##               (the Swift tests start PROMETHEUS_BIN themselves)
## Environment read: PROM_TOOLS_DIR (default ~/.cache/resilient-services/prometheus),
##   PROMETHEUS_BIN and PROMTOOL (existing binaries to use instead)
#
# Why unpacked rather than installed: the package's postinst enables and
# starts a prometheus daemon (update-rc.d + invoke-rc.d, or systemd's
# deb-systemd-helper enable + start) listening on :9090 with
# /etc/prometheus/prometheus.yml, creates a system user, and recommends
# prometheus-node-exporter, another daemon. A test machine needs none of
# that: `apt-get download` + `dpkg-deb -x` give the same two binaries (Go
# programs that need only libc) and run no maintainer script, so nothing is
# started, enabled at boot or left listening, and no root is needed.

set -euo pipefail

if [[ -n ${_RS_PROMETHEUS_LOADED:-} ]]; then
    return 0
fi
_RS_PROMETHEUS_LOADED=1

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

prom_tools() {
    if [[ -x ${PROMETHEUS_BIN:-} && -x ${PROMTOOL:-} ]]; then
        export PROMETHEUS_BIN PROMTOOL
        info "prometheus: $PROMETHEUS_BIN, promtool: $PROMTOOL (from the environment)"
        return 0
    fi
    local dir=${PROM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/resilient-services/prometheus}
    if [[ ! -x $dir/usr/bin/prometheus || ! -x $dir/usr/bin/promtool ]]; then
        require_cmd apt-get "these scripts expect Debian 12 (its prometheus package)"
        local tmp deb
        tmp=$(mktemp -d /tmp/prometheus-deb.XXXXXX)
        local -a apt=(apt-get -q -o DPkg::Lock::Timeout=300)
        # As root, apt drops to user _apt to download, which can't write to a mode-700 folder.
        is_root && apt+=(-o APT::Sandbox::User=root)
        info "unpacking Debian's prometheus package into $dir (once per machine; no daemon is installed)"
        if ! (cd "$tmp" && "${apt[@]}" download prometheus >&2); then
            is_root || { rm -rf "$tmp"; die "apt-get download prometheus failed" "run apt-get update as root, then re-run"; }
            "${apt[@]}" update >&2 || { rm -rf "$tmp"; die "apt-get update failed" "check the network and /etc/apt/sources.list"; }
            (cd "$tmp" && "${apt[@]}" download prometheus >&2) || { rm -rf "$tmp"; die "apt-get download prometheus failed"; }
        fi
        deb=$(find "$tmp" -maxdepth 1 -name 'prometheus_*.deb' -print -quit)
        rm -rf "$dir.new"
        mkdir -p "$dir.new"
        dpkg-deb -x "$deb" "$dir.new" || { rm -rf "$tmp" "$dir.new"; die "dpkg-deb -x $deb failed"; }
        basename -- "$deb" >"$dir.new/.deb"
        rm -rf "$tmp" "$dir"
        mv "$dir.new" "$dir"
    fi
    PROMETHEUS_BIN=$dir/usr/bin/prometheus
    PROMTOOL=$dir/usr/bin/promtool
    export PROMETHEUS_BIN PROMTOOL
    info "prometheus $("$PROMETHEUS_BIN" --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p') ($(cat "$dir/.deb" 2>/dev/null || echo '?')): $PROMETHEUS_BIN"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
