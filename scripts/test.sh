#!/usr/bin/env bash
# Runs every suite: lint, type check, then all tests (unit, API on loopback, CLI as a process).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# The dashboard's tests drive Debian's Chromium, as Playwright cannot download its own browser
# here; only the tests need it.
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# The `postgres` Vitest project runs the store, service and API tests again on a PostgreSQL
# server it starts itself, as a non-root user on a port of its own; only the binaries are needed,
# not the cluster the package may create on 5432.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi

# The metrics tests start Debian's Prometheus on loopback with a config of their own, and lint
# the scraped text with its promtool; the service the package may start (on 9090) is not used,
# each test's Prometheus takes a free port of its own.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus
fi

# The sandbox's network test makes a network namespace and a veth pair with iproute2's `ip`.
if ! command -v ip >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2
fi

npm run lint --silent
mkdir -p test-artifacts && rm -f test-artifacts/vitest.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
node -e '
  const r = require("./test-artifacts/vitest.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
'
exit "$status"
