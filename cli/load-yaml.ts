// Loads the YAML files the CLI reads (`knd validate-config`, `knd render`), which may come from
// anyone (a pull request in a GitOps pipeline). YAML aliases (`*name`) are refused: a few lines of
// nested aliases expand exponentially ("billion laughs") and a self-referencing alias makes a cycle,
// and every consumer of the documents (validator, renderer) walks them as trees. Kubernetes manifests
// do not need aliases. Throws with a one-line message; the caller prints it with the file name.
import { loadAll } from 'js-yaml';

export function loadYamlDocuments(text: string): unknown[] {
  try {
    return loadAll(text, { maxAliases: 0 });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/maxAliases/.test(message)) {
      const where = /\((\d+:\d+)\)/.exec(message)?.[1];
      throw new Error(
        `YAML aliases (*name) are not accepted: they can expand without bound${where ? ` (first alias at line:column ${where})` : ''}`,
        { cause: e },
      );
    }
    throw e;
  }
}
