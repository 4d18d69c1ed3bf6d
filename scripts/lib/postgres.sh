#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/postgres.sh: a local PostgreSQL server for the stack, data in .run/pg.
# Source it after (or instead of) common.sh; executing it only prints this help.
#
## The server runs as OS user postgres (it refuses root) from PG_BIN. The cluster
## has no superuser reachable over TCP: local socket access is peer-only (user
## postgres), TCP is scram-sha-256 only, and the application gets a plain role
## (NOSUPERUSER NOCREATEDB NOCREATEROLE) owning its own database. The role's
## password is generated once into .run/secrets/postgres-password (mode 600)
## and never printed.
##
## Functions:
##   pg_prepare               initdb .run/pg once (owned by postgres, mode 700), write
##                            the per-run settings (port, address, socket, pg_hba)
##   pg_provision             create or update the app role and database, check a
##                            TCP login (once the server accepts connections)
##   pg_stop [fast|immediate] pg_ctl stop -m MODE (default PG_STOP_MODE or fast): the
##                            server exits 0, which supervisord does not restart
##   pg_ready                 true when it accepts connections (pg_isready)
##   pg_url                   print postgresql://USER@HOST:PORT/DB (no password)
##   pg_psql_admin [ARG...]   psql as user postgres over the unix socket
##
## Environment read (defaults in brackets):
##   PG_BIN [/usr/lib/postgresql/15/bin, else the newest installed]
##   BIND_HOST [127.0.0.1]  listen address
##   PG_PORT [55432]        PG_APP_USER [app]       PG_APP_DB [app]
##   PG_DATA [.run/pg]      PG_SOCKET_DIR [.run/pg-socket]
##   PG_STOP_MODE [fast]    PG_START_TIMEOUT [60]  (seconds pg_ctl stop may take)

set -euo pipefail

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

if [[ -n ${_RS_POSTGRES_LOADED:-} ]]; then
    return 0
fi
_RS_POSTGRES_LOADED=1

_pg_detect_bin() {
    if [[ -n ${PG_BIN:-} ]]; then
        printf '%s\n' "$PG_BIN"
        return
    fi
    if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
        return
    fi
    local dir best=""
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x $dir/pg_ctl ]] && best=$dir
    done
    printf '%s\n' "${best:-/usr/lib/postgresql/15/bin}"
}

PG_BIN=$(_pg_detect_bin)
PG_HOST=${BIND_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-55432}
PG_DATA=${PG_DATA:-$RUN_DIR/pg}
PG_APP_USER=${PG_APP_USER:-app}
PG_APP_DB=${PG_APP_DB:-app}
PG_STOP_MODE=${PG_STOP_MODE:-fast}
PG_START_TIMEOUT=${PG_START_TIMEOUT:-60}
PG_LOG=$LOG_DIR/postgres.log
PG_PASSWORD_FILE=$SECRETS_DIR/postgres-password
PG_OS_USER=postgres
# A unix socket path is limited to 107 bytes: fall back to /tmp for deep checkouts.
if [[ -z ${PG_SOCKET_DIR:-} ]]; then
    PG_SOCKET_DIR=$RUN_DIR/pg-socket
    if ((${#PG_SOCKET_DIR} > 90)); then
        PG_SOCKET_DIR=${TMPDIR:-/tmp}/rs-pg-$(printf '%s' "$RUN_DIR" | md5sum | cut -c1-10)
    fi
fi

# ---------------------------------------------------------------- helpers

_pg_as_owner() { runuser -u "$PG_OS_USER" -- "$@"; }

_pg_require_server() {
    [[ -x $PG_BIN/pg_ctl && -x $PG_BIN/initdb ]] ||
        die "PostgreSQL server binaries not found in $PG_BIN" \
            "install them: apt-get install postgresql (Debian 12 ships version 15), or set PG_BIN"
    id -u "$PG_OS_USER" >/dev/null 2>&1 ||
        die "OS user $PG_OS_USER does not exist" "it comes with the postgresql package: apt-get install postgresql"
    need_root "running PostgreSQL (as user $PG_OS_USER, through runuser)"
    require_cmd runuser "runuser comes with util-linux: apt-get install util-linux"
}

_pg_validate() {
    valid_port "$PG_PORT" || die "PG_PORT must be a TCP port number (got '$PG_PORT')"
    local ident
    for ident in "$PG_APP_USER" "$PG_APP_DB"; do
        [[ $ident =~ ^[a-z_][a-z0-9_]*$ ]] ||
            die "PG_APP_USER/PG_APP_DB must be lower-case SQL identifiers (got '$ident')"
    done
}

_pg_sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# ---------------------------------------------------------------- state

pg_ready() {
    "$PG_BIN/pg_isready" -q -t 2 -h "$(connect_host "$PG_HOST")" -p "$PG_PORT" >/dev/null 2>&1
}

pg_url() {
    printf 'postgresql://%s@%s:%s/%s\n' "$PG_APP_USER" "$(connect_host "$PG_HOST")" "$PG_PORT" "$PG_APP_DB"
}

# ---------------------------------------------------------------- init

_pg_init() {
    _pg_require_server
    _pg_validate
    ensure_run_layout
    ensure_secret "$PG_PASSWORD_FILE"
    _pg_as_owner test -x "$RUN_DIR" ||
        die "user $PG_OS_USER cannot enter $RUN_DIR (a parent directory is not world-searchable)" \
            "run from a checkout under a world-searchable path, or set RUN_DIR to one (e.g. RUN_DIR=/var/tmp/rs-run)"

    if [[ -f $PG_DATA/PG_VERSION ]]; then
        chown -R "$PG_OS_USER:$PG_OS_USER" "$PG_DATA"
        chmod 700 "$PG_DATA"
        return 0
    fi
    if [[ -d $PG_DATA ]] && [[ -n $(ls -A "$PG_DATA") ]]; then
        die "$PG_DATA exists, is not empty and holds no PostgreSQL cluster" \
            "remove it (scripts/down --purge deletes all of .run/) and re-run"
    fi
    mkdir -p "$PG_DATA"
    chown -R "$PG_OS_USER:$PG_OS_USER" "$PG_DATA"
    chmod 700 "$PG_DATA"

    local initdb_log=$LOG_DIR/postgres-initdb.log
    info "initialising a PostgreSQL cluster in $(rel_path "$PG_DATA") (log: $(rel_path "$initdb_log"))"
    if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_OS_USER" -E UTF8 --no-locale \
        --auth-local=peer --auth-host=scram-sha-256 >"$initdb_log" 2>&1; then
        tail -n 20 "$initdb_log" >&2 || true
        rm -rf "$PG_DATA"
        die "initdb failed (see above and $initdb_log)" "fix the cause and re-run"
    fi
    # Per-run settings (port, address, socket) live in stack.conf, rewritten at each start.
    printf "\n# Added by scripts/lib/postgres.sh\ninclude_if_exists = 'stack.conf'\n" >>"$PG_DATA/postgresql.conf"
}

_pg_write_config() {
    local conf=$PG_DATA/stack.conf hba=$PG_DATA/pg_hba.conf
    {
        printf '# Generated by scripts/lib/postgres.sh at each start: change PG_* variables instead.\n'
        printf 'listen_addresses = %s\n' "$(_pg_sql_quote "$PG_HOST")"
        printf 'port = %s\n' "$PG_PORT"
        printf 'unix_socket_directories = %s\n' "$(_pg_sql_quote "$PG_SOCKET_DIR")"
        printf 'unix_socket_permissions = 0770\n'
        printf "password_encryption = 'scram-sha-256'\n"
        printf "log_line_prefix = '%%m [%%p] %%q%%u@%%d '\n"
        printf "log_timezone = 'UTC'\n"
        printf "timezone = 'UTC'\n"
    } >"$conf"
    {
        printf '# Generated by scripts/lib/postgres.sh at each start.\n'
        printf '# TYPE  DATABASE  USER      ADDRESS         METHOD\n'
        printf 'local   all       %-9s %-15s peer\n' "$PG_OS_USER" ""
        printf 'host    all       all       127.0.0.1/32    scram-sha-256\n'
        printf 'host    all       all       ::1/128         scram-sha-256\n'
        case $PG_HOST in
            127.0.0.1 | localhost | ::1) ;;
            *) printf 'host    all       all       all             scram-sha-256\n' ;;
        esac
    } >"$hba"
    chown "$PG_OS_USER:$PG_OS_USER" "$conf" "$hba"
    chmod 600 "$conf" "$hba"
}

# ---------------------------------------------------------------- admin access

pg_psql_admin() {
    _pg_as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -d postgres "$@"
}

# Creates the app role and database when missing and (re)sets the role's password
# from the secret file. The password travels on psql's stdin, never in argv, and
# statement logging is off for the session so it does not reach the server log.
_pg_ensure_app_role() {
    local password out
    password=$(<"$PG_PASSWORD_FILE")
    [[ -n $password ]] || die "$PG_PASSWORD_FILE is empty" "delete it and re-run to generate a new one"
    if ! out=$(
        printf '%s\n' \
            "SET log_statement = 'none';" \
            "SET log_min_error_statement = 'panic';" \
            "SET log_min_duration_statement = -1;" \
            "SELECT format('CREATE ROLE %I LOGIN', '$PG_APP_USER') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_APP_USER') \\gexec" \
            "ALTER ROLE $PG_APP_USER WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD $(_pg_sql_quote "$password");" \
            "SELECT format('CREATE DATABASE %I OWNER %I', '$PG_APP_DB', '$PG_APP_USER') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_APP_DB') \\gexec" \
            "REVOKE ALL ON DATABASE $PG_APP_DB FROM PUBLIC;" \
            "GRANT ALL ON DATABASE $PG_APP_DB TO $PG_APP_USER;" |
            pg_psql_admin -f - 2>&1
    ); then
        die "could not create the PostgreSQL role/database: $(redact "$out" "$password")" \
            "see $(rel_path "$PG_LOG")"
    fi
}

_pg_check_app_login() {
    local password out
    password=$(<"$PG_PASSWORD_FILE")
    if ! out=$(PGPASSWORD=$password PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At \
        -h "$(connect_host "$PG_HOST")" -p "$PG_PORT" -U "$PG_APP_USER" -d "$PG_APP_DB" \
        -c 'SELECT 1' 2>&1); then
        die "role $PG_APP_USER cannot log in over TCP: $(redact "$out" "$password")" \
            "see $(rel_path "$PG_LOG"); scripts/down --purge resets the cluster"
    fi
}

# ---------------------------------------------------------------- start / stop

pg_prepare() {
    _pg_init
    _pg_write_config
    mkdir -p "$PG_SOCKET_DIR"
    chown "$PG_OS_USER:$PG_OS_USER" "$PG_SOCKET_DIR"
    chmod 755 "$PG_SOCKET_DIR"
}

pg_provision() {
    _pg_ensure_app_role
    _pg_check_app_login
}

pg_stop() {
    local mode=${1:-$PG_STOP_MODE}
    case $mode in
        fast | immediate | smart) ;;
        *) die "pg_stop: mode must be fast or immediate (got '$mode')" ;;
    esac
    [[ -f $PG_DATA/postmaster.pid ]] || { info "PostgreSQL not running"; return 0; }
    need_root "stopping PostgreSQL (pg_ctl runs as user $PG_OS_USER)"
    info "stopping PostgreSQL (mode $mode)"
    _pg_as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m "$mode" -w -t "$PG_START_TIMEOUT" -s >&2 ||
        die "pg_ctl stop failed" "see $(rel_path "$PG_LOG")"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
