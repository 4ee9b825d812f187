// `make test-clients`: the sandbox and two gateways on it (development and
// production) on free loopback ports, then every *.test.mjs here under
// `node --test`, each client's result reported by name. Exits non-zero on any
// failure. PYTHON and GATEWAY name the project's interpreter and console script
// (the Makefile passes .venv's).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const PYTHON = process.env.PYTHON ?? resolve(root, '.venv/bin/python');
const GATEWAY = process.env.GATEWAY ?? resolve(root, '.venv/bin/promotions-gateway');
const STARTUP_MS = 60_000;

const children = [];

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// Our environment without UPSTREAM_* (the gateways get theirs from us), plus `env`.
function start(name, command, args, env) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('UPSTREAM_')));
  const child = spawn(command, args, {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${name} exited early (${signal ?? code})`);
  });
  children.push(child);
  return child;
}

async function waitUntilUp(name, url, child) {
  const deadline = Date.now() + STARTUP_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before answering ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer ${url} within ${STARTUP_MS / 1000} s`);
}

let stopping = false;
async function stopAll() {
  stopping = true;
  await Promise.all(
    children
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map(async (child) => {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
  );
}

async function main() {
  const [sandboxPort, developmentPort, productionPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const sandbox = start('sandbox', PYTHON, ['-m', 'sandbox', '--port', String(sandboxPort)], {});
  await waitUntilUp('sandbox', `${sandboxUrl}/__sandbox/health`, sandbox);

  // No UPSTREAM_AUTHORIZATION: each client sends the sandbox's credential itself.
  const gateway = (environment, port) =>
    start(`${environment} gateway`, GATEWAY, [], {
      GATEWAY_ENV: environment,
      PORT: String(port),
      UPSTREAM_URL: sandboxUrl,
      LOG_LEVEL: 'WARNING',
    });
  const development = gateway('development', developmentPort);
  const production = gateway('production', productionPort);
  const developmentUrl = `http://127.0.0.1:${developmentPort}`;
  const productionUrl = `http://127.0.0.1:${productionPort}`;
  await waitUntilUp('development gateway', `${developmentUrl}/healthz`, development);
  await waitUntilUp('production gateway', `${productionUrl}/healthz`, production);

  const files = readdirSync(here)
    .filter((name) => name.endsWith('.test.mjs'))
    .sort()
    .map((name) => resolve(here, name));
  const only = process.argv.slice(2);
  const chosen = only.length ? files.filter((file) => only.some((word) => file.includes(word))) : files;
  const tests = spawn(process.execPath, ['--test', '--test-reporter=spec', ...chosen], {
    cwd: here,
    stdio: 'inherit',
    env: {
      ...process.env,
      // Apollo Client's development build (its cache warnings) and urql's development mode.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=development`.trim(),
      NODE_ENV: 'development',
      GATEWAY_URL: `${developmentUrl}/graphql`,
      PRODUCTION_GATEWAY_URL: `${productionUrl}/graphql`,
    },
  });
  const [code, signal] = await once(tests, 'exit');
  return signal ? 1 : code;
}

let status = 1;
try {
  status = await main();
} catch (error) {
  console.error(`make test-clients: ${error.message}`);
} finally {
  await stopAll();
}
process.exit(status);
