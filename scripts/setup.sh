#!/usr/bin/env bash
# Installs what Lockbox needs on a fresh machine, and builds it. Sourced by start.sh and test.sh.
# Says on stderr what it is doing, and only when it does it: a fresh clone's install takes minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# better-sqlite3 12 has no prebuilt binary reachable here, so it compiles: it needs python3, make,
# g++ and Node's headers (npm_config_nodedir). bubblewrap is the container sandbox, slirp4netns
# its outbound network; prlimit (util-linux) bounds a container's processes.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
apt_packages=()
for tool in python3:python3 make:make g++:g++ bwrap:bubblewrap slirp4netns:slirp4netns prlimit:util-linux; do
  command -v "${tool%%:*}" >/dev/null || apt_packages+=("${tool##*:}")
done
if [ "${#apt_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${apt_packages[*]} (install them, or run as root)" >&2
    exit 1
  fi
  echo "Installing system packages with apt-get: ${apt_packages[*]}…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}"
fi

# slirp4netns opens /dev/net/tun as the sandbox's user, inside the sandbox's own namespaces. Most
# systems give the device mode 0666 (a user can make a TUN device only in a network namespace of
# its own); some images give it 0600, and outbound networks then fail.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Giving /dev/net/tun its usual mode 0666, for sandboxes' outbound network…" >&2
    chmod 0666 /dev/net/tun
  else
    echo "/dev/net/tun is not mode 0666: sandboxes with network: 'outbound' will fail (as root: chmod 0666 /dev/net/tun)" >&2
  fi
fi

# Install on a fresh clone, and again whenever package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci, about 2 minutes on a fresh clone)…" >&2
  npm ci --no-audit --no-fund
fi

echo "Building…" >&2
npm run build --silent
