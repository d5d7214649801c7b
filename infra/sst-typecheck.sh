#!/usr/bin/env bash
# Typechecks sst.config.ts against the pinned `sst` (package.json). Its types (`$config`, `sst.aws.*`,
# `aws.*`) are the SST platform, which `sst install` unpacks from the sst binary into .sst/platform and
# completes with its Pulumi providers from the npm registry. Pulumi itself (the deploy engine, a
# separate download) is not needed to typecheck, so its check is skipped. Nothing here deploys.
set -euo pipefail
cd "$(dirname "$0")/.."
export SST_STAGE="${SST_STAGE:-typecheck}" SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 DO_NOT_TRACK=1
stamp=".sst/platform/.dougpt-sst-version"
version="$(node -p "require('./node_modules/sst/package.json').version")"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$version" ]]; then
  echo "sst ${version}: unpacking the platform types (sst install)" >&2
  npx --no-install sst install >&2
  echo "$version" > "$stamp"
fi
npx --no-install tsc --noEmit -p tsconfig.sst.json
