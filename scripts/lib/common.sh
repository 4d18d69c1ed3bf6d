#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/common.sh: helpers shared by every script under scripts/.
# Source it (`source scripts/lib/common.sh`); executing it only prints this help.
#
## Logging (to stderr, prefixed with the calling script's name):
##   info MSG...              progress line
##   warn MSG...              "warning: MSG"
##   error MSG...             "error: MSG" (does not exit)
##   die MSG [HINT...]        "error: MSG", each HINT on its own indented line, exit 1
## Checks:
##   is_root                  true when running as uid 0
##   need_root WHY            die unless root, telling the user to re-run with sudo
##   require_cmd CMD [HINT]   die when CMD is not on PATH
##   dpkg_installed PKG       true when the Debian package PKG is installed
##   ensure_packages PKG...   apt-get install the missing ones (apt-get update once)
##   valid_port PORT          true when PORT is an integer in 1..65535
## Waiting:
##   wait_for [--timeout S] [--interval S] [--what TEXT] [--] CMD [ARG...]
##                            poll CMD (output discarded) until it succeeds;
##                            on timeout print an error and return 1
## Network:
##   port_in_use HOST PORT    true when something accepts TCP connections there
##   free_port [HOST]         print a free TCP port on HOST (default 127.0.0.1)
##   connect_host HOST        print the address a client uses for a bind address
##                            (0.0.0.0 -> 127.0.0.1, :: -> ::1)
## Processes:
##   read_pidfile FILE        print the pid in FILE (fails when absent/garbage)
##   pid_alive PID            true when PID exists and is not a zombie
##   wait_pid_exit PID SECS   wait until PID is gone; false on timeout
##   stop_pid PID SECS [NAME] SIGTERM, wait SECS, then SIGKILL
## Secrets and the .run/ layout:
##   ensure_run_layout        create .run/{logs,secrets} (secrets mode 700)
##   ensure_secret FILE       create FILE with a random 64-hex-char secret, mode 600,
##                            once; an existing non-empty FILE is reused
##   redact TEXT SECRET       print TEXT with every SECRET replaced by ***
##   rel_path PATH            PATH relative to the repository root when inside it
## Variables set: SCRIPT_NAME LIB_DIR REPO_ROOT RUN_DIR LOG_DIR SECRETS_DIR
## Environment read: RUN_DIR (default <repo>/.run)

set -euo pipefail

if [[ -n ${_RS_COMMON_LOADED:-} ]]; then
    return 0
fi
_RS_COMMON_LOADED=1

SCRIPT_NAME=${SCRIPT_NAME:-$(basename -- "$0")}
LIB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$LIB_DIR/../.." && pwd -P)
RUN_DIR=${RUN_DIR:-$REPO_ROOT/.run}
LOG_DIR=$RUN_DIR/logs
SECRETS_DIR=$RUN_DIR/secrets
export REPO_ROOT RUN_DIR

# ---------------------------------------------------------------- logging

info() { printf '[%s] %s\n' "$SCRIPT_NAME" "$*" >&2; }
warn() { printf '[%s] warning: %s\n' "$SCRIPT_NAME" "$*" >&2; }
error() { printf '[%s] error: %s\n' "$SCRIPT_NAME" "$*" >&2; }

die() {
    error "${1:-failed}"
    shift || true
    local hint
    for hint in "$@"; do
        printf '[%s]   %s\n' "$SCRIPT_NAME" "$hint" >&2
    done
    exit 1
}

# ---------------------------------------------------------------- checks

is_root() { [[ $(id -u) -eq 0 ]]; }

need_root() {
    is_root || die "${1:-this step} needs root" "re-run as root, e.g.: sudo $0"
}

require_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "command not found: $1" "${2:-install it and re-run}"
}

valid_port() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65535)); }

dpkg_installed() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [[ $status == "install ok installed" ]]
}

_RS_APT_UPDATED=${_RS_APT_UPDATED:-}

ensure_packages() {
    local pkg missing=()
    command -v dpkg-query >/dev/null 2>&1 ||
        die "cannot check packages ($*): dpkg-query not found" "these scripts expect Debian 12; install the equivalents of: $* and re-run"
    for pkg in "$@"; do
        dpkg_installed "$pkg" || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "missing packages: ${missing[*]}" "apt-get is not available; install them by hand and re-run"
    is_root ||
        die "missing packages: ${missing[*]}" "re-run as root, or install them first: sudo apt-get install ${missing[*]}"
    info "installing Debian packages: ${missing[*]}"
    local -a apt=(apt-get -q -o DPkg::Lock::Timeout=300)
    if [[ -z $_RS_APT_UPDATED ]]; then
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2 ||
            die "apt-get update failed" "check the network and /etc/apt/sources.list, then re-run"
        _RS_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2 ||
        die "apt-get install ${missing[*]} failed" "see the apt output above; fix it and re-run"
}

# ---------------------------------------------------------------- waiting

# Monotonic enough wall-clock deadlines in microseconds (bash 5 EPOCHREALTIME);
# whole seconds only.
_now_us() { local t=${EPOCHREALTIME:-$(date +%s.%6N)}; printf '%s\n' "${t/[.,]/}"; }
_deadline_after() {
    [[ $1 =~ ^[0-9]+$ ]] || die "a timeout must be whole seconds (got '$1')"
    printf '%s\n' $(($(_now_us) + $1 * 1000000))
}
_past() { (($(_now_us) >= $1)); }

wait_for() {
    local timeout=30 interval=0.5 what=""
    while (($#)); do
        case $1 in
            --timeout) timeout=$2; shift 2 ;;
            --interval) interval=$2; shift 2 ;;
            --what) what=$2; shift 2 ;;
            --) shift; break ;;
            *) break ;;
        esac
    done
    (($#)) || die "wait_for: no command given"
    local deadline
    deadline=$(_deadline_after "$timeout")
    while :; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if _past "$deadline"; then
            error "timed out after ${timeout}s waiting for ${what:-$*}"
            return 1
        fi
        sleep "$interval"
    done
}

# ---------------------------------------------------------------- network

port_in_use() {
    local host=$1 port=$2
    # shellcheck disable=SC2016 # $1 and $2 expand in the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" >/dev/null 2>&1
}

free_port() {
    local host=${1:-127.0.0.1}
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$host" <<'PY'
import socket, sys
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((sys.argv[1], 0))
    print(s.getsockname()[1])
PY
        return
    fi
    local port _
    for _ in {1..200}; do
        port=$((20000 + RANDOM % 40000))
        if ! port_in_use "$host" "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    die "could not find a free TCP port on $host"
}

connect_host() {
    case $1 in
        0.0.0.0 | "") printf '127.0.0.1\n' ;;
        :: | "[::]") printf '::1\n' ;;
        *) printf '%s\n' "$1" ;;
    esac
}

# ---------------------------------------------------------------- processes

read_pidfile() {
    local file=$1 pid
    [[ -r $file ]] || return 1
    read -r pid <"$file" || [[ -n ${pid:-} ]] || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$pid"
}

pid_alive() {
    local pid=$1 stat
    kill -0 "$pid" 2>/dev/null || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

wait_pid_exit() {
    local pid=$1 secs=$2 deadline
    deadline=$(_deadline_after "$secs")
    while pid_alive "$pid"; do
        _past "$deadline" && return 1
        sleep 0.2
    done
    return 0
}

stop_pid() {
    local pid=$1 secs=$2 name=${3:-pid $1}
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_pid_exit "$pid" "$secs"; then
        warn "$name (pid $pid) did not stop within ${secs}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_pid_exit "$pid" 5 || die "$name (pid $pid) survived SIGKILL" "inspect it with: ps -o pid,stat,cmd -p $pid"
    fi
}

# ---------------------------------------------------------------- .run/ layout, secrets

ensure_run_layout() {
    mkdir -p "$RUN_DIR" "$LOG_DIR" "$SECRETS_DIR"
    # PostgreSQL runs as user postgres and must traverse .run/ and write its log.
    chmod 755 "$RUN_DIR" "$LOG_DIR"
    chmod 700 "$SECRETS_DIR"
}

ensure_secret() {
    local file=$1 dir tmp
    if [[ -s $file ]]; then
        chmod 600 "$file"
        return 0
    fi
    dir=$(dirname -- "$file")
    mkdir -p "$dir"
    chmod 700 "$dir"
    tmp=$(mktemp "$file.XXXXXX") # mktemp creates it mode 600
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$tmp"
    [[ -s $tmp ]] || { rm -f "$tmp"; die "could not generate a secret into $file"; }
    chmod 600 "$tmp"
    mv -f "$tmp" "$file"
    info "generated a new secret: $(rel_path "$file") (mode 600)"
}

redact() {
    local text=$1 secret=$2
    if [[ -n $secret ]]; then
        text=${text//"$secret"/***}
    fi
    printf '%s\n' "$text"
}

rel_path() {
    local path=$1
    if [[ $path == "$REPO_ROOT"/* ]]; then
        printf '%s\n' "${path#"$REPO_ROOT"/}"
    else
        printf '%s\n' "$path"
    fi
}

# ---------------------------------------------------------------- library self-help

# lib_self_help FILE [ARG]: used by each lib when executed instead of sourced.
lib_self_help() {
    local file=$1
    printf '%s: a library of shell functions; source it from a script:\n' "$(rel_path "$file")"
    printf '  source %s\n\n' "$(rel_path "$file")"
    sed -n 's/^## \{0,1\}//p' "$file"
    case ${2:-} in
        -h | --help | "") exit 0 ;;
        *) exit 2 ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
