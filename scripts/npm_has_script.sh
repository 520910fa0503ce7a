#!/usr/bin/env bash
# Exit 0 when frontend/package.json defines the npm script named $1.
[ -f frontend/package.json ] || exit 1
node -e 'process.exit((require("./frontend/package.json").scripts || {})[process.argv[1]] ? 0 : 1)' "$1"
