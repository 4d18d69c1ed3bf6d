#!/usr/bin/env bash
# Entrypoint of the postgres stand-in: the official image's behaviour for the
# variables compose.yaml uses. As root: prepare $PGDATA and the socket folder,
# read *_FILE secrets, then re-exec as postgres (setpriv; gosu is not needed).
set -Eeuo pipefail

# file_env VAR: VAR or VAR_FILE (not both), like the official entrypoint.
file_env() {
    local var=$1 fvar="${1}_FILE" def=${2:-} val
    if [[ -n ${!var:-} && -n ${!fvar:-} ]]; then
        echo "error: both $var and $fvar are set (but are exclusive)" >&2
        exit 1
    fi
    val=$def
    if [[ -n ${!var:-} ]]; then
        val=${!var}
    elif [[ -n ${!fvar:-} ]]; then
        val=$(<"${!fvar}")
    fi
    export "$var"="$val"
    unset "$fvar"
}

if [[ ${1:0:1} == - ]]; then
    set -- postgres "$@"
fi

if [[ $1 == postgres && $(id -u) == 0 ]]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 00700 "$PGDATA"
    chmod 03775 /var/run/postgresql
    find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
    # Read the secret while still root (a bind-mounted file may be root-only).
    file_env POSTGRES_PASSWORD
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi

if [[ $1 == postgres && ! -s $PGDATA/PG_VERSION ]]; then
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    if [[ -z $POSTGRES_PASSWORD && $auth != trust ]]; then
        echo "error: database is uninitialized and superuser password is not specified" >&2
        echo "  set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), or POSTGRES_HOST_AUTH_METHOD=trust" >&2
        exit 1
    fi
    pwfile=$(mktemp /tmp/pgpw.XXXXXX)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    # UTF8 like the official image (its locale is en_US.utf8): the C locale of
    # this base image would give SQL_ASCII, where char_length counts bytes.
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
        --auth-host="$auth" --encoding=UTF8 -D "$PGDATA" >/dev/null
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
    # A temporary server on the socket only, to create the database.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start >/dev/null
    if [[ $POSTGRES_DB != postgres ]]; then
        psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$POSTGRES_USER" -d postgres -q \
            -c "CREATE DATABASE \"$POSTGRES_DB\""
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "PostgreSQL init process complete; ready for start up."
fi
unset POSTGRES_PASSWORD

if [[ $1 == postgres ]]; then
    shift
    exec postgres -c listen_addresses='*' -k /var/run/postgresql "$@"
fi
exec "$@"
