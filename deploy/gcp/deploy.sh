#!/usr/bin/env bash
# Deploys offpeak to Google Cloud: the Worker (Cloud Run, sole owner of the Tesla tokens), then the Scout
# (Cloud Function, 2nd gen), then the Cloud Scheduler jobs, then checks what is serving and runs the smoke test.
# Idempotent: every run converges the project to the same state and creates only what is missing.
# Usage: PROJECT_ID=my-project deploy/gcp/deploy.sh [--dry-run]      (configuration: docs/deploy-gcp.md)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

USAGE="Usage: PROJECT_ID=<project> $0 [--dry-run]
  --dry-run   print the commands that would change the project (reads still run)
Configuration comes from the environment; defaults and meaning: docs/deploy-gcp.md"

# Non-secret settings handed to the services when set in the deployer's environment. Secrets are never
# passed this way: they go by Secret Manager reference only.
WORKER_PASSTHROUGH="TESLA_CLIENT_ID TESLA_AUTH_URL TESLA_API_URL TESLA_COMMAND_PROXY_URL HOME_LATITUDE HOME_LONGITUDE HOME_RADIUS_M OFFPEAK_ACCOUNT LOG_LEVEL"
SCOUT_PASSTHROUGH="TESLA_API_URL HOME_LATITUDE HOME_LONGITUDE HOME_RADIUS_M OFFPEAK_ACCOUNT SCOUT_INTERVAL_MIN LOG_LEVEL"

# Env vars go to gcloud with '|' as the pair separator (gcloud's "^|^" syntax) because
# WORKER_ALLOWED_CALLERS and WORKER_AUDIENCES are comma-separated lists.
env_pairs() {
  local pairs=$1 name value
  for name in $2; do
    value=${!name:-}
    [ -n "$value" ] && pairs="$pairs|$name=$value"
  done
  case $pairs in *'||'* | '|'* ) die "empty environment setting in: $pairs" ;; esac
  printf '%s\n' "$pairs"
}

# "a,b" + "c" without duplicates or empty items.
join_unique() {
  local out="" item
  for item in "$@"; do
    [ -n "$item" ] || continue
    case ",$out," in *",$item,"*) ;; *) out="${out:+$out,}$item" ;; esac
  done
  printf '%s\n' "$out"
}

preflight() {
  [ -f "$OFFPEAK_SOURCE_ROOT/Dockerfile" ] || die "no Dockerfile in $OFFPEAK_SOURCE_ROOT: the Worker image is built from it"
  # Local tools used after the Worker is already deployed: find out now, not half-way.
  if [ "$SCOUT_BUNDLE_CMD" = "$DEFAULT_BUNDLE_CMD" ] && [ ! -d "$REPO_ROOT/node_modules/esbuild" ]; then
    die "the Scout bundler needs the dev dependencies: run npm ci first"
  fi
  if [ "$OFFPEAK_CHECK_CMD" = "$DEFAULT_CHECK_CMD" ] && [ "$SKIP_SMOKE_TEST" != true ] && [ ! -f "$REPO_ROOT/dist/src/cli.js" ]; then
    die "the smoke test runs the built CLI: run npm run build first (or set SKIP_SMOKE_TEST=true)"
  fi
  local secret
  for secret in "$TESLA_CLIENT_SECRET_NAME" "$TOKEN_ENCRYPTION_KEY_NAME"; do
    exists secrets describe "$secret" && continue
    # The script never handles secret values; the operator creates them once, without a value on a command line.
    local how="create it once, pasting the value on stdin (end with Ctrl-D): gcloud secrets create $secret --project=$PROJECT_ID --replication-policy=automatic --data-file=-"
    local what="secret $secret not found in Secret Manager (or its API is not enabled yet)"
    if [ "$DRY_RUN" = true ]; then log "WARNING: $what; $how"; else die "$what; $how"; fi
  done
}

enable_apis() {
  log "enabling APIs"
  # iamcredentials: minting ID tokens for impersonated service accounts (the smoke test from a workstation).
  gcloud_change services enable run.googleapis.com cloudfunctions.googleapis.com cloudbuild.googleapis.com \
    artifactregistry.googleapis.com cloudscheduler.googleapis.com secretmanager.googleapis.com \
    firestore.googleapis.com iam.googleapis.com iamcredentials.googleapis.com
}

ensure_service_account() {
  local name=$1 title=$2
  if exists iam service-accounts describe "$name@$PROJECT_ID.iam.gserviceaccount.com"; then
    log "service account $name exists"
  else
    gcloud_change iam service-accounts create "$name" --display-name="$title"
  fi
}

ensure_storage() {
  if exists artifacts repositories describe "$AR_REPOSITORY" --location="$REGION"; then
    log "Artifact Registry repository $AR_REPOSITORY exists"
  else
    gcloud_change artifacts repositories create "$AR_REPOSITORY" --location="$REGION" \
      --repository-format=docker --description="offpeak Worker images"
  fi
  if exists firestore databases describe --database='(default)'; then
    log "Firestore database exists"
  else
    gcloud_change firestore databases create --database='(default)' --location="$FIRESTORE_LOCATION" --type=firestore-native
  fi
}

# Least privilege: each identity gets only what its code does (docs/deploy-gcp.md explains each grant).
grant_data_access() {
  local secret member="serviceAccount:$WORKER_SA"
  for secret in "$TESLA_CLIENT_SECRET_NAME" "$TOKEN_ENCRYPTION_KEY_NAME"; do
    with_retry gcloud_change secrets add-iam-policy-binding "$secret" --member="$member" \
      --role=roles/secretmanager.secretAccessor >/dev/null
  done
  with_retry gcloud_change projects add-iam-policy-binding "$PROJECT_ID" --member="$member" \
    --role=roles/datastore.user --condition=None >/dev/null
  if [ "$SCOUT_STORE_FALLBACK" = true ]; then
    # The fallback reads the current access token from the store when the Worker is down: read-only data
    # access, and the key to decrypt it. Never the Tesla client secret: the Scout cannot refresh.
    with_retry gcloud_change projects add-iam-policy-binding "$PROJECT_ID" --member="serviceAccount:$SCOUT_SA" \
      --role=roles/datastore.viewer --condition=None >/dev/null
    with_retry gcloud_change secrets add-iam-policy-binding "$TOKEN_ENCRYPTION_KEY_NAME" \
      --member="serviceAccount:$SCOUT_SA" --role=roles/secretmanager.secretAccessor >/dev/null
  fi
}

# Builds the Worker image and sets IMAGE and DIGEST. The deploy uses the digest, never a tag: deploying
# ":latest" once produced no new revision, and a digest says exactly what runs.
build_image() {
  local tag
  tag=$(date -u +%Y%m%d-%H%M%S)
  IMAGE="$REGION-docker.pkg.dev/$PROJECT_ID/$AR_REPOSITORY/$IMAGE_NAME"
  log "building $IMAGE:$tag with Cloud Build from $OFFPEAK_SOURCE_ROOT/Dockerfile"
  gcloud_change builds submit "$OFFPEAK_SOURCE_ROOT" --tag="$IMAGE:$tag"
  if [ "$DRY_RUN" = true ]; then
    DIGEST="sha256:DIGEST-OF-THE-NEW-BUILD"
    return 0
  fi
  DIGEST=$(gcloud_read artifacts docker images describe "$IMAGE:$tag" --format='value(image_summary.digest)')
  [[ $DIGEST =~ ^sha256:[0-9a-f]{64}$ ]] || die "could not read the digest of $IMAGE:$tag (got '$DIGEST')"
  log "built $IMAGE@$DIGEST"
}

deploy_worker() {
  local project_number existing_url audiences callers env member
  project_number=$(gcloud_read projects describe "$PROJECT_ID" --format='value(projectNumber)')
  existing_url=$(gcloud_read run services describe "$WORKER_SERVICE" --region="$REGION" --format='value(status.url)' 2>/dev/null || true)
  # The audience the Scout puts in its ID token is the Worker URL. On the very first deploy the URL is not
  # known yet, so the deterministic URL is used and the real one is added right after (below).
  audiences=$(join_unique "$existing_url" "https://$WORKER_SERVICE-$project_number.$REGION.run.app")
  callers=$(join_unique "$SCOUT_SA" "$SCHEDULER_SA" "$EXTRA_WORKER_CALLERS")
  # HOST: Cloud Run routes to 0.0.0.0:$PORT; the local default 127.0.0.1 would be unreachable.
  env=$(env_pairs "TOKEN_STORE=firestore:$TOKEN_STORE_COLLECTION|GOOGLE_CLOUD_PROJECT=$PROJECT_ID|OFFPEAK_TIMEZONE=$OFFPEAK_TIMEZONE|WORKER_AUTH_MODE=google|WORKER_ALLOWED_CALLERS=$callers|WORKER_AUDIENCES=$audiences|HOST=0.0.0.0|LOG_FORMAT=json" "$WORKER_PASSTHROUGH")

  log "deploying Worker $WORKER_SERVICE from $IMAGE@$DIGEST"
  gcloud_change run deploy "$WORKER_SERVICE" --image="$IMAGE@$DIGEST" --region="$REGION" \
    --service-account="$WORKER_SA" --no-allow-unauthenticated --max-instances="$WORKER_MAX_INSTANCES" \
    --set-env-vars="^|^$env" \
    --set-secrets="TESLA_CLIENT_SECRET=$TESLA_CLIENT_SECRET_NAME:latest,TOKEN_ENCRYPTION_KEY=$TOKEN_ENCRYPTION_KEY_NAME:latest"

  WORKER_URL=$(gcloud_read run services describe "$WORKER_SERVICE" --region="$REGION" --format='value(status.url)' 2>/dev/null || true)
  if [ -z "$WORKER_URL" ]; then
    [ "$DRY_RUN" = true ] || die "cannot read the URL of $WORKER_SERVICE after deploying it"
    WORKER_URL="https://$WORKER_SERVICE-$project_number.$REGION.run.app"
  fi
  case ",$audiences," in
    *",$WORKER_URL,"*) ;;
    *) gcloud_change run services update "$WORKER_SERVICE" --region="$REGION" \
      --update-env-vars="^|^WORKER_AUDIENCES=$(join_unique "$WORKER_URL" "$audiences")" ;;
  esac
  # A rollback pins traffic to an old revision and Cloud Run keeps that pin across deploys: release it.
  gcloud_change run services update-traffic "$WORKER_SERVICE" --region="$REGION" --to-latest

  for member in $(printf '%s' "$callers" | tr ',' ' '); do
    with_retry gcloud_change run services add-iam-policy-binding "$WORKER_SERVICE" --region="$REGION" \
      --member="serviceAccount:$member" --role=roles/run.invoker >/dev/null
  done
}

verify_worker() {
  [ "$DRY_RUN" = true ] && return 0
  local revision image
  revision=$(serving_revision "$WORKER_SERVICE")
  image=$(gcloud_read run revisions describe "$revision" --region="$REGION" --format='value(spec.containers[0].image)')
  case $image in
    *"@$DIGEST") log "Worker serves revision $revision = $image" ;;
    *) die "Worker serves revision $revision with image '$image', not the digest just built ($DIGEST)" ;;
  esac
}

deploy_scout() {
  local env secrets run_service
  log "bundling the Scout into $SCOUT_SOURCE_DIR"
  if [ "$DRY_RUN" = true ]; then
    printf '+ %s --out %q\n' "$SCOUT_BUNDLE_CMD" "$SCOUT_SOURCE_DIR"
  else
    (cd "$REPO_ROOT" && sh -c "$SCOUT_BUNDLE_CMD \"\$@\"" scout-bundle --out "$SCOUT_SOURCE_DIR")
  fi
  # GOOGLE_CLOUD_PROJECT: Cloud Run does not set it; the logs need it for trace correlation.
  env="WORKER_SERVICE_URL=$WORKER_URL|GOOGLE_CLOUD_PROJECT=$PROJECT_ID|WORKER_AUTH_MODE=google|OFFPEAK_TIMEZONE=$OFFPEAK_TIMEZONE|LOG_FORMAT=json"
  secrets="--clear-secrets"
  if [ "$SCOUT_STORE_FALLBACK" = true ]; then
    env="$env|TOKEN_STORE=firestore:$TOKEN_STORE_COLLECTION"
    secrets="--set-secrets=TOKEN_ENCRYPTION_KEY=$TOKEN_ENCRYPTION_KEY_NAME:latest"
  fi
  env=$(env_pairs "$env" "$SCOUT_PASSTHROUGH")

  log "deploying Scout $SCOUT_FUNCTION"
  gcloud_change functions deploy "$SCOUT_FUNCTION" --gen2 --runtime=nodejs22 --region="$REGION" \
    --trigger-http --no-allow-unauthenticated --entry-point="$SCOUT_ENTRY_POINT" --source="$SCOUT_SOURCE_DIR" \
    --service-account="$SCOUT_SA" --max-instances="$SCOUT_MAX_INSTANCES" --memory=256Mi --timeout=120s \
    --set-env-vars="^|^$env" "$secrets"

  run_service=$(scout_run_service 2>/dev/null || true)
  : "${run_service:=$SCOUT_FUNCTION}"
  gcloud_change run services update-traffic "$run_service" --region="$REGION" --to-latest
  with_retry gcloud_change functions add-invoker-policy-binding "$SCOUT_FUNCTION" --region="$REGION" \
    --member="serviceAccount:$SCHEDULER_SA" >/dev/null

  SCOUT_URL=$(gcloud_read functions describe "$SCOUT_FUNCTION" --gen2 --region="$REGION" --format='value(serviceConfig.uri)' 2>/dev/null || true)
  if [ "$DRY_RUN" != true ]; then
    [ -n "$SCOUT_URL" ] || die "cannot read the URL of the Scout function $SCOUT_FUNCTION"
    local state
    state=$(gcloud_read functions describe "$SCOUT_FUNCTION" --gen2 --region="$REGION" --format='value(state)')
    [ "$state" = ACTIVE ] || die "Scout function $SCOUT_FUNCTION is $state, not ACTIVE"
    log "Scout is ACTIVE at $SCOUT_URL"
  fi
  : "${SCOUT_URL:=https://SCOUT-FUNCTION-URL}"
}

# Create-or-update, so a second run changes schedules in place instead of failing on "already exists".
upsert_job() {
  local name=$1 schedule=$2 uri=$3 body=$4 audience=$5 verb=create headers=--headers
  if exists scheduler jobs describe "$name" --location="$SCHEDULER_LOCATION"; then
    verb=update
    headers=--update-headers
  fi
  # The home time zone, so "13:30" stays 13:30 across daylight-saving changes (a real incident: jobs ran
  # an hour off). OIDC with an explicit audience: by default Scheduler would use the full URI incl. the path.
  gcloud_change scheduler jobs "$verb" http "$name" --location="$SCHEDULER_LOCATION" --schedule="$schedule" \
    --time-zone="$OFFPEAK_TIMEZONE" --uri="$uri" --http-method=POST "$headers=Content-Type=application/json" \
    --message-body="$body" --oidc-service-account-email="$SCHEDULER_SA" --oidc-token-audience="$audience" \
    --attempt-deadline=180s
}

main() {
  parse_args "$USAGE" "$@"
  require_config
  log "project $PROJECT_ID, region $REGION, time zone $OFFPEAK_TIMEZONE"
  [ "$DRY_RUN" = false ] || log "dry run: commands that change the project are printed, not run"
  preflight
  enable_apis
  ensure_service_account "$WORKER_SA_NAME" "offpeak Worker (owns the Tesla tokens)"
  ensure_service_account "$SCOUT_SA_NAME" "offpeak Scout"
  ensure_service_account "$SCHEDULER_SA_NAME" "offpeak Cloud Scheduler invoker"
  ensure_storage
  grant_data_access
  build_image
  deploy_worker
  verify_worker
  deploy_scout
  upsert_job "$SCOUT_JOB" "$SCOUT_SCHEDULE" "$SCOUT_URL" '{}' "$SCOUT_URL"
  # Day-ahead prices are published around 13:00 CET; the replan picks them up for cars plugged in at home.
  upsert_job "$REPLAN_JOB" "$REPLAN_SCHEDULE" "$WORKER_URL/run-cycle" '{"reason":"daily-replan"}' "$WORKER_URL"
  smoke_test "$WORKER_URL" || die "smoke test failed. First deploy? Import the Tesla tokens into the store, then re-run: $OFFPEAK_CHECK_CMD --worker-url $WORKER_URL. To go back: deploy/gcp/rollback.sh"
  log "done: Worker $WORKER_URL ($IMAGE@$DIGEST), Scout $SCOUT_URL"
}

main "$@"
