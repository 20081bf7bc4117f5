import type { AssetFamily } from '../contract/streams.js';

/**
 * Where each kind of data file lives in the package: Elasticsearch assets by object type, Kibana
 * assets by object type, the pages of `mlmon dashboard` / `mlmon report`, and the Prometheus rules
 * and Grafana dashboard (used by Prometheus and Grafana, not by mlmon: README, "Prometheus and Grafana").
 */
const ES = 'assets/elasticsearch';
const KIBANA = 'assets/kibana';

export const ASSET_PATHS = {
  componentTemplate: (family: AssetFamily) => `${ES}/component-templates/mlmon-${family}@package.json`,
  indexTemplate: (family: AssetFamily) => `${ES}/index-templates/mlmon-${family}.json`,
  ilmPolicy: `${ES}/lifecycle/mlmon-retention.ilm.json`,
  ingestPipeline: (file: string) => `${ES}/ingest-pipelines/${file}`,
  painless: (name: string) => `${ES}/painless/${name}.painless`,
  role: (role: string) => `${ES}/roles/mlmon-${role}.json`,
  watch: (family: string) => `${ES}/watches/mlmon-${family}.json`,
  watchScript: (name: string) => `${ES}/watches/${name}.painless`,
  kibanaRule: (name: string) => `${KIBANA}/rules/${name}.json`,
  vegaFolder: `${KIBANA}/vega`,
  vegaSpec: (name: string) => `${KIBANA}/vega/${name}.vl.json`,
  dashboardsFolder: `${KIBANA}/dashboards`,
  dashboard: (name: string) => `${KIBANA}/dashboards/${name}.json`,
  kibanaObjects: `${KIBANA}/objects.json`,
  kibanaSavedObjects: `${KIBANA}/saved-objects.ndjson`,
  page: (name: 'dashboard' | 'report') => `assets/pages/${name}.html`,
  doctorRawPredictions: 'assets/doctor/raw-predictions.json',
  prometheusRules: 'assets/prometheus/mlmon-alerts.rules.yml',
  grafanaDashboard: 'assets/grafana/mlmon-dashboard.json',
} as const;
