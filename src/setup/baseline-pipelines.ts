/**
 * A new baseline's vocabulary pipelines, installed as soon as it is stored (where the cluster has
 * ingest), so documents from other shippers are derived against it without re-running setup.
 */

import { pipelineAssetsFor } from '../assets/catalog.js';
import type { Baseline } from '../contract/baseline-document.js';
import { detectCapabilities } from '../es/capabilities.js';
import type { RawRequest } from '../es/raw-request.js';
import { hasIngest } from './cluster-support.js';
import { applyPlan, planAssets } from './installer.js';
import { baselinePipelines } from './pipelines.js';

/** Installs or updates `mlmon-baseline-<model>@<version>` and `mlmon-baseline-<model>`; returns their ids, or why not. */
export async function installBaselinePipelines(
  request: RawRequest,
  baseline: Baseline,
): Promise<{ installed: string[] } | { skipped: string }> {
  const caps = await detectCapabilities(request);
  if (!hasIngest(caps)) return { skipped: 'no ingest script processor with Painless on this cluster' };
  // the baseline just stored is the model's newest (created now)
  const assets = pipelineAssetsFor(baselinePipelines([baseline], { engine: caps.engine }), caps.engine);
  const report = await applyPlan(request, await planAssets(request, assets));
  if (report.error) throw report.error;
  return { installed: assets.map((a) => a.name) };
}
