# shellcheck shell=bash
# Prometheus built from source fetched from the Go module proxy, on 127.0.0.1:19090,
# scraping every second. A test registers its own /metrics endpoint by writing a file to
# $TRIBUTARY_PROMETHEUS_TARGETS_DIR/<name>.json, e.g.
#   [{"targets": ["127.0.0.1:43567"], "labels": {"test": "sink_metrics"}}]
# (job="tributary"; write it under another name and rename it, or Prometheus may read it half
# written). Its samples are queryable about 2 s later; deleting the file drops the target.
# This build has no web UI assets (its pages answer 500); the HTTP API and /-/ready work.

# Prometheus's Go module versions are v0.<major><minor>.<patch>: v0.315.0 is release v3.15.0.
# Not v0.316.0 (3.16.0, the newest): the module proxy we reach refuses several of its
# dependencies' zips ("403 This module version is not available"); all of v0.315.0's are served.
PROMETHEUS_MODULE=github.com/prometheus/prometheus
PROMETHEUS_VERSION=v0.315.0

prometheus_bin() { printf '%s/bin/prometheus-%s/prometheus' "$TRIBUTARY_CACHE_DIR" "$PROMETHEUS_VERSION"; }

# Not `go install ...@version`: it refuses modules whose go.mod has replace/exclude directives, as
# releases before 3.16 do. Building inside the downloaded module makes it the main module, so its
# go.mod and go.sum apply as in upstream's own build (GOWORK=off: the zip ships a go.work naming
# directories that are not in the zip). remove_all_sd leaves out the cloud/Kubernetes service
# discoveries (file_sd stays), a third of the dependencies.
prometheus_build() {
  local src=$TRIBUTARY_CACHE_DIR/go/pkg/mod/$PROMETHEUS_MODULE@$PROMETHEUS_VERSION
  go_run mod download "$PROMETHEUS_MODULE@$PROMETHEUS_VERSION"
  go_run build -C "$src" -trimpath -tags remove_all_sd \
    -ldflags "-X github.com/prometheus/common/version.Version=$(cat "$src/VERSION")" \
    -o "$1/prometheus" ./cmd/prometheus
}

# promtool, from the same module: `promtool check metrics` lints a /metrics page in the tests.
promtool_bin() { printf '%s/bin/prometheus-%s/promtool' "$TRIBUTARY_CACHE_DIR" "$PROMETHEUS_VERSION"; }

promtool_build() {
  local src=$TRIBUTARY_CACHE_DIR/go/pkg/mod/$PROMETHEUS_MODULE@$PROMETHEUS_VERSION
  go_run mod download "$PROMETHEUS_MODULE@$PROMETHEUS_VERSION"
  go_run build -C "$src" -trimpath -tags remove_all_sd -o "$1/promtool" ./cmd/promtool
}

prometheus_install() {
  [ -x "$(prometheus_bin)" ] || log "building prometheus $PROMETHEUS_VERSION from the Go module proxy (first run only, takes minutes)"
  go_build_once "$(prometheus_bin)" prometheus_build
  [ -x "$(promtool_bin)" ] || log "building promtool $PROMETHEUS_VERSION (first run only)"
  go_build_once "$(promtool_bin)" promtool_build
}

prometheus_start() {
  local dir
  dir=$(svc_dir prometheus)
  # Otherwise a stranger on the port would answer our health check while our server exits.
  port_open "$PORT_PROMETHEUS" && die "port $PORT_PROMETHEUS is taken by a process we did not start"
  mkdir -p "$dir/data" "$dir/targets"
  cat >"$dir/prometheus.yml" <<EOF
# Written by scripts/services on every start; edits are lost.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$TRIBUTARY_HOST:$PORT_PROMETHEUS']
  - job_name: tributary
    # Tests' ad-hoc /metrics servers often send no or the wrong Content-Type, which Prometheus 3
    # refuses to parse unless a fallback is named.
    fallback_scrape_protocol: PrometheusText0.0.4
    file_sd_configs:
      - files: ['$dir/targets/*.json']
        refresh_interval: 1s
EOF
  # --scrape.discovery-reload-interval (default 5s) throttles how soon a new targets file is
  # scraped; at 1s a test can query its metrics about 2 s after writing the file.
  svc_spawn prometheus "$(prometheus_bin)" \
    --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="$TRIBUTARY_HOST:$PORT_PROMETHEUS" --web.enable-lifecycle \
    --scrape.discovery-reload-interval=1s
}

prometheus_healthy() {
  curl -fsS --max-time 2 -o /dev/null "http://$TRIBUTARY_HOST:$PORT_PROMETHEUS/-/ready"
}

prometheus_env() {
  echo "export TRIBUTARY_PROMETHEUS_URL=http://$TRIBUTARY_HOST:$PORT_PROMETHEUS"
  printf 'export TRIBUTARY_PROMETHEUS_TARGETS_DIR=%q\n' "$(svc_dir prometheus)/targets"
  printf 'export TRIBUTARY_PROMETHEUS_BIN=%q\n' "$(prometheus_bin)"
  printf 'export TRIBUTARY_PROMTOOL_BIN=%q\n' "$(promtool_bin)"
}
