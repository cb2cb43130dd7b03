import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { accepts, natsServerBinary } from './nats-server.js';
import { freeTcpPort } from './ports.js';
import { waitFor } from './wait.js';

/**
 * A real NATS cluster on loopback: `size` nats-servers with JetStream, each with its own
 * `server_name`, client port, route port, monitoring port and store dir, routed to each other.
 * A member can be killed (SIGKILL, like `kill -9`) and started again on the same ports and
 * store dir, as a crashed server restarted by its supervisor would be.
 */

/** One server of the cluster; its store dir outlives its process. */
export class ClusterMember {
  private process: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly monitorPort: number,
    private readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(natsServerBinary(), ['-c', this.configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.process = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    });
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`nats-server ${this.name} exited: ${this.output}`);
      return accepts(this.port);
    }, `nats-server ${this.name} on port ${this.port}`);
  }

  /** SIGKILL, waiting for the exit: nothing is flushed, as with `kill -9`. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** A monitoring endpoint's JSON (`/jsz`, `/connz`, …). */
  async monitor<T>(path: string): Promise<T> {
    const response = await fetch(`http://127.0.0.1:${this.monitorPort}${path}`);
    return (await response.json()) as T;
  }
}

export class NatsCluster {
  private constructor(
    readonly members: readonly ClusterMember[],
    private readonly dir: string,
  ) {}

  static async start(size = 3, clusterName = 'sense-chaos'): Promise<NatsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'sense-nats-cluster-'));
    const ports = [];
    for (let i = 0; i < size; i++) {
      ports.push({ client: await freeTcpPort(), route: await freeTcpPort(), monitor: await freeTcpPort() });
    }
    const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`).join(', ');
    const members = ports.map((p, i) => {
      const name = `n${i + 1}`;
      const configFile = join(dir, `${name}.conf`);
      writeFileSync(
        configFile,
        [
          `server_name: ${name}`,
          `listen: 127.0.0.1:${p.client}`,
          `http: 127.0.0.1:${p.monitor}`,
          `jetstream { store_dir: "${join(dir, name)}" }`,
          `cluster { name: ${clusterName}, listen: 127.0.0.1:${p.route}, routes: [${routes}] }`,
        ].join('\n'),
      );
      return new ClusterMember(name, p.client, p.monitor, configFile);
    });
    const cluster = new NatsCluster(members, dir);
    try {
      await Promise.all(members.map((m) => m.start()));
      await cluster.waitForMetaLeader();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every member's client URL, as a sidecar's `nats.servers` lists them. */
  get urls(): string[] {
    return this.members.map((m) => m.url);
  }

  member(name: string): ClusterMember {
    const found = this.members.find((m) => m.name === name);
    if (found === undefined) throw new Error(`no cluster member named ${name}`);
    return found;
  }

  running(): ClusterMember[] {
    return this.members.filter((m) => m.running);
  }

  /** Until every running member names the same JetStream meta leader. */
  async waitForMetaLeader(timeoutMs = 20_000): Promise<string> {
    return waitFor(
      async () => {
        const leaders = await Promise.all(
          this.running().map((m) =>
            m.monitor<{ meta_cluster?: { leader?: string } }>('/jsz').then(
              (jsz) => jsz.meta_cluster?.leader ?? '',
              () => '',
            ),
          ),
        );
        const first = leaders[0];
        return first !== undefined && first !== '' && leaders.every((l) => l === first) ? first : undefined;
      },
      'a JetStream meta leader that every running server agrees on',
      timeoutMs,
      100,
    );
  }

  /**
   * The server_name of the stream's leader, asked through the running members; `except` waits
   * for one other than that (a new leader after the old one was killed).
   */
  async streamLeader(stream: string, except?: string, timeoutMs = 20_000): Promise<string> {
    return waitFor(
      async () => {
        const nc = await connect({ servers: this.running().map((m) => m.url), timeout: 2_000 });
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2_000 });
          const leader = (await jsm.streams.info(stream)).cluster?.leader;
          return leader !== undefined && leader !== '' && leader !== except ? leader : undefined;
        } catch {
          return undefined;
        } finally {
          await nc.close();
        }
      },
      `a leader of stream ${stream}${except === undefined ? '' : ` other than ${except}`}`,
      timeoutMs,
      200,
    );
  }

  /** Until every replica of the stream is current (none offline or lagging behind the leader). */
  async waitForReplicasCurrent(stream: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const nc = await connect({ servers: this.running().map((m) => m.url), timeout: 2_000 });
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2_000 });
          const cluster = (await jsm.streams.info(stream)).cluster;
          const replicas = cluster?.replicas ?? [];
          return cluster?.leader !== undefined && replicas.length > 0 && replicas.every((r) => r.current);
        } catch {
          return false;
        } finally {
          await nc.close();
        }
      },
      `every replica of ${stream} current`,
      timeoutMs,
      200,
    );
  }

  /** The member a client connection of that name (`nats.name`) is connected to, if any. */
  async connectedTo(connectionName: string): Promise<ClusterMember | undefined> {
    for (const member of this.running()) {
      const connz = await member
        .monitor<{ connections?: { name?: string }[] }>('/connz?limit=4096')
        .catch(() => ({ connections: [] }));
      if ((connz.connections ?? []).some((c) => c.name === connectionName)) return member;
    }
    return undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
