// Starts, checks and stops the real services the tests run against, on a machine without Docker:
// Kafka (KRaft, jars from Maven Central), S3Proxy (filesystem backend), PostgreSQL and Redis (the
// machine's own), and the tools ffmpeg/ffprobe, Chromium and nginx (Debian packages).
// Plain Node, no dependencies: it runs before and outside the workspaces.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const INFRA_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(INFRA_DIR);

const num = (name, fallback) => Number(process.env[name] ?? fallback);

export const settings = {
  stateDir: path.resolve(process.env.STREAMLOOP_INFRA_DIR ?? path.join(ROOT, '.streamloop', 'infra')),
  kafkaPort: num('STREAMLOOP_KAFKA_PORT', 19092),
  kafkaControllerPort: num('STREAMLOOP_KAFKA_CONTROLLER_PORT', 19093),
  kafkaHeap: process.env.STREAMLOOP_KAFKA_HEAP ?? '512m',
  s3Port: num('STREAMLOOP_S3PROXY_PORT', 19000),
  s3AccessKey: 'streamloop',
  s3SecretKey: 'streamloop-secret-key',
  pgPort: num('STREAMLOOP_PG_PORT', 5432),
  pgDatabase: process.env.STREAMLOOP_PG_DATABASE ?? 'streamloop_test',
  redisPort: num('STREAMLOOP_REDIS_PORT', 6379),
};

/** The environment the real adapters read (packages/core config), pointing at these services. */
export function serviceEnv() {
  return {
    KAFKA_BROKERS: `127.0.0.1:${settings.kafkaPort}`,
    S3_ENDPOINT: `http://127.0.0.1:${settings.s3Port}`,
    S3_REGION: 'us-east-1',
    S3_BUCKET: 'streamloop-test',
    S3_ACCESS_KEY_ID: settings.s3AccessKey,
    S3_SECRET_ACCESS_KEY: settings.s3SecretKey,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${settings.pgPort}/${settings.pgDatabase}`,
    REDIS_URL: `redis://127.0.0.1:${settings.redisPort}`,
  };
}

const log = (msg) => process.stdout.write(`[infra] ${msg}\n`);

function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(what, check, { timeoutMs = 60_000, logFile, pidName } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (pidName && readPid(pidName) === undefined) {
      throw new Error(`${what} exited during start\n--- last lines of ${logFile} ---\n${tailOf(logFile, 30)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = logFile && fs.existsSync(logFile) ? `\n--- last lines of ${logFile} ---\n${tailOf(logFile, 30)}` : '';
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s${tail}`);
}

function tailOf(file, lines) {
  return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(name) {
  const file = path.join(settings.stateDir, `${name}.pid`);
  if (!fs.existsSync(file)) return undefined;
  const pid = Number(fs.readFileSync(file, 'utf8'));
  return Number.isInteger(pid) && pidAlive(pid) ? pid : undefined;
}

function startDetached(name, command, args, { cwd, env } = {}) {
  fs.mkdirSync(settings.stateDir, { recursive: true });
  const logFile = path.join(settings.stateDir, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.writeFileSync(path.join(settings.stateDir, `${name}.pid`), String(child.pid));
  return logFile;
}

/** Fetches a service's jars from Maven Central once (infra/<name>/pom.xml → infra/<name>/lib). */
function ensureJars(name) {
  const dir = path.join(INFRA_DIR, name);
  const lib = path.join(dir, 'lib');
  const marker = path.join(lib, '.complete');
  if (fs.existsSync(marker)) return lib;
  if (!has('mvn')) throw new Error(`Maven is needed to fetch ${name}: install it with \`apt-get install -y maven\``);
  log(`fetching ${name} jars from Maven Central (once)…`);
  fs.rmSync(lib, { recursive: true, force: true });
  const result = spawnSync('mvn', ['-q', '-B', '-f', path.join(dir, 'pom.xml'), 'dependency:copy-dependencies'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`mvn could not fetch the ${name} jars (exit ${result.status})`);
  fs.writeFileSync(marker, new Date().toISOString());
  return lib;
}

/** Installs Debian packages for missing tools (ffmpeg, chromium, nginx); needs root, asks once. */
export function ensureTools() {
  const wanted = [
    ['ffmpeg', 'ffmpeg'],
    ['ffprobe', 'ffmpeg'],
    ['chromium', 'chromium'],
    ['nginx', 'nginx-light'],
  ];
  const missing = [...new Set(wanted.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing tools: install them with \`sudo apt-get install -y ${missing.join(' ')}\``);
  }
  log(`installing Debian packages: ${missing.join(' ')}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'inherit', env });
}

/** server.properties of a single-node KRaft broker (controller and broker in one JVM). */
function kafkaProperties({ port, controllerPort, dataDir }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Single node: internal topics cannot have 3 replicas, or consumers wait forever for a
    // group coordinator (kafkajs #1752).
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are created by our code (ensureTopics), never by a typo in a producer.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'log.retention.hours=24',
    '',
  ].join('\n');
}

/**
 * Writes server.properties into `dir`, formats the storage the first time (a restart on the same
 * data dir keeps its cluster id and its data), and returns the java command line that runs it.
 */
function prepareKafka({ dir, port, controllerPort, heap }) {
  const lib = ensureJars('kafka');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true });
  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(props, kafkaProperties({ port, controllerPort, dataDir }));
  const log4j = path.join(INFRA_DIR, 'kafka', 'log4j2.properties');
  const java = ['-cp', `${lib}/*`, `-Dlog4j2.configurationFile=${log4j}`];
  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const format = spawnSync(
      'java',
      [...java, 'kafka.tools.StorageTool', 'format', '-t', randomUUID().replace(/-/g, '').slice(0, 22), '-c', props],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) throw new Error(`Kafka storage format failed:\n${format.stdout}${format.stderr}`);
  }
  return [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-XX:TieredStopAtLevel=1', ...java, 'kafka.Kafka', props];
}

const kafkaStarted = (port, logFile) => async () =>
  (await portOpen(port)) && /Kafka Server started/.test(fs.readFileSync(logFile, 'utf8'));

const kafka = {
  name: 'kafka',
  label: () => `Kafka on 127.0.0.1:${settings.kafkaPort}`,
  ready: () => portOpen(settings.kafkaPort),
  async start() {
    const args = prepareKafka({
      dir: path.join(settings.stateDir, 'kafka'),
      port: settings.kafkaPort,
      controllerPort: settings.kafkaControllerPort,
      heap: settings.kafkaHeap,
    });
    const logFile = startDetached('kafka', 'java', args);
    await waitFor('Kafka', kafkaStarted(settings.kafkaPort, logFile), { timeoutMs: 90_000, logFile, pidName: 'kafka' });
  },
  stop: () => stopPid('kafka'),
};

/**
 * A private, throw-away broker for tests that must take Kafka away (outages, restarts) without
 * touching the shared one on 19092. It is a child of the calling process; `kill()` is the crash
 * (SIGKILL), `stop()` the clean shutdown. Starting again on the same `dataDir` keeps the data.
 */
export async function startKafkaInstance({ port, controllerPort, dataDir, heap = '256m', timeoutMs = 90_000 }) {
  if (await portOpen(port)) throw new Error(`port ${port} is already in use; pick another for the private Kafka`);
  const args = prepareKafka({ dir: dataDir, port, controllerPort, heap });
  const logFile = path.join(dataDir, 'kafka.log');
  const out = fs.openSync(logFile, 'w'); // fresh per start: "started" must come from THIS run
  const child = spawn('java', args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  const deadline = Date.now() + timeoutMs;
  while (!(await kafkaStarted(port, logFile)())) {
    if (!alive) throw new Error(`private Kafka exited during start\n--- ${logFile} ---\n${tailOf(logFile, 30)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`private Kafka did not start within ${timeoutMs / 1000} s\n--- ${logFile} ---\n${tailOf(logFile, 30)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const end = async (signal) => {
    if (alive) child.kill(signal);
    await exited;
  };
  return {
    brokers: [`127.0.0.1:${port}`],
    pid: child.pid,
    logFile,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

const s3proxy = {
  name: 's3proxy',
  label: () => `S3Proxy on http://127.0.0.1:${settings.s3Port} (filesystem backend)`,
  ready: () => portOpen(settings.s3Port),
  async start() {
    const lib = ensureJars('s3proxy');
    const dir = path.join(settings.stateDir, 's3proxy');
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    const conf = path.join(dir, 's3proxy.conf');
    fs.writeFileSync(
      conf,
      [
        `s3proxy.endpoint=http://127.0.0.1:${settings.s3Port}`,
        's3proxy.authorization=aws-v2-or-v4',
        `s3proxy.identity=${settings.s3AccessKey}`,
        `s3proxy.credential=${settings.s3SecretKey}`,
        's3proxy.cors-allow-all=true',
        'jclouds.provider=filesystem-nio2',
        'jclouds.identity=local',
        'jclouds.credential=local',
        `jclouds.filesystem.basedir=${dataDir}`,
        '',
      ].join('\n'),
    );
    const logFile = startDetached('s3proxy', 'java', [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      `-Dlogback.configurationFile=${path.join(INFRA_DIR, 's3proxy', 'logback.xml')}`,
      '-cp',
      `${lib}/*`,
      'org.gaul.s3proxy.Main',
      '--properties',
      conf,
    ]);
    await waitFor('S3Proxy', () => portOpen(settings.s3Port), { timeoutMs: 60_000, logFile, pidName: 's3proxy' });
  },
  stop: () => stopPid('s3proxy'),
};

const postgres = {
  name: 'postgres',
  label: () => `PostgreSQL on 127.0.0.1:${settings.pgPort} (database ${settings.pgDatabase})`,
  ready: () => portOpen(settings.pgPort),
  async start() {
    // The machine's own cluster; server binaries refuse to run as root, pg_ctlcluster handles that.
    const versions = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql') : [];
    if (versions.length === 0) throw new Error('PostgreSQL is not installed: `apt-get install -y postgresql`');
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'start'], { stdio: 'inherit' });
    await waitFor('PostgreSQL', () => portOpen(settings.pgPort), { timeoutMs: 30_000 });
  },
  stop() {
    const versions = fs.readdirSync('/etc/postgresql');
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'stop'], { stdio: 'inherit' });
  },
  afterReady() {
    const psql = (sql, db = 'postgres') =>
      execFileSync('psql', ['-h', '127.0.0.1', '-p', String(settings.pgPort), '-U', 'postgres', '-d', db, '-tAc', sql], {
        encoding: 'utf8',
      }).trim();
    if (psql(`SELECT 1 FROM pg_database WHERE datname = '${settings.pgDatabase}'`) !== '1') {
      psql(`CREATE DATABASE ${settings.pgDatabase}`);
      log(`created database ${settings.pgDatabase}`);
    }
  },
};

const redis = {
  name: 'redis',
  label: () => `Redis on 127.0.0.1:${settings.redisPort}`,
  ready: () => portOpen(settings.redisPort),
  async start() {
    fs.mkdirSync(path.join(settings.stateDir, 'redis'), { recursive: true });
    execFileSync(
      'redis-server',
      [
        '--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(settings.redisPort), '--save', '', '--appendonly', 'no',
        '--dir', path.join(settings.stateDir, 'redis'), '--logfile', path.join(settings.stateDir, 'redis.log'),
        '--pidfile', path.join(settings.stateDir, 'redis.pid'),
      ],
      { stdio: 'inherit' },
    );
    await waitFor('Redis', () => portOpen(settings.redisPort), { timeoutMs: 15_000 });
  },
  stop: () => stopPid('redis'),
};

export const SERVICES = [postgres, redis, s3proxy, kafka];

async function stopPid(name) {
  const pid = readPid(name);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(path.join(settings.stateDir, `${name}.pid`), { force: true });
}

function startedFile() {
  return path.join(settings.stateDir, 'started.json');
}

function readStarted() {
  try {
    return JSON.parse(fs.readFileSync(startedFile(), 'utf8'));
  } catch {
    return [];
  }
}

/**
 * Starts every service that is not already answering; idempotent. Returns the names it started,
 * so the caller (npm test) can stop exactly those afterwards.
 */
export async function up({ only } = {}) {
  ensureTools();
  const started = [];
  const services = SERVICES.filter((s) => !only || only.includes(s.name));
  // Kafka and S3Proxy are JVMs: start them side by side, they take the longest.
  await Promise.all(
    services.map(async (service) => {
      if (await service.ready()) {
        log(`${service.label()} — already running`);
      } else {
        log(`starting ${service.name}…`);
        const t0 = Date.now();
        await service.start();
        started.push(service.name);
        log(`${service.label()} — ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      service.afterReady?.();
    }),
  );
  fs.mkdirSync(settings.stateDir, { recursive: true });
  fs.writeFileSync(startedFile(), JSON.stringify([...new Set([...readStarted(), ...started])]));
  return started;
}

/** Stops the named services, or every service infra:up started when none are named. */
export async function down(names) {
  const targets = names ?? readStarted();
  for (const service of SERVICES.filter((s) => targets.includes(s.name))) {
    log(`stopping ${service.name}…`);
    await service.stop();
  }
  fs.mkdirSync(settings.stateDir, { recursive: true });
  fs.writeFileSync(startedFile(), JSON.stringify(readStarted().filter((n) => !targets.includes(n))));
}

export async function status() {
  const rows = [];
  for (const service of SERVICES) rows.push([service.label(), (await service.ready()) ? 'up' : 'down']);
  for (const tool of ['ffmpeg', 'ffprobe', 'chromium', 'nginx']) rows.push([tool, has(tool) ? 'installed' : 'missing']);
  return rows;
}
