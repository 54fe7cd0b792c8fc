#!/usr/bin/env bash
# Test setup (run by `make pytest`): the PostgreSQL half of the suite starts a throwaway cluster from the
# installed server binaries (tests/pg_cluster.py). Install them when they are missing and this user may
# (root with apt-get, as on CI); otherwise say once how, and the PostgreSQL variants are skipped.
# ORCHESTRA_TEST_BACKENDS=sqlite (or TEST_DATABASE_URL, an existing server) needs no binaries.
set -euo pipefail
case ",${ORCHESTRA_TEST_BACKENDS:-sqlite,postgres}," in *,postgres,*) ;; *) exit 0 ;; esac
[ -n "${TEST_DATABASE_URL:-}" ] && exit 0
if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then exit 0; fi
if ls /usr/lib/postgresql/*/bin/initdb /usr/local/bin/initdb >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tests: installing PostgreSQL (apt-get install postgresql) for the PostgreSQL half of the suite" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
else
    echo "tests: no PostgreSQL server binaries (apt-get install postgresql, or PG_BINDIR=...): the PostgreSQL" \
         "variants will be skipped; ORCHESTRA_TEST_BACKENDS=sqlite runs SQLite only" >&2
fi
