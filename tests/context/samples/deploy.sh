#!/usr/bin/env bash
# Deploys the service to a host.
set -euo pipefail

readonly DEFAULT_HOST="staging.example.com"
export DEPLOY_USER="deploy"

# Copies the build to the host.
upload() {
  local host="$1"
  scp -r build/ "$DEPLOY_USER@$host:/srv/app" # BODY_MARKER
}

# Restarts the service on the host.
function restart {
  ssh "$DEPLOY_USER@$1" sudo systemctl restart app # BODY_MARKER
}

upload "${1:-$DEFAULT_HOST}"
restart "${1:-$DEFAULT_HOST}"
