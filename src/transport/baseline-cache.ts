import type { Client } from '@elastic/elasticsearch';
import { getBaseline, type MalformedBaseline } from '../baseline/baseline-reader.js';
import type { Baseline } from '../contract/baseline-document.js';
import type { FeatureKind } from '../contract/features.js';
import type { SanitizeOptions } from './sanitize.js';

/** What log time needs of a baseline: the expected features, their types, the text vocabularies. */
export interface BaselineContext {
  /** `model@version` of the baseline used */
  id: string;
  features: readonly string[];
  /** sanitize options with the baseline's types (the user's `featureTypes` win) */
  sanitize: SanitizeOptions;
  vocabularies: ReadonlyMap<string, ReadonlySet<string>>;
  /** the bin edges of the numeric prediction (Prometheus buckets), if the baseline has them */
  predictionEdges?: readonly number[];
}

interface Slot {
  context: BaselineContext | undefined;
  loadedAt: number;
  loading: Promise<void> | undefined;
  /** the last load failed (the cluster did not answer, or refused) */
  failed: boolean;
}

export function contextOf(b: Baseline, base: SanitizeOptions): BaselineContext {
  const kinds = new Map<string, FeatureKind>();
  const vocabularies = new Map<string, ReadonlySet<string>>();
  for (const [name, p] of Object.entries(b.features)) {
    kinds.set(name, p.type);
    if (p.text) vocabularies.set(name, new Set(Object.keys(p.text.vocabulary)));
  }
  for (const [name, kind] of base.kinds) kinds.set(name, kind);
  const context: BaselineContext = {
    id: `${b.model}@${b.version}`,
    features: Object.keys(b.features),
    sanitize: { ...base, kinds },
    vocabularies,
  };
  const edges = b.prediction?.numeric?.bins.edges;
  if (edges?.length) context.predictionEdges = edges;
  return context;
}

/**
 * Baselines by model and version, loaded from Elasticsearch in the background and refreshed every
 * `refreshMs`. `get` never waits; the transport holds documents during a first load (`firstLoad`).
 * The baseline of `model@version` is used, or else the model's newest.
 */
/** A failed lookup is tried again this soon, not only at the next refresh. */
const RETRY_FAILED_MS = 5000;

export class BaselineCache {
  private readonly slots = new Map<string, Slot>();
  /**
   * Lookups without the client's own retries (about 7 s of them against refused connections): a
   * failed lookup ends the start-up hold at once, so held predictions go to disk first instead of
   * waiting in memory; it is tried again after RETRY_FAILED_MS.
   */
  private readonly client: Client;

  constructor(
    client: Client,
    private readonly opts: {
      index: string;
      refreshMs: number;
      sanitize: SanitizeOptions;
      onError: (message: string) => void;
    },
  ) {
    this.client = client.child({ maxRetries: 0 });
  }

  get(model: string, version: string): BaselineContext | undefined {
    const key = `${model}@${version}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { context: undefined, loadedAt: 0, loading: undefined, failed: false };
      this.slots.set(key, slot);
    }
    const every = slot.failed ? Math.min(RETRY_FAILED_MS, this.opts.refreshMs) : this.opts.refreshMs;
    if (!slot.loading && Date.now() - slot.loadedAt >= every) this.load(model, version, slot);
    return slot.context;
  }

  /**
   * The first load of `model@version` while it has not settled (started now if need be): a document
   * can wait for it, so that it is typed and derived as the baseline says. Undefined once any load of
   * it has finished (found, absent or failed), and without a baseline index.
   */
  firstLoad(model: string, version: string): Promise<void> | undefined {
    this.get(model, version);
    const slot = this.slots.get(`${model}@${version}`) as Slot;
    return slot.loadedAt === 0 ? slot.loading : undefined;
  }

  /** The last lookup of `model@version` failed (as opposed to finding nothing). */
  failed(model: string, version: string): boolean {
    return this.slots.get(`${model}@${version}`)?.failed ?? false;
  }

  /** Loads (or reloads) now; resolves when done. */
  async ready(model: string, version: string): Promise<BaselineContext | undefined> {
    this.get(model, version);
    const slot = this.slots.get(`${model}@${version}`) as Slot;
    await slot.loading;
    return slot.context;
  }

  private load(model: string, version: string, slot: Slot): void {
    slot.loading = (async () => {
      try {
        // a stored document of another shape is reported and not used
        const malformed = (m: MalformedBaseline) =>
          this.opts.onError(`baseline document ${m.id} in ${m.index} is malformed (${m.problem}): not used`);
        const b =
          (await getBaseline(this.client, model, version, this.opts.index, malformed)) ??
          (await getBaseline(this.client, model, undefined, this.opts.index, malformed));
        slot.context = b ? contextOf(b, this.opts.sanitize) : undefined;
        slot.failed = false;
      } catch (err) {
        slot.failed = true;
        // keep what we had; try again at the next refresh
        this.opts.onError(`baseline for ${model}@${version} not loaded: ${(err as Error).message}`);
      } finally {
        slot.loadedAt = Date.now();
        slot.loading = undefined;
      }
    })();
  }
}
