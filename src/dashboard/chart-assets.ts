import { ASSET_PATHS } from '../assets/layout.js';
import { listAssets, readJsonAsset } from '../assets/package-files.js';

/** A Vega-Lite spec as stored under `assets/kibana/vega/`: Kibana's data-url form, untouched. */
export type ChartSpec = Record<string, unknown> & {
  title?: string;
  description?: string;
  data: { url: Record<string, unknown>; format?: { property?: string } };
  usermeta?: { mlmon?: ChartMeta };
};

export interface ChartMeta {
  /** which field of this chart's index each dashboard selection filters on */
  context?: Partial<Record<Selection, string>>;
  /** the alert thresholds drawn in the chart (kept equal to the rules' defaults by a test) */
  thresholds?: { warn: number; critical: number };
}

/** What a local dashboard (and the report) lets a user narrow the charts to. */
export type Selection = 'model' | 'feature' | 'namespace';

export interface DashboardDef {
  id: string;
  title: string;
  description: string;
  selections: Selection[];
  /** grid positions in Kibana's 48-column grid */
  panels: { chart: string; x: number; y: number; w: number; h: number }[];
}

export interface ObjectsDef {
  kibana: {
    oldestSupported: string;
    coreMigrationVersion: string;
    typeMigrationVersion: Record<'index-pattern' | 'search' | 'visualization' | 'dashboard', string>;
  };
  dataViews: { id: string; title: string; name: string; timeFieldName: string }[];
  searches: {
    id: string;
    title: string;
    description: string;
    dataView: string;
    columns: string[];
    sort: [string, string][];
  }[];
}

const DASHBOARD_ORDER = ['overview', 'feature-drilldown', 'predictions', 'operations'];

/** The chart names: `assets/kibana/vega/<name>.vl.json`. */
export function chartNames(): string[] {
  return listAssets(ASSET_PATHS.vegaFolder, '.vl.json');
}

export function readChart(name: string): ChartSpec {
  if (!/^[a-z0-9-]+$/.test(name) || !chartNames().includes(name)) throw new Error(`no chart named ${name}`);
  return readJsonAsset<ChartSpec>(ASSET_PATHS.vegaSpec(name));
}

/** The dashboards, in the order they are shown: `assets/kibana/dashboards/<name>.json`. */
export function readDashboards(): (DashboardDef & { name: string })[] {
  const names = listAssets(ASSET_PATHS.dashboardsFolder, '.json');
  names.sort((a, b) => DASHBOARD_ORDER.indexOf(a) - DASHBOARD_ORDER.indexOf(b));
  return names.map((name) => ({ name, ...readJsonAsset<DashboardDef>(ASSET_PATHS.dashboard(name)) }));
}

export function readObjectsDef(): ObjectsDef {
  return readJsonAsset<ObjectsDef>(ASSET_PATHS.kibanaObjects);
}
