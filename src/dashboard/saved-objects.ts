/**
 * Kibana saved objects from the data files under `kibana/`: data views, the raw-inputs saved search,
 * one Vega visualization per chart and the dashboards. The layout follows Kibana's export format
 * (elastic-stack.md section 4): JSON-in-JSON attributes (`visState`, `panelsJSON`, `optionsJSON`,
 * `searchSourceJSON`), references by name, and the migration versions of the oldest Kibana supported,
 * so that newer Kibanas migrate the objects forward on import.
 */
import type { SavedObject, ShippedObjectType } from '../assets/kibana-objects.js';
import { chartNames, readChart, readDashboards, readObjectsDef } from './chart-assets.js';

export type { SavedObject };

export const visualizationId = (chart: string) => `mlmon-vega-${chart}`;

const EMPTY_SEARCH_SOURCE = JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] });

export function buildSavedObjects(): SavedObject[] {
  const def = readObjectsDef();
  const versions = (type: ShippedObjectType) => ({
    coreMigrationVersion: def.kibana.coreMigrationVersion,
    typeMigrationVersion: def.kibana.typeMigrationVersion[type],
  });
  const out: SavedObject[] = [];
  for (const v of def.dataViews) {
    out.push({
      type: 'index-pattern',
      id: v.id,
      ...versions('index-pattern'),
      attributes: { title: v.title, name: v.name, timeFieldName: v.timeFieldName, fields: '[]' },
      references: [],
    });
  }
  for (const s of def.searches) {
    const refName = 'kibanaSavedObjectMeta.searchSourceJSON.index';
    out.push({
      type: 'search',
      id: s.id,
      ...versions('search'),
      attributes: {
        title: s.title,
        description: s.description,
        columns: s.columns,
        sort: s.sort,
        kibanaSavedObjectMeta: {
          searchSourceJSON: JSON.stringify({
            query: { query: '', language: 'kuery' },
            filter: [],
            indexRefName: refName,
          }),
        },
      },
      references: [{ name: refName, type: 'index-pattern', id: s.dataView }],
    });
  }
  for (const chart of chartNames()) {
    const spec = readChart(chart);
    const title = `ML inputs: ${spec.title ?? chart}`;
    out.push({
      type: 'visualization',
      id: visualizationId(chart),
      ...versions('visualization'),
      attributes: {
        title,
        description: spec.description ?? '',
        uiStateJSON: '{}',
        version: 1,
        visState: JSON.stringify({
          title,
          type: 'vega',
          aggs: [],
          params: { spec: JSON.stringify(spec, null, 2) },
        }),
        kibanaSavedObjectMeta: { searchSourceJSON: EMPTY_SEARCH_SOURCE },
      },
      references: [],
    });
  }
  for (const d of readDashboards()) {
    const panels = d.panels.map((p, i) => {
      const panelIndex = `p${i + 1}`;
      return {
        version: def.kibana.oldestSupported,
        type: 'visualization',
        gridData: { x: p.x, y: p.y, w: p.w, h: p.h, i: panelIndex },
        panelIndex,
        embeddableConfig: { enhancements: {} },
        panelRefName: `panel_${panelIndex}`,
      };
    });
    out.push({
      type: 'dashboard',
      id: d.id,
      ...versions('dashboard'),
      attributes: {
        title: d.title,
        description: d.description,
        version: 1,
        timeRestore: false,
        optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, hidePanelTitles: false }),
        panelsJSON: JSON.stringify(panels),
        kibanaSavedObjectMeta: { searchSourceJSON: EMPTY_SEARCH_SOURCE },
      },
      references: d.panels.map((p, i) => ({
        name: `p${i + 1}:panel_p${i + 1}`,
        type: 'visualization',
        id: visualizationId(p.chart),
      })),
    });
  }
  return out;
}

/** One object per line, as Kibana's import API reads it. */
export function toNdjson(objects: SavedObject[]): string {
  return `${objects.map((o) => JSON.stringify(o)).join('\n')}\n`;
}
