#!/usr/bin/env bash
# Three scripts/build-static runs started at once on one machine (two into
# the same output directory) must all succeed: they take turns on the cache
# lock, the libraries are built once, into a temporary directory renamed
# into place, and the cache directory is named by the versions built.
#
# Usage: tests/static/concurrent_build.sh [--fresh-cache]
#   --fresh-cache  start from an empty cache (the libraries are built:
#                  minutes, and the Debian archive is asked for sources);
#                  default: the normal cache ($PREDEPLOY_STATIC_CACHE or
#                  ~/.cache/predeploy-static), usually warm (seconds).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache=${PREDEPLOY_STATIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/predeploy-static}
[ "${1:-}" = --fresh-cache ] && cache=$tmp/cache
fail() { echo "FAIL: $*" >&2; for f in "$tmp"/run*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

pids=()
for i in 1 2 3; do
  o=$tmp/out$(( i == 3 ? 1 : i ))
  PREDEPLOY_STATIC_CACHE=$cache PREDEPLOY_STATIC_OUT=$o scripts/build-static >"$tmp/run$i.log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  wait "${pids[$i]}" || fail "run $((i + 1)) exited with $?"
done
for o in out1 out2; do
  "$tmp/$o/predeploy" --version >"$tmp/$o.version" || fail "$o/predeploy --version"
done
cmp -s "$tmp/out1.version" "$tmp/out2.version" || fail "the two binaries report different versions"

# exactly one complete build in the cache, no temporary directory left
builds=()
for d in "$cache"/*/; do
  d=${d%/}
  case "$(basename "$d")" in apt|index) continue ;; esac
  builds+=("$d")
done
[ ${#builds[@]} -eq 1 ] || fail "expected one build in $cache, found: ${builds[*]}"
key=$(basename "${builds[0]}")
[ -f "${builds[0]}/VERSIONS" ] || fail "$key has no VERSIONS"
# the key names what VERSIONS says was built (the cache key's own spelling:
# characters other than A-Za-z0-9._- become _)
for src in openssl curl zlib libdeflate postgresql; do
  v=$(awk -v s="$src" 'index($1, s) == 1 { print $2 }' "${builds[0]}/VERSIONS" | tr -c 'A-Za-z0-9._\n-' '_')
  [ -n "$v" ] || fail "no $src in VERSIONS"
  case "$key" in *"$v"*) ;; *) fail "cache key $key does not name $src $v" ;; esac
done
# and the binary was built with that OpenSSL
ssl=$(awk '$1 == "openssl" { print $2 }' "${builds[0]}/VERSIONS")
grep -q "OpenSSL/${ssl%%-*}" "$tmp/out1.version" || fail "binary: $(cat "$tmp/out1.version"), built: openssl $ssl"
echo "ok: 3 concurrent runs succeeded; cache $key"
