#!/usr/bin/env bash
# Start the local PostgreSQL and Redis that the tests (and benchmarks) use, when they are not up.
# Used by `make test` and so by .ci/run. Under CI a service that can't be started is a failure;
# elsewhere it is a warning and the tests that need it skip.
set -uo pipefail

in_ci() { [[ "${CI:-}" =~ ^(1|true|yes|TRUE|True)$ ]]; }
fail() {
  echo "services: $*" >&2
  if in_ci; then exit 1; fi
}
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() {
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done
  return 1
}

if up 5432; then
  echo "services: PostgreSQL is up on 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "services: starting PostgreSQL"
  # shellcheck disable=SC2046  # one cluster version folder
  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
  wait_up 5432 || fail "PostgreSQL did not come up on 127.0.0.1:5432"
else
  fail "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not installed"
fi

if up 6379; then
  echo "services: Redis is up on 127.0.0.1:6379"
elif command -v redis-server >/dev/null; then
  echo "services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_up 6379 || fail "Redis did not come up on 127.0.0.1:6379"
else
  fail "Redis is not running on 127.0.0.1:6379 and redis-server is not installed"
fi
exit 0
