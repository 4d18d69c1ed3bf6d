#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/demo/demo.sh: scripts/demo's body: options, the target (local
# stack or compose), starting and stopping a private local stack, running the
# resilience-demo driver, restoring the stack on any exit.
#
## demo_main [ARG...]   parse ARGs (SCENARIO|all and options), run, exit with the driver's status

set -euo pipefail

_DEMO_GIVEN_RUN_DIR=${RUN_DIR:-}
# shellcheck source=../common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../common.sh"
DEMO_LIB=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)

# The scenarios, in `all`'s order (the driver's Scenario.all; a test checks).
DEMO_SCENARIOS="postgres-outage redis-outage replica-crash replica-hang flaky-upstream slow-upstream wedged-process gateway-crash poison-request postgres-partition redis-partition postgres-latency cold-cache overload"

_demo_usage() {
    cat <<USAGE
Usage: scripts/demo SCENARIO|all [--target local|compose] [--gateway-url URL] [--json FILE]
                                 [--report FILE] [--rate N] [--keep-stack]
       scripts/demo SCENARIO|all --ablate [--rate N]
       scripts/demo --help

Resilience demos: break one thing on purpose, show with timings what happens
and how the stack heals (docs/resilience.md tells each scenario's story).

Scenarios (all: every one in turn, one summary table at the end):
  postgres-outage     PostgreSQL stopped hard, down ~5 s, then started
  redis-outage        Redis stopped ~5 s: the cache disappears, data-api warns and serves
  replica-crash       one data-api replica SIGKILLed; its supervisor restarts it
  replica-hang        one replica frozen (SIGSTOP / pause) ~5 s, then resumed
  flaky-upstream      10 % injected 500s on every replica for ~8 s
  slow-upstream       3 s injected latency on one replica for ~8 s (over the per-try timeout)
  wedged-process      one replica's Swift Concurrency threads blocked; its watchdog exits it
  gateway-crash       the gateway SIGKILLed; its supervisor (or restart policy) restarts it
  poison-request      one item's path answers 500 on every replica for ~8 s
  postgres-partition  data-api to PostgreSQL silently partitioned (the fault proxy) ~8 s
  redis-partition     data-api to Redis silently partitioned ~8 s: reads must not pay Redis's timeout
  postgres-latency    +200 ms on every PostgreSQL round trip for ~8 s
  cold-cache          Redis restarted empty, then a herd of reads of 3 hot items: one query each
  overload            3x the sustainable rate for 10 s: fast 503 + Retry-After, then back at once

While it runs: a steady load through the gateway (reads, and writes with an
Idempotency-Key), the gateway's /health and the affected replica's
/health/ready sampled every 100 ms, a live timeline (fault injected, first
client error, health changes and the check behind them, breakers, ejections,
fault removed, recovery). Then a summary: requests by outcome and status,
p50/p99 latency, time to detect, time to recover, client-visible error rate,
and acknowledged writes lost (each looked up in PostgreSQL).

Exits 1 when an expectation fails: an acknowledged write lost; a client waited
past the gateway's deadline; no detection within 3 health intervals (a
partition: the check's interval plus timeout, times its failure threshold);
no recovery within 10 s of the fault's removal (2 s after a partition); for
redis-outage, flaky-upstream, replica-crash, redis-partition,
postgres-latency and cold-cache, client-visible read errors above 0.1 %; a client-visible
error that its answer does not attribute to a cause (the gateway's
Server-Timing and data-api's problem title; "errors by cause" in the
summary); for the network faults, a data-api pool call that held its thread
past its connect or query timeout, and for redis-partition, reads that paid
Redis's command timeout after the check had failed; for cold-cache, a herd
that cost more than 2 PostgreSQL queries per item and replica; for
overload, nothing shed at 3x the sustainable rate, a shed answer without
Retry-After or slower than a tenth of the deadline, admitted requests' p99
over twice the backend's time, more than 1.2 upstream attempts per client
request, or the steady load not back to its baseline 3 s after the
overload. Exits 2 on a usage error. On any exit (Ctrl-C included) the stack is restored: chaos off, a
frozen replica resumed, PostgreSQL and Redis started.

Options:
  --target local      the stack of scripts/up. Without RUN_DIR (or when
                      nothing runs there) the demo starts a private one on
                      free ports in a temporary RUN_DIR and stops it at the end.
  --target compose    a compose stack that is already up: docker-compose -f
                      compose.yaml [-f DEMO_COMPOSE_FILES...] -p COMPOSE_PROJECT_NAME
  (default: compose when a Docker engine answers, else local)
  --gateway-url URL   the gateway (default http://127.0.0.1:\$GATEWAY_PORT, or
                      \$DEMO_GATEWAY_URL)
  --json FILE         also write the results as JSON
  --report FILE       also write an incident report: one self-contained HTML
                      file that replays the run (the gateway's status page as
                      it was at any moment, a scrubber, the client error rate
                      and p99 over time with the fault's injection and
                      removal, the timeline and the summary)
  --rate N            requests per second (default 40)
  --keep-stack        local: leave a stack the demo started running
  --ablate            what each mechanism buys (local target): runs the
                      scenario once as designed and once without each
                      mechanism that acts on it (retries, retry budget,
                      breaker, passive ejection, the gateway's active checks,
                      watchdog, panic routing, cached probes, skipping a
                      failed cache, single-flight reads: the settings that
                      switch each off are in docs/resilience.md), each on a
                      private stack of its own;
                      prints one table (client errors, p99, longest wait,
                      writes lost, time to recover) and a verdict line per
                      mechanism. Runs' JSON, logs and the report go to
                      .run/ablation/; exits 1 when an as-designed run failed
  -h, --help          this help

Environment: BIN_PATH (where data-api, gateway and resilience-demo are built;
default: swift build -c \$BUILD_CONFIGURATION, release), RUN_DIR and the
ports of scripts/up (PG_PORT REDIS_PORT DATA_API_PORTS GATEWAY_PORT and the
fault proxy's), WATCHDOG_TIMEOUT_MS, RETRY_MAX_ATTEMPTS and
MAX_IN_FLIGHT_REQUESTS for a stack the demo starts (defaults 3000, 5, 128);
compose: COMPOSE_PROJECT_NAME, DEMO_COMPOSE_FILES, DEMO_ENGINE,
DEMO_DATA_API_URLS and DEMO_ADMIN_TOKEN_FILE (the chaos scenarios),
DEMO_FAULT_PROXY_URL (the network scenarios: the fault proxy's admin API; see
deploy/compose.demo.yaml).
USAGE
}

_demo_default_target() {
    if command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1; then
        printf 'compose\n'
    else
        printf 'local\n'
    fi
}

# Builds when BIN_PATH is not given; prints the bin directory.
_demo_bin_path() {
    if [[ -n ${BIN_PATH:-} ]]; then
        printf '%s\n' "$BIN_PATH"
        return
    fi
    local configuration=${BUILD_CONFIGURATION:-release}
    require_cmd swift "install the Swift toolchain, or set BIN_PATH to a build's bin directory"
    info "building ($configuration); a first build takes minutes"
    (cd "$REPO_ROOT" && swift build -c "$configuration" >&2) || die "swift build failed"
    (cd "$REPO_ROOT" && swift build -c "$configuration" --show-bin-path)
}

# _demo_ablate SCENARIO|all [RATE]: every run of `resilience-demo
# ablation-plan`, each through this very command on a private stack started
# with the run's settings, then the comparison.
_demo_ablate() {
    local scenario=$1 rate=${2:-} out name variant settings rc status=0
    out=$REPO_ROOT/.run/ablation/$scenario-$(date +%Y%m%d-%H%M%S)
    mkdir -p "$out"
    local plan
    plan=$("$BIN_PATH/resilience-demo" ablation-plan "$scenario")
    [[ -n $plan ]] || die "$scenario has no mechanism to switch off" "try another scenario, or all"
    while read -r name variant settings; do
        local -a run=("$REPO_ROOT/scripts/demo" "$name" --target local --json "$out/$name.$variant.json")
        [[ -z $rate ]] || run+=(--rate "$rate")
        info "ablation: $name $variant${settings:+ ($settings)}; log: $(rel_path "$out/$name.$variant.log")"
        rc=0
        # shellcheck disable=SC2086 # settings: NAME=VALUE words, split on purpose
        env -u RUN_DIR $settings "${run[@]}" >"$out/$name.$variant.log" 2>&1 || rc=$?
        case $rc in
            0) info "  PASS" ;;
            1) info "  FAIL or ERROR (see the table)" ;;
            *) info "  exited $rc: see the log"; status=1 ;;
        esac
        [[ $variant != as-designed || $rc == 0 ]] || status=1
    done <<<"$plan"
    "$BIN_PATH/resilience-demo" ablation-report "$out" | tee "$out/report.md" || status=1
    info "ablation runs, logs and report: $(rel_path "$out")"
    return "$status"
}

_demo_started_stack=0
_demo_keep_stack=0
_demo_status=1
_demo_stack_found=0
_demo_restore_args=()

_demo_cleanup() {
    trap - EXIT INT TERM
    if ((_demo_stack_found)); then
        info "restoring the stack"
        "$DEMO_LIB/fault.sh" restore all || warn "restore failed: check the stack (scripts/status)"
        "$BIN_PATH/resilience-demo" restore "${_demo_restore_args[@]}" ||
            warn "could not lift every network fault or turn data-api's chaos off: check the stack (scripts/status)"
    fi
    if ((_demo_started_stack && !_demo_keep_stack)); then
        info "stopping the private stack"
        if "$REPO_ROOT/scripts/down" >>"$RUN_DIR/demo-stack.log" 2>&1 && ((_demo_status == 0)); then
            rm -rf -- "$RUN_DIR"
        else
            info "logs kept in $RUN_DIR/logs"
        fi
    elif ((_demo_started_stack)); then
        info "the stack keeps running; stop it with: RUN_DIR=$RUN_DIR scripts/down"
    fi
    exit "$_demo_status"
}

# Start a private stack on free ports, unless RUN_DIR names a running one.
_demo_local_stack() {
    # shellcheck source=../stack.sh
    source "$REPO_ROOT/scripts/lib/stack.sh"
    if [[ -n $_DEMO_GIVEN_RUN_DIR ]] && sv_running gateway; then
        info "using the stack running in $RUN_DIR"
        return
    fi
    RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/resilience-demo.XXXXXX")
    chmod 755 "$RUN_DIR"
    PG_PORT=$(free_port) REDIS_PORT=$(free_port) GATEWAY_PORT=$(free_port)
    PG_PROXY_PORT=$(free_port) REDIS_PROXY_PORT=$(free_port) FAULT_PROXY_PORT=$(free_port)
    DATA_API_PORTS="$(free_port) $(free_port)"
    export RUN_DIR PG_PORT REDIS_PORT GATEWAY_PORT DATA_API_PORTS PG_PROXY_PORT REDIS_PROXY_PORT FAULT_PROXY_PORT
    export WATCHDOG_TIMEOUT_MS=${WATCHDOG_TIMEOUT_MS:-3000}
    # flaky-upstream: 10 % independent 500s leave 0.1^tries failing reads;
    # the default 3 tries leave 0.1 %, the very bound the demo checks.
    export RETRY_MAX_ATTEMPTS=${RETRY_MAX_ATTEMPTS:-5}
    # overload: a capacity this driver can offer three times over (128
    # requests of a 1 s backend at once: about 128 req/s).
    export MAX_IN_FLIGHT_REQUESTS=${MAX_IN_FLIGHT_REQUESTS:-128}
    _demo_started_stack=1
    info "starting a private stack in $RUN_DIR (gateway port $GATEWAY_PORT; log: $RUN_DIR/demo-stack.log)"
    if ! "$REPO_ROOT/scripts/up" --no-build >"$RUN_DIR/demo-stack.log" 2>&1; then
        tail -n 30 "$RUN_DIR/demo-stack.log" >&2
        die "the private stack did not start (log above)"
    fi
}

demo_main() {
    local scenario="" target="" gateway_url=${DEMO_GATEWAY_URL:-} json="" report="" rate="" ablate=0 replica_urls="" fault_proxy_url=""
    while (($#)); do
        case $1 in
            -h | --help) _demo_usage; exit 0 ;;
            --target | --gateway-url | --json | --report | --rate)
                (($# >= 2)) || { printf '%s: %s needs a value\n' "$SCRIPT_NAME" "$1" >&2; exit 2; }
                case $1 in
                    --target) target=$2 ;;
                    --gateway-url) gateway_url=$2 ;;
                    --json) json=$2 ;;
                    --report) report=$2 ;;
                    --rate) rate=$2 ;;
                esac
                shift 2
                ;;
            --keep-stack) _demo_keep_stack=1; shift ;;
            --ablate) ablate=1; shift ;;
            -*) printf '%s: unknown option: %s (see --help)\n' "$SCRIPT_NAME" "$1" >&2; exit 2 ;;
            *)
                [[ -z $scenario ]] || { printf '%s: one scenario (or all) at a time, got %s and %s\n' "$SCRIPT_NAME" "$scenario" "$1" >&2; exit 2; }
                [[ " all $DEMO_SCENARIOS " == *" $1 "* ]] ||
                    { printf '%s: unknown scenario: %s (one of: %s, all)\n' "$SCRIPT_NAME" "$1" "${DEMO_SCENARIOS// /, }" >&2; exit 2; }
                scenario=$1
                shift
                ;;
        esac
    done
    [[ -n $scenario ]] || { printf '%s: name a scenario, or all (see --help)\n' "$SCRIPT_NAME" >&2; exit 2; }
    [[ -n $target ]] || target=$(_demo_default_target)
    [[ $target == local || $target == compose ]] || { printf '%s: --target must be local or compose\n' "$SCRIPT_NAME" >&2; exit 2; }
    [[ -z $json ]] || json=$(realpath -m -- "$json")
    [[ -z $report ]] || report=$(realpath -m -- "$report")
    export DEMO_TARGET=$target

    BIN_PATH=$(_demo_bin_path | tail -n 1)
    export BIN_PATH
    [[ -x $BIN_PATH/resilience-demo ]] || die "resilience-demo not built in $BIN_PATH" "swift build --product resilience-demo"
    if ((ablate)); then
        [[ $target == local ]] || die "--ablate needs --target local" "each run needs a stack started with its own settings"
        _demo_ablate "$scenario" "$rate"
        exit
    fi

    local -a driver=("$BIN_PATH/resilience-demo" "$scenario" --hook "$DEMO_LIB/fault.sh" --target "$target")
    trap _demo_cleanup EXIT
    trap '_demo_status=130; exit 130' INT TERM
    if [[ $target == local ]]; then
        _demo_local_stack
        local first_port
        read -r first_port _ <<<"$DATA_API_PORTS"
        export DEMO_ADMIN_TOKEN_FILE=$RUN_DIR/secrets/admin-token
        gateway_url=${gateway_url:-http://$(stack_host):$GATEWAY_PORT}
        driver+=(--service-url "http://$(stack_host):$first_port")
        fault_proxy_url=$(stack_address faults)
        replica_urls=$(stack_upstream_urls | tr , ' ')
    else
        export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-$(basename -- "$REPO_ROOT")}
        gateway_url=${gateway_url:-http://127.0.0.1:${GATEWAY_PORT:-8080}}
        local first_url
        read -r first_url _ <<<"${DEMO_DATA_API_URLS:-}"
        [[ -z $first_url ]] || driver+=(--service-url "$first_url")
        replica_urls=${DEMO_DATA_API_URLS:-}
        fault_proxy_url=${DEMO_FAULT_PROXY_URL:-}
    fi
    [[ -z $fault_proxy_url ]] || _demo_restore_args+=(--fault-proxy-url "$fault_proxy_url")
    [[ -z ${DEMO_ADMIN_TOKEN_FILE:-} ]] || _demo_restore_args+=(--admin-token-file "$DEMO_ADMIN_TOKEN_FILE")
    [[ -z $replica_urls ]] || _demo_restore_args+=(--replica-urls "$replica_urls")
    driver+=("${_demo_restore_args[@]}")
    "$DEMO_LIB/fault.sh" check || exit 1
    driver+=(--gateway-url "$gateway_url")
    [[ -z $json ]] || driver+=(--json "$json")
    [[ -z $report ]] || driver+=(--report "$report")
    [[ -z $rate ]] || driver+=(--rate "$rate")
    _demo_stack_found=1
    _demo_status=0
    "${driver[@]}" || _demo_status=$?
}
