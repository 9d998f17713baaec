// The list of generated files and how each is produced. Add one entry per generator.
export interface GeneratedFile {
  /** Path relative to the repository root. */
  path: string;
  content: string;
}

export function generatedFiles(): Promise<GeneratedFile[]> {
  return Promise.resolve([]);
}
