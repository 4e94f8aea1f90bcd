import type { RequestListener } from 'node:http';

/** One request autocannon sends; a scenario's `prepare` may compute a fresh one per request. */
export interface BenchRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * An HTTP throughput scenario. `createApp` runs in its own server process (so the load generator never shares a
 * core with it); `prepare` runs in the runner against the started server (sign in, fetch a key, ...) and returns
 * the request to send, or a function that returns a fresh request each time (for single-use envelopes).
 * Ratios are printed against the group's baseline scenario and against bare Express.
 */
export interface HttpScenario {
  kind: 'http';
  name: string;
  /** Scenarios in one group are compared with each other; the one marked baseline is the denominator. */
  group: string;
  baseline?: boolean;
  description: string;
  createApp(): Promise<RequestListener>;
  prepare(baseUrl: string): Promise<BenchRequest | (() => BenchRequest)>;
  /**
   * A storm scenario: instead of a saturated pass, the scenario's request is sent paced on one connection, first
   * alone and then while `connections` more send the storm's request as fast as the server answers them. The
   * runner reports the paced route's p99 latency in both passes, its rate, and the storm's rate.
   */
  storm?: { connections: number; prepare(baseUrl: string): Promise<BenchRequest> };
}

/** An operation rate measured in-process (encryptions per second, handshakes per second, ...). */
export interface OpsScenario {
  kind: 'ops';
  name: string;
  group: string;
  description: string;
  /** Sets up and returns one operation; the runner calls it repeatedly for a fixed time. */
  setup(): Promise<{ op: () => Promise<unknown>; teardown?: () => Promise<void> }>;
}

export type Scenario = HttpScenario | OpsScenario;
