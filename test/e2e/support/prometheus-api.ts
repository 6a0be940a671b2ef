/** A series' labels, `__name__` included where Prometheus returns it. */
export type Labels = Record<string, string>;

/** One sample of an instant vector: `[unix seconds, value as text]`. */
export interface VectorSample {
  metric: Labels;
  value: [number, string];
}

/** One series of a range query. */
export interface MatrixSeries {
  metric: Labels;
  values: Array<[number, string]>;
}

export type QueryData =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

/** An alert of an alerting rule, as `/api/v1/rules` and `/api/v1/alerts` report it. */
export interface ActiveAlert {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface RuleState {
  type: 'recording' | 'alerting';
  name: string;
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  labels?: Labels;
  /** Alerting rules only. */
  state?: 'inactive' | 'pending' | 'firing';
  alerts?: ActiveAlert[];
}

export interface RuleGroupState {
  name: string;
  file: string;
  interval: number;
  rules: RuleState[];
}

export interface TargetState {
  labels: Labels;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

/** Prometheus refused a query (a parse error, an unknown function); carries the query. */
export class PrometheusQueryError extends Error {
  readonly query: string;

  constructor(query: string, message: string) {
    super(`Prometheus rejected the query: ${message}\n  query: ${query}`);
    this.name = 'PrometheusQueryError';
    this.query = query;
  }
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

/** A sample value as a number (`"NaN"`, `"+Inf"` included). */
export function sampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * The Prometheus HTTP API (`/api/v1`), as a test reads it: queries (POSTed, so long dashboard
 * expressions fit), series, rules, alerts and targets. A query Prometheus rejects throws
 * `PrometheusQueryError` naming the query.
 */
export class PrometheusApi {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/$/, '');
  }

  async #call<T>(path: string, form?: Record<string, string | string[]>): Promise<T> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
    }
    const response = await fetch(`${this.url}${path}`, {
      method: form === undefined ? 'GET' : 'POST',
      ...(form === undefined ? {} : { body }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let parsed: ApiResponse<T>;
    try {
      parsed = JSON.parse(text) as ApiResponse<T>;
    } catch {
      throw new Error(`${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 500)}`);
    }
    if (parsed.status !== 'success' || parsed.data === undefined) {
      const query = form?.query ?? form?.['match[]'] ?? path;
      throw new PrometheusQueryError(
        Array.isArray(query) ? query.join(' ; ') : query,
        `${parsed.errorType ?? `HTTP ${response.status}`}: ${parsed.error ?? text.slice(0, 500)}`,
      );
    }
    return parsed.data;
  }

  /** An instant query at `time` (unix seconds; default now). */
  query(expr: string, time?: number): Promise<QueryData> {
    return this.#call('/api/v1/query', {
      query: expr,
      ...(time === undefined ? {} : { time: time.toFixed(3) }),
    });
  }

  /** An instant query that must give a vector; its samples. */
  async vector(expr: string, time?: number): Promise<VectorSample[]> {
    const data = await this.query(expr, time);
    if (data.resultType !== 'vector') {
      throw new Error(`expected a vector from ${expr}, got a ${data.resultType}`);
    }
    return data.result;
  }

  /** The value of a query that gives one sample, or undefined when it gives none. */
  async value(expr: string, time?: number): Promise<number | undefined> {
    const samples = await this.vector(expr, time);
    if (samples.length > 1) {
      throw new Error(`expected at most one sample from ${expr}, got ${samples.length}`);
    }
    const sample = samples[0];
    return sample === undefined ? undefined : sampleValue(sample.value[1]);
  }

  /** A range query over [start, end] (unix seconds) every `step` seconds. */
  async queryRange(
    expr: string,
    start: number,
    end: number,
    step: number,
  ): Promise<MatrixSeries[]> {
    const data = await this.#call<QueryData>('/api/v1/query_range', {
      query: expr,
      start: start.toFixed(3),
      end: end.toFixed(3),
      step: String(step),
    });
    if (data.resultType !== 'matrix') {
      throw new Error(`expected a matrix from ${expr}, got a ${data.resultType}`);
    }
    return data.result;
  }

  /** The label sets of every series matching any of `match` (series selectors). */
  series(match: readonly string[], start?: number, end?: number): Promise<Labels[]> {
    return this.#call('/api/v1/series', {
      'match[]': [...match],
      ...(start === undefined ? {} : { start: start.toFixed(3) }),
      ...(end === undefined ? {} : { end: end.toFixed(3) }),
    });
  }

  async rules(): Promise<RuleGroupState[]> {
    return (await this.#call<{ groups: RuleGroupState[] }>('/api/v1/rules')).groups;
  }

  async alerts(): Promise<ActiveAlert[]> {
    return (await this.#call<{ alerts: ActiveAlert[] }>('/api/v1/alerts')).alerts;
  }

  async targets(): Promise<TargetState[]> {
    return (await this.#call<{ activeTargets: TargetState[] }>('/api/v1/targets?state=active'))
      .activeTargets;
  }
}
