#!/usr/bin/env bash
# Builds the web UI with Vite into OUTDIR (default web/dist) and writes a gzip variant
# beside every compressible file, which tools/embed.c embeds next to the original.
#
#   scripts/web-build.sh build/release/web/dist
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-web/dist}
case "$out" in /*) ;; *) out=$root/$out ;; esac
mkdir -p "$(dirname "$out")"
cd "$root/web"
echo "web-build: vite build -> ${out#$root/}"
npm run --silent build -- --outDir "$out" --emptyOutDir --logLevel warn
find "$out" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \
    -o -name '*.json' -o -name '*.txt' \) -size +1k -exec gzip -9 -n -k -f {} +
