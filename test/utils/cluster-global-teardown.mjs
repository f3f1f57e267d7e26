// Global teardown of the cluster run: stops the shared cluster (every node by PID) and removes its dirs.
export default async function stopSharedCluster() {
  await globalThis.__vqTestCluster?.stop();
  globalThis.__vqTestCluster = undefined;
}
