import { parse, type Scene, type SceneItem, View } from 'vega';
import { compile } from 'vega-lite';

export interface RenderSize {
  width: number;
  height: number;
}

export const DEFAULT_SIZE: RenderSize = { width: 560, height: 220 };

/** A Vega view of a Vega-Lite spec with inline data, run headless (no DOM). */
export async function chartView(vlSpec: Record<string, unknown>, size = DEFAULT_SIZE): Promise<View> {
  // outside Kibana there is no panel to fit, so the size is given
  const sized = { ...vlSpec, width: size.width, height: size.height };
  // vega-lite's TopLevelSpec type is a large union; the spec comes from a file checked by the tests
  const vg = compile(sized as Parameters<typeof compile>[0]).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  await view.runAsync();
  return view;
}

/** The chart as a standalone SVG document. */
export async function renderSvg(vlSpec: Record<string, unknown>, size = DEFAULT_SIZE): Promise<string> {
  const view = await chartView(vlSpec, size);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface MarkItem {
  /** the Vega mark type: rect, line, symbol, area, rule, ... */
  type: string;
  /** the role Vega-Lite gave the mark (`mark`, `axis-...`, `legend-...`) */
  role: string;
  /** the mark's name (`marks`, `layer_0_marks`, ...) */
  name: string;
  datum: Record<string, unknown>;
}

/** The data marks of a rendered chart (axes, legends and titles left out), with their data. */
export function dataMarks(view: View): MarkItem[] {
  const out: MarkItem[] = [];
  const walk = (node: Scene | SceneItem, role = '', type = '', name = ''): void => {
    const n = node as unknown as {
      marktype?: string;
      role?: string;
      name?: string;
      items?: (Scene | SceneItem)[];
      datum?: Record<string, unknown>;
    };
    const r = n.role ?? role;
    const t = n.marktype ?? type;
    const nm = n.name ?? name;
    if (n.items) {
      for (const item of n.items) walk(item, r, t, nm);
      return;
    }
    if (r === 'mark' && t !== 'group' && n.datum) out.push({ type: t, role: r, name: nm, datum: n.datum });
  };
  walk((view.scenegraph() as unknown as { root: Scene }).root);
  return out;
}
