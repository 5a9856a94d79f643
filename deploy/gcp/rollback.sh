#!/usr/bin/env bash
# Rolls offpeak back one step on Google Cloud: the Worker and the Scout each serve their previous revision
# again, then the smoke test runs. Nothing is rebuilt: a revision is an immutable, already-built deployment
# (for the Scout, a 2nd gen function's revisions are revisions of its Cloud Run service). Every run steps one
# more revision back; the next deploy.sh sends traffic to its new revisions again.
# Usage: PROJECT_ID=my-project deploy/gcp/rollback.sh [--dry-run]
#   ROLLBACK_WORKER_REVISION / ROLLBACK_SCOUT_REVISION pick a revision instead of "the one before".
#   ROLLBACK_TARGETS="worker" or "scout" rolls back one side only (default: "worker scout").
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

USAGE="Usage: PROJECT_ID=<project> $0 [--dry-run]
  --dry-run   print the traffic changes instead of making them
Environment: ROLLBACK_WORKER_REVISION, ROLLBACK_SCOUT_REVISION, ROLLBACK_TARGETS (see docs/deploy-gcp.md)"

: "${ROLLBACK_TARGETS:=worker scout}"
: "${ROLLBACK_WORKER_REVISION:=}"
: "${ROLLBACK_SCOUT_REVISION:=}"

# One plan line "label service current target": the revision to go back to, or the one before the serving one.
plan_for() {
  local label=$1 service=$2 target=$3 current
  current=$(serving_revision "$service")
  if [ -z "$target" ]; then
    target=$(previous_revision "$service" "$current") ||
      die "$label ($service): no revision older than $current to go back to"
  fi
  [ "$target" != "$current" ] || die "$label ($service) already serves $target"
  printf '%s %s %s %s\n' "$label" "$service" "$current" "$target"
}

main() {
  parse_args "$USAGE" "$@"
  require_config
  local plan="" item service label current target worker_url
  # Everything is planned before anything changes, so a rollback never stops half-way for want of a target.
  for item in $ROLLBACK_TARGETS; do
    case $item in
      worker) plan="$plan$(plan_for Worker "$WORKER_SERVICE" "$ROLLBACK_WORKER_REVISION")
" ;;
      scout)
        service=$(scout_run_service) || die "cannot find the Cloud Run service of function $SCOUT_FUNCTION"
        plan="$plan$(plan_for Scout "$service" "$ROLLBACK_SCOUT_REVISION")
"
        ;;
      *) die "ROLLBACK_TARGETS may contain only 'worker' and 'scout', not '$item'" ;;
    esac
  done
  while read -r label service current target; do
    [ -n "$label" ] || continue
    log "$label ($service): $current -> $target"
    gcloud_change run services update-traffic "$service" --region="$REGION" --to-revisions="$target=100"
    if [ "$DRY_RUN" != true ]; then
      current=$(serving_revision "$service")
      [ "$current" = "$target" ] || die "$label ($service) serves $current after the rollback, not $target"
    fi
  done <<EOF_PLAN
$plan
EOF_PLAN
  worker_url=$(gcloud_read run services describe "$WORKER_SERVICE" --region="$REGION" --format='value(status.url)')
  smoke_test "$worker_url" || die "smoke test failed after the rollback; inspect the logs: gcloud run services logs read $WORKER_SERVICE --region=$REGION --project=$PROJECT_ID"
  log "rolled back; deploy/gcp/deploy.sh returns traffic to the newest revisions when you deploy again"
}

main "$@"
