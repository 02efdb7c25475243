#!/usr/bin/env bash
# Runs Lockbox: the server with its embedded store, on 127.0.0.1:7420 by default.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" >&2
exec node packages/lockbox/dist/cli/main.js server "$@"
