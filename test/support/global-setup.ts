export default function globalSetup(): Promise<void> {
  return Promise.reject(
    new Error('test/support/global-setup.ts: the control-plane harness is not written yet (issue 2)'),
  );
}
