# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here are used by the scripts that source this file
# Shared by deploy.sh and rollback.sh: configuration with defaults, and helpers that run gcloud.
# Portable on purpose (bash 3.2 on macOS, GNU and BSD tools): no arrays that may be empty under `set -u`,
# no `sed -i`, no `readlink -f`, no GNU-only flags.

# ---- configuration (every value can be set in the environment; see docs/deploy-gcp.md) ----
: "${PROJECT_ID:=}"
: "${REGION:=europe-central2}"
: "${OFFPEAK_TIMEZONE:=Europe/Warsaw}"
: "${WORKER_SERVICE:=offpeak-worker}"
: "${SCOUT_FUNCTION:=offpeak-scout}"
: "${AR_REPOSITORY:=offpeak}"
: "${IMAGE_NAME:=offpeak-worker}"
: "${WORKER_SA_NAME:=offpeak-worker}"
: "${SCOUT_SA_NAME:=offpeak-scout}"
: "${SCHEDULER_SA_NAME:=offpeak-scheduler}"
: "${TOKEN_STORE_COLLECTION:=offpeak}"
: "${FIRESTORE_LOCATION:=$REGION}"
: "${TESLA_CLIENT_SECRET_NAME:=offpeak-tesla-client-secret}"
: "${TOKEN_ENCRYPTION_KEY_NAME:=offpeak-token-encryption-key}"
: "${SCOUT_STORE_FALLBACK:=true}"
: "${SCHEDULER_LOCATION:=$REGION}"
: "${SCOUT_JOB:=offpeak-scout-tick}"
: "${SCOUT_SCHEDULE:=*/15 * * * *}"
: "${REPLAN_JOB:=offpeak-daily-replan}"
: "${REPLAN_SCHEDULE:=30 13 * * *}"
: "${WORKER_MAX_INSTANCES:=1}"
: "${SCOUT_MAX_INSTANCES:=1}"
: "${SCOUT_ENTRY_POINT:=offpeakScout}"
DEFAULT_BUNDLE_CMD="node deploy/gcp/bundle-scout.mjs"
# The Worker on Cloud Run accepts Google ID tokens only; the check mints one for the Worker URL.
DEFAULT_CHECK_CMD="npx offpeak check-tokens --auth google"
: "${SCOUT_BUNDLE_CMD:=$DEFAULT_BUNDLE_CMD}"
: "${OFFPEAK_CHECK_CMD:=$DEFAULT_CHECK_CMD}"
: "${SKIP_SMOKE_TEST:=false}"
: "${EXTRA_WORKER_CALLERS:=}"

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LIB_DIR/../.." && pwd)
# The directory uploaded to Cloud Build (holds the Dockerfile); overridable so tests need no real build context.
: "${OFFPEAK_SOURCE_ROOT:=$REPO_ROOT}"
: "${SCOUT_SOURCE_DIR:=$REPO_ROOT/dist/scout-function}"
DRY_RUN=false

log() { printf '[offpeak-gcp] %s\n' "$*" >&2; }
die() {
  printf '[offpeak-gcp] ERROR: %s\n' "$*" >&2
  exit 1
}

# Parses the flags both scripts share. $1 is the usage text.
parse_args() {
  local usage=$1
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --dry-run) DRY_RUN=true ;;
      -h | --help)
        printf '%s\n' "$usage"
        exit 0
        ;;
      *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
  done
}

# Checked before any gcloud call, so a missing project never half-deploys into gcloud's default project.
require_config() {
  command -v gcloud >/dev/null 2>&1 || die "gcloud is not on PATH: install the Google Cloud CLI (https://cloud.google.com/sdk)"
  [ -n "$PROJECT_ID" ] || die "PROJECT_ID is required: export PROJECT_ID=<your-project-id> and run again"
  WORKER_SA="$WORKER_SA_NAME@$PROJECT_ID.iam.gserviceaccount.com"
  SCOUT_SA="$SCOUT_SA_NAME@$PROJECT_ID.iam.gserviceaccount.com"
  SCHEDULER_SA="$SCHEDULER_SA_NAME@$PROJECT_ID.iam.gserviceaccount.com"
}

# Reads something from Google Cloud. Runs even with --dry-run: the printed plan then shows real names and URLs.
gcloud_read() { gcloud "$@" --project="$PROJECT_ID" --quiet; }

# Changes something in Google Cloud. With --dry-run it is printed instead (shell-quoted, copy-pastable).
gcloud_change() {
  if [ "$DRY_RUN" = true ]; then
    printf '+ gcloud'
    printf ' %q' "$@" "--project=$PROJECT_ID" --quiet
    printf '\n'
    return 0
  fi
  gcloud "$@" --project="$PROJECT_ID" --quiet
}

# True when a describe succeeds: the resource exists. (A permission error reads as "missing"; the create that
# follows then fails with gcloud's own, clear message.)
exists() { gcloud_read "$@" >/dev/null 2>&1; }

# IAM bindings on a just-created service account can fail for a minute while IAM propagates: retry a little.
with_retry() {
  local attempt=1
  until "$@"; do
    [ "$attempt" -lt 4 ] || return 1
    log "retrying in $((attempt * 10)) s (IAM changes take a moment to propagate)"
    sleep $((attempt * 10))
    attempt=$((attempt + 1))
  done
}

# The revision a Cloud Run service serves now. Refuses a traffic split: neither script makes one, so a split
# means a human is mid-rollout and should choose.
serving_revision() {
  local line revision percent
  line=$(gcloud_read run services describe "$1" --region="$REGION" \
    --format='value(status.traffic[0].revisionName,status.traffic[0].percent)') || return 1
  revision=$(printf '%s' "$line" | cut -f1)
  percent=$(printf '%s' "$line" | cut -f2)
  [ -n "$revision" ] || die "cannot tell which revision of $1 is serving"
  [ "$percent" = "100" ] || die "traffic of $1 is split ($line); route it yourself with gcloud run services update-traffic"
  printf '%s\n' "$revision"
}

# The revision created just before $2 in service $1 (revisions listed newest first).
previous_revision() {
  local found=false revisions revision
  revisions=$(gcloud_read run revisions list --service="$1" --region="$REGION" \
    --sort-by='~metadata.creationTimestamp' --format='value(metadata.name)') || return 1
  for revision in $revisions; do
    if [ "$found" = true ]; then
      printf '%s\n' "$revision"
      return 0
    fi
    [ "$revision" = "$2" ] && found=true
  done
  return 1
}

# A 2nd gen function runs as a Cloud Run service; its name is the last part of serviceConfig.service.
scout_run_service() {
  local service
  service=$(gcloud_read functions describe "$SCOUT_FUNCTION" --gen2 --region="$REGION" \
    --format='value(serviceConfig.service)') || return 1
  printf '%s\n' "${service##*/}"
}

# The end-to-end check of SYSTEM.md: health, token endpoint, token valid at Tesla, repeated requests, status.
smoke_test() {
  local url=$1
  if [ "$SKIP_SMOKE_TEST" = true ]; then
    log "smoke test skipped (SKIP_SMOKE_TEST=true); run it yourself: $OFFPEAK_CHECK_CMD --worker-url $url"
    return 0
  fi
  if [ "$DRY_RUN" = true ]; then
    printf '+ %s --worker-url %q\n' "$OFFPEAK_CHECK_CMD" "$url"
    return 0
  fi
  log "smoke test: $OFFPEAK_CHECK_CMD --worker-url $url"
  # sh -c so that OFFPEAK_CHECK_CMD may be any command line; the URL is passed as a separate argument.
  (cd "$REPO_ROOT" && sh -c "$OFFPEAK_CHECK_CMD \"\$@\"" offpeak-check --worker-url "$url")
}
