#!/usr/bin/env bash
# A real FastAPI project's own test suite, run as a user moving to AstraAPI would: the backend of
# full-stack-fastapi-template, its tests unchanged, under FastAPI and then under AstraAPI after
# `astraapi migrate --write` (imports only). Not part of the test suite (it needs the network once,
# PostgreSQL and a few minutes); docs/migrating.md has the figures it printed.
#
#   scripts/try_template.sh
#   TEMPLATE_SRC=/path/to/checkout-or-bare-git-dir scripts/try_template.sh   # no download
#   FASTAPI_VERSION=0.165.0 scripts/try_template.sh    # the FastAPI AstraAPI follows, not the lock's
#
# What it does, all under $TRY_DIR (default /tmp/astraapi-try-template; kept for a look afterwards):
#  1. takes the template (git clone, or TEMPLATE_SRC), its backend/, .env and uv.lock; the backend
#     needs Python 3.14, so a syntax-only backport runs first (scripts/try_template/tool.py backport:
#     `except A, B:` parenthesised, forward references in class annotations quoted), in both copies;
#  2. a venv on this checkout's Python with the backend's dependencies pinned as uv.lock says (a pin
#     with no release for this Python is lifted, and said), plus AstraAPI's runtime dependencies;
#  3. a throw-away PostgreSQL cluster on 127.0.0.1 (apt-get installs the server when it is missing and
#     we are root), stopped at the end by its data directory;
#  4. the tests under FastAPI, then, in a migrated copy, under AstraAPI in dynamic mode (this checkout
#     on PYTHONPATH) and in compiled mode (`astraapi build`, then the TestClient serves the build:
#     scripts/try_template/compiled_plugin.py); every response of the FastAPI run and of the dynamic run
#     is recorded and compared (scripts/try_template/record_plugin.py); once more with fastapi and
#     starlette made unimportable (as where only AstraAPI is installed);
#  5. `astraapi routes` and `astraapi inspect` of the migrated app.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE="$ROOT/scripts/try_template"
DIR=${TRY_DIR:-/tmp/astraapi-try-template}
SRC=${TEMPLATE_SRC:-https://github.com/fastapi/full-stack-fastapi-template.git}
PY=${PYTHON:-$ROOT/.venv/bin/python}
APP_REF=app.main:app
say() { printf '\n== %s\n' "$*"; }

ls "$ROOT"/astraapi/_runtime*.so >/dev/null 2>&1 || { echo "no native module in $ROOT/astraapi: run bash scripts/setup.sh" >&2; exit 2; }
rm -rf "$DIR/src" "$DIR/fastapi" "$DIR/astraapi" "$DIR/pg" && mkdir -p "$DIR/src"

say "1. the template"
if [ -d "$SRC" ] && [ -d "$SRC/backend" ]; then
  cp -r "$SRC/backend" "$SRC/.env" "$SRC/uv.lock" "$DIR/src/"
else
  if [ -d "$SRC" ] && [ -f "$SRC/HEAD" ]; then GIT_DIR="$SRC"; else
    rm -rf "$DIR/clone" && git clone --quiet --depth 1 --bare "$SRC" "$DIR/clone" && GIT_DIR="$DIR/clone"; fi
  git --git-dir="$GIT_DIR" log -1 --format='commit %H (%cd)'
  git --git-dir="$GIT_DIR" archive HEAD backend .env uv.lock | tar -x -C "$DIR/src"
fi
cp "$DIR/src/.env" "$DIR/.env"  # the settings read ../.env from the backend folder
cp -r "$DIR/src/backend" "$DIR/fastapi"
"$PY" "$HERE/tool.py" backport "$DIR/fastapi"
cp -r "$DIR/fastapi" "$DIR/astraapi"

say "2. the venv ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
VENV="$DIR/venv${FASTAPI_VERSION:+-$FASTAPI_VERSION}"
"$PY" "$HERE/tool.py" requirements "$DIR/src/backend/pyproject.toml" > "$DIR/requirements.txt"
"$PY" "$HERE/tool.py" constraints "$DIR/src/uv.lock" > "$DIR/constraints.txt"
if [ -n "${FASTAPI_VERSION:-}" ]; then
  grep -viE '^(fastapi|starlette)==' "$DIR/constraints.txt" > "$DIR/c.tmp" || true
  { cat "$DIR/c.tmp"; echo "fastapi==$FASTAPI_VERSION"; } > "$DIR/constraints.txt"
fi
"$PY" "$HERE/tool.py" requirements "$ROOT/pyproject.toml" >> "$DIR/requirements.txt"  # AstraAPI's runtime deps
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
for attempt in 1 2 3 4 5 6; do
  if "$VENV/bin/python" -m pip install -r "$DIR/requirements.txt" -c "$DIR/constraints.txt" > "$DIR/pip.log" 2>&1; then break; fi
  "$PY" "$HERE/tool.py" drop-pin "$DIR/constraints.txt" "$DIR/pip.log" || { grep -v '^WARNING' "$DIR/pip.log" | tail -20; exit 1; }
done
"$VENV/bin/python" -m pip list 2>/dev/null | grep -iE '^(fastapi|starlette|pydantic|sqlmodel|pytest) ' | tr -s ' ' | sed 's/^/  /'

say "3. PostgreSQL on 127.0.0.1"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > "$DIR/apt.log" 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > "$DIR/apt.log" 2>&1; }
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -n "$PGBIN" ] || { echo "no PostgreSQL server (apt-get install postgresql)" >&2; exit 2; }
PGPORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$DIR/pg" && echo changethis > "$DIR/pg/pw"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown -R postgres "$DIR/pg"
as_pg "'$PGBIN/initdb' -D '$DIR/pg/data' -U postgres --pwfile='$DIR/pg/pw' -A scram-sha-256 > '$DIR/pg/initdb.log' 2>&1"
as_pg "'$PGBIN/pg_ctl' -D '$DIR/pg/data' -l '$DIR/pg/server.log' -w -o \"-c listen_addresses=127.0.0.1 -p $PGPORT -k '$DIR/pg'\" start" > /dev/null
trap 'as_pg "\"$PGBIN/pg_ctl\" -D \"$DIR/pg/data\" -m fast -w stop" > /dev/null' EXIT
for db in app_fastapi app_astraapi; do
  PGPASSWORD=changethis "$PGBIN/psql" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "create database $db"
done
echo "  cluster $DIR/pg/data on 127.0.0.1:$PGPORT (postmaster pid $(head -1 "$DIR/pg/data/postmaster.pid"))"

export FASTAPI_ENV=development  # as the template's scripts/tests-start.sh runs them
mkdir -p "$DIR/path" && ln -sfn "$ROOT/astraapi" "$DIR/path/astraapi"
counts() { grep -E ' in [0-9.]+s' "$1" | tail -1 | tr -d '=' | sed 's/^ *//' || true; }

say "4a. its tests under FastAPI"
(cd "$DIR/fastapi" && export DATABASE_URL="postgresql://postgres:changethis@127.0.0.1:$PGPORT/app_fastapi" \
  && "$VENV/bin/python" -m alembic upgrade head > "$DIR/alembic-fastapi.log" 2>&1 \
  && PYTHONPATH="$HERE" RECORD_TO="$DIR/responses-fastapi.jsonl" \
     "$VENV/bin/python" -m pytest -q -p no:cacheprovider -p record_plugin tests > "$DIR/tests-fastapi.log" 2>&1) || true
FASTAPI_RESULT=$(counts "$DIR/tests-fastapi.log"); echo "  FastAPI: $FASTAPI_RESULT"

say "4b. astraapi migrate --write, then its tests under AstraAPI"
"$PY" -m astraapi migrate "$DIR/astraapi" --write
export DATABASE_URL="postgresql://postgres:changethis@127.0.0.1:$PGPORT/app_astraapi"
cd "$DIR/astraapi"
"$VENV/bin/python" -m alembic upgrade head > "$DIR/alembic-astraapi.log" 2>&1
PYTHONPATH="$DIR/path:$HERE" RECORD_TO="$DIR/responses-astraapi.jsonl" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider -p record_plugin tests > "$DIR/tests-astraapi.log" 2>&1 || true
DYNAMIC_RESULT=$(counts "$DIR/tests-astraapi.log"); echo "  AstraAPI, dynamic mode: $DYNAMIC_RESULT"
PYTHONPATH="$DIR/path" "$VENV/bin/python" -m astraapi build "$APP_REF" > "$DIR/build.log" 2>&1 \
  || { tail -20 "$DIR/build.log"; exit 1; }
PYTHONPATH="$DIR/path:$HERE" ASTRA_APP_REF="$APP_REF" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider -p compiled_plugin tests > "$DIR/tests-astraapi-compiled.log" 2>&1 || true
COMPILED_RESULT=$(counts "$DIR/tests-astraapi-compiled.log"); echo "  AstraAPI, compiled mode: $COMPILED_RESULT"
grep -h 'servers started' "$DIR/tests-astraapi-compiled.log" | sed 's/^/  /' || true

# As on a machine where only AstraAPI is installed: fastapi and starlette made unimportable.
mkdir -p "$DIR/blocked/fastapi" "$DIR/blocked/starlette"
for name in fastapi starlette; do
  echo "raise ImportError('$name imported after the migration')" > "$DIR/blocked/$name/__init__.py"
done
PYTHONPATH="$DIR/blocked:$DIR/path" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests > "$DIR/tests-astraapi-alone.log" 2>&1 || true
ALONE_RESULT=$(counts "$DIR/tests-astraapi-alone.log"); echo "  AstraAPI, fastapi/starlette unimportable: $ALONE_RESULT"

say "4c. the responses of both runs (status, headers but date/server, body; UUIDs, JWTs, times normalised)"
"$PY" "$HERE/tool.py" compare "$DIR/responses-fastapi.jsonl" "$DIR/responses-astraapi.jsonl" || true

say "5. astraapi routes / inspect"
PYTHONPATH="$DIR/path" "$VENV/bin/python" -m astraapi routes "$APP_REF" 2> /dev/null | tail -1
PYTHONPATH="$DIR/path" "$VENV/bin/python" -m astraapi inspect "$APP_REF" 2> /dev/null | grep -A8 'fully compiled'

say "summary (logs in $DIR)"
echo "  FastAPI:                  $FASTAPI_RESULT"
echo "  AstraAPI, dynamic mode:   $DYNAMIC_RESULT"
echo "  AstraAPI, compiled mode:  $COMPILED_RESULT"
echo "  AstraAPI alone:           $ALONE_RESULT (fastapi, starlette unimportable)"
