#!/usr/bin/env bash
# Runs once, when the PostgreSQL container of compose.yaml initialises its data
# directory (/docker-entrypoint-initdb.d): one role and one database per
# service, each role able to connect to its own database only.
#
# Environment: BIZMALL_SERVICES (service names, space-separated),
# <SERVICE>_DB_PASSWORD for each, BIZMALL_DB_PREFIX (default `bizmall_`), which
# names both the role and the database (`bizmall_identity`).
set -euo pipefail

prefix="${BIZMALL_DB_PREFIX:-bizmall_}"
sql() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
    --username "${POSTGRES_USER:-postgres}" --dbname postgres "$@"
}

for service in ${BIZMALL_SERVICES:?BIZMALL_SERVICES is not set}; do
  password_var="${service^^}_DB_PASSWORD"
  name="${prefix}${service}"
  sql -v name="$name" -v password="${!password_var:?$password_var is not set}" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
done

# Every database is closed to PUBLIC, the maintenance ones included, so a
# service's role reaches nothing but its own database.
sql <<'SQL'
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
SQL
