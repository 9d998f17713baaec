// The Helm chart installs the same CRDs as crds/: for every generated crds/<name>.yaml this adds
// charts/knd/crds/<name>.yaml with identical content (Helm installs files in a chart's crds/ folder
// before the templates and never templates them). Derived from the generator's output, not from the
// files on disk, so one `npm run gen` writes both and `--check` catches a chart copy that drifted.
import type { GeneratedFile } from './generated-files.js';

export const CHART_CRD_DIR = 'charts/knd/crds';

export function withChartCrdCopies(files: readonly GeneratedFile[]): GeneratedFile[] {
  const copies = files
    .filter((f) => /^crds\/[^/]+\.yaml$/.test(f.path))
    .map((f) => ({ path: `${CHART_CRD_DIR}/${f.path.slice('crds/'.length)}`, content: f.content }));
  return [...files, ...copies];
}
