/**
 * `npm run kibana:build`: writes kibana/saved-objects.ndjson from the data files under kibana/
 * (vega/*.vl.json, dashboards/*.json, objects.json). The generated file is committed; a test checks
 * that it is up to date.
 */
import { writeFileSync } from 'node:fs';
import { kibanaSavedObjectsPath } from '../src/assets/kibana-objects.js';
import { buildSavedObjects, toNdjson } from '../src/dashboard/saved-objects.js';

const objects = buildSavedObjects();
writeFileSync(kibanaSavedObjectsPath(), toNdjson(objects));
const count = (type: string) => objects.filter((o) => o.type === type).length;
console.log(
  `wrote ${kibanaSavedObjectsPath()}: ${count('index-pattern')} data views, ${count('search')} saved search, ` +
    `${count('visualization')} visualizations, ${count('dashboard')} dashboards`,
);
