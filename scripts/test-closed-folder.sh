#!/usr/bin/env bash
# The container, SDK and example suites again, from a clean clone inside a folder of mode 0700 (as
# a clone under /root is): where Lockbox is installed must not matter to its sandbox. Run after
# `npm test`, which installed the dependencies that the clone copies.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

closed="$(mktemp -d)" # mktemp makes it 0700
trap 'rm -rf "$closed"' EXIT
chmod 700 "$closed"
git clone --quiet . "$closed/lockbox"
# The root's node_modules and the workspaces' own (npm nests a version the root cannot hold): hard
# links where the filesystem allows (fast), else a copy; the workspace links are relative.
for modules in node_modules packages/*/node_modules; do
  [ -d "$modules" ] || continue
  cp -al "$modules" "$closed/lockbox/$modules" 2>/dev/null || cp -a "$modules" "$closed/lockbox/$modules"
done
cd "$closed/lockbox"
echo "Container, SDK and example suites from $PWD (in a folder of mode $(stat -c %a "$closed"))"
npm run build --silent
npx vitest run --project default packages/server/src/containers packages/lockbox/src/sdk examples
