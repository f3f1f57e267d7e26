// `node scripts/ensure-valkey.mjs --for demo|tests [--dry-run]`: run by `npm run demo` and by the e2e
// tests before they start, so that the README's two commands set up a fresh machine. Finds a Valkey
// the way the harness does (VALKEY_URL, VALKEY_SERVER_BIN, valkey-server/redis-server on PATH,
// Docker); with none, installs one on Debian/Ubuntu when it may (root or passwordless sudo), saying
// so in one line; otherwise prints one line with the command to run and exits 1.
// Silent when a server binary is already there.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const INSTALL_SCRIPT = '.ci/install-valkey.sh';
const SERVER_NAMES = ['valkey-server', 'redis-server'];
const CLI_NAMES = ['valkey-cli', 'redis-cli'];
/** How long the Docker probe may take before it counts as "no engine". */
const DOCKER_PROBE_MS = 10_000;

/**
 * What the decision looks at.
 * @typedef {object} ValkeyFacts
 * @property {'demo' | 'tests'} purpose the demo needs one server; the e2e suite starts its own
 *   servers (TLS, ACL users, cluster, Sentinel), so it needs the binaries, not just a server.
 * @property {string | undefined} envUrl VALKEY_URL
 * @property {string | undefined} serverBinEnv VALKEY_SERVER_BIN, as set
 * @property {string | undefined} binary the server binary the harness would run
 * @property {boolean} cli valkey-cli or redis-cli found (cluster and Sentinel tests)
 * @property {boolean} docker a container engine answers (testcontainers)
 * @property {NodeJS.Platform} platform
 * @property {boolean} apt a Debian/Ubuntu system with apt-get
 * @property {boolean} root
 * @property {boolean} passwordlessSudo
 */

/**
 * What to do about Valkey before the demo or the tests start.
 * `ready`: go on (printing `message` if any); `install`: announce `message`, run the install script;
 * `fail`: print `message` (one line with the command to run) and stop.
 * @param {ValkeyFacts} facts
 * @returns {{ action: 'ready' | 'install' | 'fail', message?: string }}
 */
export function decideValkeySource(facts) {
  if (facts.serverBinEnv && !facts.binary) {
    return {
      action: 'fail',
      message: `VALKEY_SERVER_BIN=${facts.serverBinEnv} is not an executable file: fix it or unset it.`,
    };
  }
  const howToInstall = installCommand(facts);
  if (facts.purpose === 'demo') {
    if (facts.envUrl || facts.binary) return { action: 'ready' };
    if (facts.docker) {
      return { action: 'ready', message: 'No valkey-server on PATH: the demo runs Valkey in Docker.' };
    }
  } else if (facts.binary) {
    if (facts.cli) return { action: 'ready' };
    return {
      action: 'ready',
      message: `No valkey-cli beside ${facts.binary}: the cluster and Sentinel tests will fail. Install it (${howToInstall}) or set VALKEY_CLI_BIN.`,
    };
  }
  if (facts.apt && (facts.root || facts.passwordlessSudo)) {
    const how = facts.root ? 'apt-get' : 'apt-get through sudo';
    const missing =
      facts.purpose === 'demo' ? 'No Valkey server on PATH and no Docker engine' : 'No valkey-server on PATH';
    return { action: 'install', message: `${missing}: installing Valkey with ${INSTALL_SCRIPT} (${how}).` };
  }
  if (facts.purpose === 'tests' && (facts.docker || facts.envUrl)) {
    const where = facts.docker ? 'Docker' : 'VALKEY_URL';
    return {
      action: 'ready',
      message: `No valkey-server on PATH: tests that need a server binary (cluster, Sentinel, TLS, ACL users, persistence) will fail; the rest use ${where}. For all of them: ${howToInstall}`,
    };
  }
  const alternatives = facts.purpose === 'demo' ? ', start Docker, or set VALKEY_URL=redis://host:port' : '';
  return {
    action: 'fail',
    message: `No Valkey server found. Install one: ${howToInstall}${alternatives}.`,
  };
}

/** @param {ValkeyFacts} facts */
function installCommand({ apt, platform }) {
  if (apt) return `sudo bash ${INSTALL_SCRIPT}`;
  if (platform === 'darwin') return 'brew install valkey';
  return 'put valkey-server (or redis-server >= 7) on PATH';
}

/**
 * Looks at this machine. Probes that cannot change the decision (Docker, sudo) are skipped once a
 * server binary is found.
 * @param {'demo' | 'tests'} purpose
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<ValkeyFacts>}
 */
export async function gatherValkeyFacts(purpose, env = process.env) {
  const serverBinEnv = env.VALKEY_SERVER_BIN || undefined;
  const binary = serverBinEnv ? resolveExecutable(serverBinEnv, env) : firstExecutable(SERVER_NAMES, env);
  const cliCandidates = env.VALKEY_CLI_BIN
    ? [env.VALKEY_CLI_BIN]
    : [...(binary ? CLI_NAMES.map((name) => join(dirname(binary), name)) : []), ...CLI_NAMES];
  const facts = {
    purpose,
    envUrl: env.VALKEY_URL || undefined,
    serverBinEnv,
    binary,
    cli: firstExecutable(cliCandidates, env) !== undefined,
    docker: false,
    platform: process.platform,
    apt: false,
    root: false,
    passwordlessSudo: false,
  };
  if (binary || (purpose === 'demo' && facts.envUrl)) return facts;
  facts.apt = isAptSystem(env);
  facts.root = process.getuid?.() === 0;
  facts.passwordlessSudo =
    !facts.root && facts.apt && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  facts.docker = await dockerAnswers();
  return facts;
}

function isAptSystem(env) {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const ids = /^ID(?:_LIKE)?=(.*)$/gm;
    const family = [...release.matchAll(ids)].map(([, value]) => value.replace(/"/g, '')).join(' ');
    return /\b(debian|ubuntu)\b/.test(family) && firstExecutable(['apt-get'], env) !== undefined;
  } catch {
    return false;
  }
}

async function dockerAnswers() {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), DOCKER_PROBE_MS);
    });
    await Promise.race([getContainerRuntimeClient(), timeout]).finally(() => clearTimeout(timer));
    return true;
  } catch {
    return false;
  }
}

function firstExecutable(commands, env) {
  for (const command of commands) {
    const found = resolveExecutable(command, env);
    if (found) return found;
  }
  return undefined;
}

/** A path is used as is; a bare name is searched on PATH (as the harness does). */
function resolveExecutable(command, env) {
  const candidates =
    isAbsolute(command) || command.includes('/')
      ? [command]
      : (env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, command));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const purpose = args[args.indexOf('--for') + 1] === 'tests' ? 'tests' : 'demo';
  const dryRun = args.includes('--dry-run');
  const decision = decideValkeySource(await gatherValkeyFacts(purpose));
  if (decision.action === 'fail') {
    console.error(decision.message);
    process.exit(1);
  }
  if (decision.message) console.error(decision.message);
  if (decision.action === 'install' && !dryRun) {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const { status } = spawnSync('bash', [INSTALL_SCRIPT], { cwd: root, stdio: 'inherit' });
    const after = await gatherValkeyFacts(purpose);
    if (status !== 0 || !after.binary) {
      console.error(
        `${INSTALL_SCRIPT} did not put valkey-server or redis-server on PATH; install one and run again.`,
      );
      process.exit(1);
    }
  }
}
