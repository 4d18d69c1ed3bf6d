#!/usr/bin/env bash
#
# scripts/lib/supervisor.sh: keep one service process running, like Docker's
# `restart: unless-stopped`. Started by service_start (scripts/lib/services.sh);
# this file is executed, not sourced.

set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/lib/supervisor.sh --name NAME --pidfile FILE [--child-pidfile FILE] -- CMD [ARG...]

Runs CMD and runs it again (after a delay) whenever it exits on its own, until
told to stop. Normally started by service_start in scripts/lib/services.sh,
which detaches it (setsid) and sends its output to .run/logs/NAME.log.

  --name NAME            label used in the supervisor's own log lines
  --pidfile FILE         the supervisor writes its own pid here; removing the
                         file means "do not restart after the next exit"
  --child-pidfile FILE   the supervisor writes the running child's pid here

Stopping: SIGTERM (or SIGINT) to the supervisor is forwarded to the child as
SIGTERM; the supervisor waits for the child to exit, removes its pid files and
exits. It never restarts after that.

Restart delay: SUPERVISOR_RESTART_DELAY seconds (default 1) after an exit; when
the child keeps dying within SUPERVISOR_MIN_UPTIME seconds (default 10) of its
start, the delay doubles each time up to SUPERVISOR_MAX_DELAY (default 30), so
a crash loop does not spin. A run longer than the minimum uptime resets it.
EOF
}

name="" pidfile="" child_pidfile=""
while (($#)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --name) name=$2; shift 2 ;;
        --pidfile) pidfile=$2; shift 2 ;;
        --child-pidfile) child_pidfile=$2; shift 2 ;;
        --) shift; break ;;
        *) printf 'supervisor: unknown argument: %s (see --help)\n' "$1" >&2; exit 2 ;;
    esac
done
if [[ -z $name || -z $pidfile || $# -eq 0 ]]; then
    printf 'supervisor: --name, --pidfile and a command are required (see --help)\n' >&2
    exit 2
fi

base_delay=${SUPERVISOR_RESTART_DELAY:-1}
max_delay=${SUPERVISOR_MAX_DELAY:-30}
min_uptime=${SUPERVISOR_MIN_UPTIME:-10}
for value in "$base_delay" "$max_delay" "$min_uptime"; do
    if ! [[ $value =~ ^[0-9]+$ ]]; then
        printf 'supervisor: SUPERVISOR_* settings must be whole seconds (got "%s")\n' "$value" >&2
        exit 2
    fi
done

log() { printf '%s [supervisor %s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$*"; }

owns_pidfile() {
    local pid=""
    [[ -f $pidfile ]] || return 1
    read -r pid <"$pidfile" || true
    [[ $pid == "$$" ]]
}

cleanup() {
    owns_pidfile && rm -f "$pidfile"
    [[ -n $child_pidfile ]] && rm -f "$child_pidfile"
    return 0
}

stopping=0
child=""
on_stop() {
    stopping=1
    if [[ -n $child ]]; then
        log "received a stop signal; sending SIGTERM to pid $child"
        kill -TERM "$child" 2>/dev/null || true
    fi
    if [[ -n ${sleeper:-} ]]; then
        kill "$sleeper" 2>/dev/null || true
    fi
}
trap on_stop TERM INT
trap cleanup EXIT

tmp=$(mktemp "$pidfile.XXXXXX")
printf '%s\n' "$$" >"$tmp"
mv -f "$tmp" "$pidfile"

delay=$base_delay
restarts=0
while :; do
    started=$SECONDS
    if ((restarts == 0)); then
        log "starting $1"
    else
        log "restarting $1 (restart #$restarts)"
    fi
    "$@" &
    child=$!
    [[ -n $child_pidfile ]] && printf '%s\n' "$child" >"$child_pidfile"
    # A signal that arrived between the fork and `child=$!` was not forwarded.
    ((stopping)) && kill -TERM "$child" 2>/dev/null || true

    rc=0
    wait "$child" || rc=$?
    # `wait` returns early when a trapped signal arrives: wait again until the
    # child has really exited (a zombie still answers kill -0, wait reaps it).
    while kill -0 "$child" 2>/dev/null; do
        rc=0
        wait "$child" || rc=$?
    done
    exited=$child
    child=""
    [[ -n $child_pidfile ]] && rm -f "$child_pidfile"

    if ((stopping)); then
        log "pid $exited exited (status $rc) after a stop request; supervisor exiting"
        exit 0
    fi
    if ! owns_pidfile; then
        log "pid $exited exited (status $rc); pid file removed, so not restarting"
        exit 0
    fi

    if ((SECONDS - started >= min_uptime)); then
        delay=$base_delay
    fi
    log "pid $exited exited unexpectedly (status $rc); restarting in ${delay}s"
    sleeper=""
    sleep "$delay" &
    sleeper=$!
    wait "$sleeper" 2>/dev/null || true
    sleeper=""
    if ((stopping)) || ! owns_pidfile; then
        log "stop requested while waiting to restart; supervisor exiting"
        exit 0
    fi
    if ((SECONDS - started < min_uptime)); then
        delay=$((delay * 2 > max_delay ? max_delay : delay * 2))
    fi
    restarts=$((restarts + 1))
done
