import { spawn, type ChildProcess } from 'node:child_process';

/** One Set of live servers per OS process, shared by every copy of this module (Jest loads one per test file). */
const REGISTRY = Symbol.for('nestjs-valkey-queue/testing:live-server-processes');

type HostProcess = NodeJS.Process & { [REGISTRY]?: Set<ChildProcess> };

/**
 * Remembers a server process until it exits, so that if the test run ends without stopping it (a crash, a
 * forgotten `stop()`), the process 'exit' handler SIGKILLs it and leaves no server behind.
 */
export function trackServerProcess(child: ChildProcess): void {
  const live = liveServerProcesses();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function liveServerProcesses(): Set<ChildProcess> {
  const host = hostProcess();
  let live = host[REGISTRY];
  if (!live) {
    const created = new Set<ChildProcess>();
    live = created;
    host[REGISTRY] = created;
    host.on('exit', () => {
      for (const child of created) child.kill('SIGKILL');
    });
  }
  return live;
}

/**
 * The real Node process object. Inside Jest's vm sandbox, the global `process` (and `node:process`) is a copy
 * that never emits 'exit'; functions of core modules belong to the host realm, so a Function built from their
 * constructor runs against the host's globals.
 */
function hostProcess(): HostProcess {
  const HostFunction = spawn.constructor as FunctionConstructor;
  return new HostFunction('return process')() as HostProcess;
}
