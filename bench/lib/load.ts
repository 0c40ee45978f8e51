import autocannon from 'autocannon';

/** One HTTP request of a scenario. `tag` comes back to onResponse (a task id, say). */
export interface PlannedRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
  tag?: string;
}

/**
 * What a scenario sends: `next()` is called before every request (so each can carry its own
 * token, ETag or body); `onResponse` sees every response, with the tag of its request.
 */
export interface RequestPlan {
  next(): PlannedRequest | undefined;
  onResponse?(status: number, headers: Record<string, string>, body: string, tag: string | undefined): void;
}

export interface LoadSpec {
  baseUrl: string;
  connections: number;
  durationSeconds: number;
  plan: RequestPlan;
  /** Statuses that count as success (2xx are not implied: a POST expects [201]). */
  expectedStatuses: readonly number[];
  /** Requests per second over all connections; as fast as possible when undefined. */
  rate?: number;
}

interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  seconds: number;
  responses: number;
  /** Expected responses per second. */
  rps: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
  /** Responses whose status is not one of the expected ones. */
  unexpected: number;
  /** Connection errors and timeouts (requests that got no response at all). */
  errors: number;
  timeouts: number;
  /** The first body seen for each unexpected status, for the report. */
  unexpectedSamples: Record<string, string>;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Drives one target for a fixed duration with autocannon and tallies every status itself. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const unexpectedSamples: Record<string, string> = {};
  const expected = new Set(spec.expectedStatuses);
  let responses = 0;
  let expectedResponses = 0;
  let unexpected = 0;
  const startedAt = process.hrtime.bigint();

  const request: autocannon.Request = {
    setupRequest: (_defaults, context) => {
      const planned = spec.plan.next();
      if (!planned) return undefined;
      context.tag = planned.tag;
      return { method: planned.method, path: planned.path, headers: planned.headers, body: planned.body ?? '' };
    },
    onResponse: (status, body, context, rawHeaders) => {
      responses += 1;
      const key = String(status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (expected.has(status)) {
        expectedResponses += 1;
      } else {
        unexpected += 1;
        unexpectedSamples[key] ??= body.slice(0, 400);
      }
      if (spec.plan.onResponse) {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(rawHeaders)) {
          const single = headerValue(value);
          if (single !== undefined) headers[name.toLowerCase()] = single;
        }
        spec.plan.onResponse(status, headers, body, typeof context.tag === 'string' ? context.tag : undefined);
      }
    },
  };

  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        duration: spec.durationSeconds,
        pipelining: 1,
        timeout: 10,
        requests: [request],
        ...(spec.rate === undefined ? {} : { overallRate: Math.max(1, Math.round(spec.rate)) }),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        resolve({
          seconds,
          responses,
          rps: expectedResponses / seconds,
          latency: {
            mean: result.latency.mean,
            p50: result.latency.p50,
            p90: result.latency.p90,
            p99: result.latency.p99,
            p999: result.latency.p99_9,
            max: result.latency.max,
          },
          statuses,
          unexpected,
          errors: result.errors,
          timeouts: result.timeouts,
          unexpectedSamples,
        });
      },
    );
  });
}
