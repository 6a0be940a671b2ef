import { ManualClock } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import {
  type EndpointHealthOptions,
  type EndpointLease,
  EndpointSet,
} from '../src/latency/endpoint-set.js';

const OPTIONS = { decayMs: 1000, ejectAfterFailures: 3, ejectionMs: 1000, maxEjectionMs: 8000 };

function setup(
  endpoints: readonly string[] = ['a', 'b'],
  options: Partial<Omit<EndpointHealthOptions, 'clock'>> = {},
) {
  const clock = new ManualClock(10_000);
  const events: string[] = [];
  const set = new EndpointSet(
    endpoints,
    { ...OPTIONS, ...options, clock },
    {
      ejected: (endpoint, untilMs) => events.push(`ejected ${endpoint} until ${untilMs}`),
      recovered: (endpoint) => events.push(`recovered ${endpoint}`),
    },
  );
  return { set, clock, events };
}

function state(set: EndpointSet<string>, endpoint: string) {
  const found = set.snapshot().find((s) => s.endpoint === endpoint);
  if (found === undefined) throw new Error(`no endpoint ${endpoint}`);
  return found;
}

/** A lease on `endpoint`: picks until it comes up, and releases the others it took on the way. */
function leaseOn(set: EndpointSet<string>, endpoint: string): EndpointLease<string> {
  const others: EndpointLease<string>[] = [];
  for (let i = 0; i < 1000; i++) {
    const lease = set.pick();
    if (lease.endpoint === endpoint) {
      for (const other of others) other.released();
      return lease;
    }
    others.push(lease);
  }
  throw new Error(`${endpoint} never picked`);
}

/** `n` picks without reporting any, so their requests stay in flight. */
function burst(set: EndpointSet<string>, n: number): string[] {
  return Array.from({ length: n }, () => set.pick().endpoint);
}

function failTimes(set: EndpointSet<string>, endpoint: string, n: number): void {
  for (let i = 0; i < n; i++) leaseOn(set, endpoint).failed();
}

describe('EndpointSet validation', () => {
  it('needs at least one endpoint', () => {
    expect(() => new EndpointSet([], OPTIONS)).toThrow(RangeError);
    expect(() => new EndpointSet([], OPTIONS)).toThrow('EndpointSet: needs at least one endpoint');
  });

  it.each([
    ['decayMs', 0],
    ['decayMs', -1],
    ['decayMs', Number.NaN],
    ['ejectionMs', 0],
    ['ejectionMs', -100],
    ['maxEjectionMs', 0],
    ['maxEjectionMs', Number.NaN],
  ] as const)('rejects %s = %s, naming the field', (field, value) => {
    const options = { ...OPTIONS, [field]: value };
    expect(() => new EndpointSet(['a'], options)).toThrow(RangeError);
    expect(() => new EndpointSet(['a'], options)).toThrow(
      `EndpointSet: ${field} must be > 0 (got ${value})`,
    );
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects ejectAfterFailures = %s',
    (value) => {
      const options = { ...OPTIONS, ejectAfterFailures: value };
      expect(() => new EndpointSet(['a'], options)).toThrow(RangeError);
      expect(() => new EndpointSet(['a'], options)).toThrow(
        `EndpointSet: ejectAfterFailures must be an integer > 0 (got ${value})`,
      );
    },
  );

  it('accepts a valid configuration, with or without a clock and an observer', () => {
    expect(new EndpointSet(['a', 'b', 'c'], OPTIONS).size).toBe(3);
    expect(new EndpointSet(['a'], { ...OPTIONS, ejectAfterFailures: 1 }).pick().endpoint).toBe('a');
  });
});

describe('EndpointSet choice by latency', () => {
  it('starts with every endpoint unobserved, idle and in rotation', () => {
    const { set } = setup(['a', 'b', 'c']);
    expect(set.snapshot()).toEqual([
      { endpoint: 'a', estimateMs: 0, inflight: 0, ejected: false },
      { endpoint: 'b', estimateMs: 0, inflight: 0, ejected: false },
      { endpoint: 'c', estimateMs: 0, inflight: 0, ejected: false },
    ]);
  });

  it('gives ties to the first listed endpoint', () => {
    const { set } = setup(['a', 'b', 'c']);
    const lease = set.pick();
    expect(lease.endpoint).toBe('a');
    lease.released();
    expect(set.pick().endpoint).toBe('a');
  });

  it('takes a slower answer at once and decays the estimate towards 0 with time constant decayMs', () => {
    const { set, clock } = setup(['a']);
    set.pick().succeeded(100);
    expect(state(set, 'a').estimateMs).toBe(100);
    set.pick().succeeded(300); // slower: replaces the estimate
    expect(state(set, 'a').estimateMs).toBe(300);
    clock.advance(1000);
    expect(state(set, 'a').estimateMs).toBeCloseTo(300 * Math.exp(-1), 9);
    clock.advance(1000);
    expect(state(set, 'a').estimateMs).toBeCloseTo(300 * Math.exp(-2), 9);
  });

  it('averages a faster answer in by the time elapsed since the last one', () => {
    const { set, clock } = setup(['a']);
    set.pick().succeeded(300);
    set.pick().succeeded(50); // no time elapsed: a faster answer carries no weight yet
    expect(state(set, 'a').estimateMs).toBe(300);
    clock.advance(500);
    set.pick().succeeded(50);
    const w = Math.exp(-0.5);
    expect(state(set, 'a').estimateMs).toBeCloseTo(300 * w + 50 * (1 - w), 9);
  });

  it('compares a new answer with the decayed estimate: a sample above it becomes the estimate', () => {
    const { set, clock } = setup(['a']);
    set.pick().succeeded(1000);
    clock.advance(2000); // decayed to ~135
    set.pick().succeeded(200);
    expect(state(set, 'a').estimateMs).toBe(200);
  });

  it('sends traffic to the faster endpoint', () => {
    const { set } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(500);
    leaseOn(set, 'b').succeeded(100);
    for (let i = 0; i < 5; i++) {
      const lease = set.pick();
      expect(lease.endpoint).toBe('b');
      lease.succeeded(100);
    }
  });

  it('tries a slow endpoint again once its idle estimate has decayed below the busy one, and lets it win traffic back', () => {
    const { set, clock } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(500);
    leaseOn(set, 'b').succeeded(100);
    const picks: Array<[number, string]> = [];
    let elapsed = 0;
    // b answers in 100 ms every 100 ms; a has not been asked since its 500 ms answer.
    while (elapsed < 1800) {
      clock.advance(100);
      elapsed += 100;
      const lease = set.pick();
      picks.push([elapsed, lease.endpoint]);
      lease.succeeded(lease.endpoint === 'a' ? 20 : 100);
    }
    // At each pick b costs 100·e^-0.1 ≈ 90.5; a costs 500·e^(-t/1000): 91.3 at 1700 ms, 82.6 at 1800 ms.
    expect(picks.filter(([, e]) => e === 'a')).toEqual([[1800, 'a']]);
    expect(state(set, 'a').estimateMs).toBeLessThan(100);

    // Now a answers in 20 ms and b in 100 ms: a takes most of the traffic.
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      const lease = set.pick();
      counts[lease.endpoint as 'a' | 'b']++;
      lease.succeeded(lease.endpoint === 'a' ? 20 : 100);
    }
    expect(counts.a).toBeGreaterThan(80);
  });

  it('weights the estimate by requests in flight: cost = estimate × (in flight + 1)', () => {
    const { set } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'b').succeeded(250);
    // a: 100, 200, 300, 400, 500 (tie with b's 500: a is listed first), 600; b: 250, 500.
    expect(burst(set, 7)).toEqual(['a', 'a', 'b', 'a', 'a', 'a', 'b']);
    expect(state(set, 'a').inflight).toBe(5);
    expect(state(set, 'b').inflight).toBe(2);
  });

  it('moves traffic back as requests in flight finish', () => {
    const { set } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'b').succeeded(150);
    const first = set.pick();
    expect(first.endpoint).toBe('a'); // a: 100 < 150
    expect(set.pick().endpoint).toBe('b'); // a: 200 > b: 150
    first.released();
    expect(set.pick().endpoint).toBe('a');
  });
});

describe('EndpointSet unobserved endpoints', () => {
  it('tries an unobserved endpoint at once, with one request of a burst while another is known', () => {
    const { set } = setup(['known', 'fresh']);
    leaseOn(set, 'known').succeeded(100);
    expect(burst(set, 6)).toEqual(['fresh', 'known', 'known', 'known', 'known', 'known']);
    expect(state(set, 'fresh').inflight).toBe(1);
  });

  it('spreads a first burst one request per unobserved endpoint', () => {
    const { set } = setup(['a', 'b', 'c']);
    expect(burst(set, 3)).toEqual(['a', 'b', 'c']);
    // All three are now probed and unanswered: equal penalties, the first listed wins.
    expect(set.pick().endpoint).toBe('a');
    // With two requests on a, b and c (one each) cost less.
    expect(burst(set, 2)).toEqual(['b', 'c']);
  });

  it('uses an unobserved endpoint by its estimate once it has answered', () => {
    const { set } = setup(['known', 'fresh']);
    leaseOn(set, 'known').succeeded(100);
    const probe = set.pick();
    expect(probe.endpoint).toBe('fresh');
    probe.succeeded(30);
    expect(state(set, 'fresh').estimateMs).toBe(30);
    expect(burst(set, 3)).toEqual(['fresh', 'fresh', 'fresh']); // 30, 60, 90 < 100
    expect(set.pick().endpoint).toBe('known'); // fresh 120 > known 100
  });
});

describe('EndpointSet avoid', () => {
  it('prefers another endpoint than `avoid`, even a slower one', () => {
    const { set } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'b').succeeded(900);
    let lease = set.pick('a');
    expect(lease.endpoint).toBe('b');
    lease.released();
    lease = set.pick('b');
    expect(lease.endpoint).toBe('a');
    lease.released();
    expect(set.pick('not-an-endpoint').endpoint).toBe('a');
  });

  it('picks the cheapest of the others when there are several', () => {
    const { set } = setup(['a', 'b', 'c']);
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'b').succeeded(300);
    leaseOn(set, 'c').succeeded(200);
    expect(set.pick('a').endpoint).toBe('c');
  });

  it('sends to `avoid` when it is the only endpoint in rotation', () => {
    const { set } = setup(['a', 'b']);
    failTimes(set, 'b', 3);
    expect(state(set, 'b').ejected).toBe(true);
    expect(set.pick('a').endpoint).toBe('a');
    expect(setup(['only']).set.pick('only').endpoint).toBe('only');
  });
});

describe('EndpointSet ejection', () => {
  it('ejects after ejectAfterFailures consecutive failures, for ejectionMs', () => {
    const { set, clock, events } = setup(['a', 'b']);
    failTimes(set, 'a', 2);
    expect(state(set, 'a').ejected).toBe(false);
    expect(events).toEqual([]);
    failTimes(set, 'a', 1);
    expect(events).toEqual(['ejected a until 11000']);
    expect(state(set, 'a').ejected).toBe(true);
    expect(set.pick().endpoint).toBe('b');

    clock.advance(999);
    expect(burst(set, 5)).toEqual(['b', 'b', 'b', 'b', 'b']);
    expect(state(set, 'a').ejected).toBe(true);
    clock.advance(1);
    expect(state(set, 'a').ejected).toBe(false);
    expect(events).toEqual(['ejected a until 11000', 'recovered a']);
  });

  it('counts only consecutive failures: a success starts the count again', () => {
    const { set, events } = setup(['a', 'b']);
    failTimes(set, 'a', 2);
    leaseOn(set, 'a').succeeded(10);
    failTimes(set, 'a', 2);
    expect(events).toEqual([]);
    failTimes(set, 'a', 1);
    expect(events).toEqual(['ejected a until 11000']);
  });

  it('does not let released() or abandoned() break a run of failures, nor count them as failures', () => {
    const { set, events } = setup(['a', 'b']);
    failTimes(set, 'a', 2);
    for (let i = 0; i < 5; i++) leaseOn(set, 'a').released();
    for (let i = 0; i < 5; i++) leaseOn(set, 'a').abandoned(10);
    expect(events).toEqual([]);
    failTimes(set, 'a', 1);
    expect(events).toEqual(['ejected a until 11000']);
  });

  it('takes a timed-out failure latency into the estimate', () => {
    const { set } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'a').failed(5000);
    expect(state(set, 'a').estimateMs).toBe(5000);
    leaseOn(set, 'a').failed();
    expect(state(set, 'a').estimateMs).toBe(5000);
  });

  it('doubles the ejection for each ejection in a row, up to maxEjectionMs', () => {
    const { set, clock, events } = setup(['a', 'b'], { ejectionMs: 1000, maxEjectionMs: 5000 });
    failTimes(set, 'a', 3);
    const lengths: number[] = [];
    for (let i = 0; i < 5; i++) {
      const until = Number(events.at(-1)?.split(' ').at(-1));
      lengths.push(until - clock.now());
      clock.advance(until - clock.now());
      // Back on probation: estimate reset, tried at once, and one failure ejects it again.
      const probe = set.pick();
      expect(probe.endpoint).toBe('a');
      probe.failed();
    }
    expect(lengths).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(events.filter((e) => e.startsWith('recovered'))).toHaveLength(5);
    expect(events.filter((e) => e.startsWith('ejected'))).toHaveLength(6);
  });

  it('resets the estimate of a recovered endpoint, so it is probed with one request of a burst', () => {
    const { set, clock } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(5000);
    leaseOn(set, 'b').succeeded(100);
    failTimes(set, 'a', 3);
    clock.advance(1000);
    expect(state(set, 'a')).toEqual({ endpoint: 'a', estimateMs: 0, inflight: 0, ejected: false });
    expect(burst(set, 4)).toEqual(['a', 'b', 'b', 'b']);
  });

  it('keeps a recovered endpoint that answers: probation ends, and it needs a full run of failures again', () => {
    const { set, clock, events } = setup(['a', 'b']);
    failTimes(set, 'a', 3);
    clock.advance(1000);
    leaseOn(set, 'a').succeeded(50);
    failTimes(set, 'a', 2);
    expect(state(set, 'a').ejected).toBe(false);
    failTimes(set, 'a', 1);
    // Still an ejection in a row (it was back for less than maxEjectionMs): twice as long.
    expect(events).toEqual(['ejected a until 11000', 'recovered a', 'ejected a until 13000']);
  });

  it('forgets past ejections after a success once back in rotation for longer than maxEjectionMs', () => {
    const { set, clock, events } = setup(['a', 'b'], { ejectionMs: 1000, maxEjectionMs: 4000 });
    failTimes(set, 'a', 3); // until 11000
    clock.advance(1000);
    leaseOn(set, 'a').succeeded(50); // back at 11000
    clock.advance(4001);
    leaseOn(set, 'a').succeeded(50); // in rotation 4001 ms
    failTimes(set, 'a', 3);
    expect(events.at(-1)).toBe(`ejected a until ${clock.now() + 1000}`);
  });

  it('does not forget past ejections after a success only maxEjectionMs after the ejection began', () => {
    const { set, clock, events } = setup(['a', 'b'], { ejectionMs: 1000, maxEjectionMs: 4000 });
    failTimes(set, 'a', 3); // at 10000, until 11000
    clock.advance(1000);
    leaseOn(set, 'a').succeeded(50); // back at 11000
    clock.advance(3500); // 4500 ms since the ejection began, 3500 ms back in rotation
    leaseOn(set, 'a').succeeded(50);
    failTimes(set, 'a', 3);
    expect(events.at(-1)).toBe(`ejected a until ${clock.now() + 2000}`);
  });

  it('holds a flapping endpoint at maxEjectionMs: one answer right after its return does not reset the doubling', () => {
    const { set, clock, events } = setup(['a', 'b'], { ejectionMs: 1000, maxEjectionMs: 4000 });
    failTimes(set, 'a', 3); // 1000
    for (const ms of [1000, 2000]) {
      clock.advance(ms);
      leaseOn(set, 'a').failed(); // probation failure: 2000, then 4000
    }
    expect(events.at(-1)).toBe(`ejected a until ${clock.now() + 4000}`);
    clock.advance(4000);
    const probe = set.pick();
    expect(probe.endpoint).toBe('a');
    clock.advance(1);
    probe.succeeded(50); // back for 1 ms
    failTimes(set, 'a', 3);
    expect(events.at(-1)).toBe(`ejected a until ${clock.now() + 4000}`);
  });

  it('does not forget past ejections on a late success from a request sent before the ejection', () => {
    const { set, clock, events } = setup(['a', 'b']);
    const early = leaseOn(set, 'a');
    failTimes(set, 'a', 3); // until 11000
    clock.advance(500);
    early.succeeded(50); // answered while a is out of rotation
    clock.advance(500);
    leaseOn(set, 'a').failed(); // on probation: ejected again, for twice as long
    expect(events).toEqual(['ejected a until 11000', 'recovered a', 'ejected a until 13000']);
  });

  it('never ejects the last endpoint in rotation, and ejects it once another is back', () => {
    const { set, clock, events } = setup(['a', 'b']);
    failTimes(set, 'b', 3);
    expect(events).toEqual(['ejected b until 11000']);
    failTimes(set, 'a', 10);
    expect(events).toEqual(['ejected b until 11000']);
    expect(state(set, 'a').ejected).toBe(false);
    expect(set.pick().endpoint).toBe('a');
    clock.advance(1000);
    // b is back; a's failures were consecutive all along, so its next one ejects it.
    failTimes(set, 'a', 1);
    expect(events).toEqual(['ejected b until 11000', 'recovered b', 'ejected a until 12000']);
    expect(set.pick().endpoint).toBe('b');
  });

  it('never ejects a lone endpoint', () => {
    const { set, events } = setup(['only'], { ejectAfterFailures: 1 });
    failTimes(set, 'only', 20);
    expect(events).toEqual([]);
    expect(set.pick().endpoint).toBe('only');
  });

  it('keeps one of three in rotation when all fail', () => {
    const { set, events } = setup(['a', 'b', 'c'], { ejectAfterFailures: 1 });
    for (let i = 0; i < 3; i++) set.pick().failed();
    for (let i = 0; i < 3; i++) set.pick().failed();
    expect(events).toEqual(['ejected a until 11000', 'ejected b until 11000']);
    expect(set.snapshot().map((s) => s.ejected)).toEqual([true, true, false]);
    expect(set.pick().endpoint).toBe('c');
  });

  it('reports a failure on an already ejected endpoint without ejecting it again', () => {
    const { set, events } = setup(['a', 'b']);
    const late = [leaseOn(set, 'a'), leaseOn(set, 'a'), leaseOn(set, 'a'), leaseOn(set, 'a')];
    for (const lease of late) lease.failed();
    expect(events).toEqual(['ejected a until 11000']);
    expect(state(set, 'a').inflight).toBe(0);
  });

  it('recovers lazily: the observer hears of it at the next pick or snapshot', () => {
    const { set, clock, events } = setup(['a', 'b']);
    failTimes(set, 'a', 3);
    clock.advance(5000);
    expect(events).toEqual(['ejected a until 11000']);
    set.pick().released();
    expect(events).toEqual(['ejected a until 11000', 'recovered a']);
    set.snapshot();
    set.pick().released();
    expect(events).toEqual(['ejected a until 11000', 'recovered a']);
  });

  it('works without an observer', () => {
    const clock = new ManualClock();
    const set = new EndpointSet(['a', 'b'], { ...OPTIONS, clock });
    for (let i = 0; i < 3; i++) set.pick().failed();
    expect(set.snapshot().map((s) => s.ejected)).toEqual([true, false]);
    clock.advance(1000);
    expect(set.pick().endpoint).toBe('a');
  });
});

describe('EndpointSet lease outcomes', () => {
  it('counts a request in flight from pick until its outcome', () => {
    const { set } = setup(['a']);
    const leases = [set.pick(), set.pick(), set.pick(), set.pick()];
    expect(state(set, 'a').inflight).toBe(4);
    leases[0]?.succeeded(10);
    leases[1]?.failed();
    leases[2]?.released();
    leases[3]?.abandoned(10);
    expect(state(set, 'a').inflight).toBe(0);
  });

  it('takes an abandoned attempt into the estimate without counting it as a failure', () => {
    const { set, clock, events } = setup(['a', 'b'], { ejectAfterFailures: 1 });
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'a').abandoned(400); // a lower bound above the estimate: taken at once
    expect(state(set, 'a').estimateMs).toBe(400);
    clock.advance(100);
    leaseOn(set, 'a').abandoned(50);
    const w = Math.exp(-0.1);
    expect(state(set, 'a').estimateMs).toBeCloseTo(400 * w + 50 * (1 - w), 9);
    expect(events).toEqual([]);
    expect(state(set, 'a').ejected).toBe(false);
  });

  it('makes an abandoned slow attempt move traffic elsewhere', () => {
    const { set } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'b').succeeded(150);
    const lease = set.pick();
    expect(lease.endpoint).toBe('a');
    lease.abandoned(2000);
    expect(set.pick().endpoint).toBe('b');
  });

  it('learns nothing from released(): the estimate only decays and failures still count', () => {
    const { set, clock } = setup(['a']);
    set.pick().succeeded(200);
    clock.advance(500);
    set.pick().released();
    expect(state(set, 'a').estimateMs).toBeCloseTo(200 * Math.exp(-0.5), 9);
    // Released right after a pick of an unobserved endpoint: still unobserved.
    const fresh = setup(['x', 'y']).set;
    fresh.pick().released();
    expect(fresh.snapshot()).toEqual([
      { endpoint: 'x', estimateMs: 0, inflight: 0, ejected: false },
      { endpoint: 'y', estimateMs: 0, inflight: 0, ejected: false },
    ]);
  });

  it('ignores a latency that is negative or NaN, but still ends the lease', () => {
    const { set, events } = setup(['a', 'b'], { ejectAfterFailures: 2 });
    leaseOn(set, 'a').succeeded(100);
    leaseOn(set, 'a').succeeded(-5);
    leaseOn(set, 'a').succeeded(Number.NaN);
    leaseOn(set, 'a').abandoned(Number.NaN);
    expect(state(set, 'a')).toEqual({
      endpoint: 'a',
      estimateMs: 100,
      inflight: 0,
      ejected: false,
    });
    leaseOn(set, 'a').failed(Number.NaN);
    leaseOn(set, 'a').failed(-1);
    expect(state(set, 'a').estimateMs).toBe(100);
    expect(events).toEqual(['ejected a until 11000']);
  });

  it('ignores an infinite latency rather than losing the endpoint for good', () => {
    const { set, clock } = setup(['a', 'b']);
    leaseOn(set, 'a').succeeded(Number.POSITIVE_INFINITY);
    leaseOn(set, 'b').succeeded(100);
    clock.advance(10_000);
    expect(Number.isFinite(state(set, 'a').estimateMs)).toBe(true);
    expect(set.pick().endpoint).toBe('a');
  });

  it('always picks an endpoint in rotation, even when the one left costs more than any number', () => {
    const { set } = setup(['a', 'b']);
    const b = leaseOn(set, 'b');
    failTimes(set, 'a', 3);
    b.succeeded(Number.MAX_VALUE); // finite, but × 2 in flight overflows
    set.pick(); // b, now 1 in flight
    const next = set.pick();
    expect(next.endpoint).toBe('b');
    expect(state(set, 'a').ejected).toBe(true);
  });

  describe('reports once: later calls on the same lease are no-ops', () => {
    it('succeeded twice frees one slot and takes one sample', () => {
      const { set } = setup(['a']);
      const held = set.pick();
      const lease = set.pick();
      lease.succeeded(100);
      lease.succeeded(900);
      expect(state(set, 'a')).toEqual({
        endpoint: 'a',
        estimateMs: 100,
        inflight: 1,
        ejected: false,
      });
      held.released();
      expect(state(set, 'a').inflight).toBe(0);
    });

    it('a failure after a success is not counted', () => {
      const { set, events } = setup(['a', 'b'], { ejectAfterFailures: 1 });
      const lease = leaseOn(set, 'a');
      lease.succeeded(10);
      lease.failed(5000);
      expect(events).toEqual([]);
      expect(state(set, 'a').estimateMs).toBe(10);
    });

    it('a failure reported twice counts once', () => {
      const { set, events } = setup(['a', 'b'], { ejectAfterFailures: 2 });
      const lease = leaseOn(set, 'a');
      lease.failed();
      lease.failed();
      expect(events).toEqual([]);
      expect(state(set, 'a').inflight).toBe(0);
    });

    it('a success after a failure neither clears it nor takes a sample', () => {
      const { set, events } = setup(['a', 'b'], { ejectAfterFailures: 2 });
      const lease = leaseOn(set, 'a');
      lease.failed();
      lease.succeeded(10);
      expect(state(set, 'a').estimateMs).toBe(0);
      failTimes(set, 'a', 1);
      expect(events).toEqual(['ejected a until 11000']);
    });

    it('abandoned or released after another outcome changes nothing', () => {
      const { set } = setup(['a']);
      const held = set.pick();
      const lease = set.pick();
      lease.released();
      lease.abandoned(5000);
      lease.released();
      expect(state(set, 'a')).toEqual({
        endpoint: 'a',
        estimateMs: 0,
        inflight: 1,
        ejected: false,
      });
      const other = set.pick();
      other.abandoned(300);
      other.succeeded(10);
      other.abandoned(5000);
      expect(state(set, 'a')).toEqual({
        endpoint: 'a',
        estimateMs: 300,
        inflight: 1,
        ejected: false,
      });
      held.released();
    });
  });

  it('ignores what requests sent before an ejection report after the endpoint is back', () => {
    const clock = new ManualClock();
    const set = new EndpointSet(['a', 'b'], {
      decayMs: 10_000,
      ejectAfterFailures: 3,
      ejectionMs: 10_000,
      maxEjectionMs: 60_000,
      clock,
    });
    // a answers in 10 ms, b in 100: the next five requests all go to a.
    set.pick().succeeded(10);
    set.pick().succeeded(100);
    const old = Array.from({ length: 5 }, () => set.pick());
    expect(old.map((l) => l.endpoint)).toEqual(['a', 'a', 'a', 'a', 'a']);
    clock.advance(1_000);
    for (const lease of old.slice(0, 3)) lease.failed(1_000);
    expect(set.snapshot().find((e) => e.endpoint === 'a')?.ejected).toBe(true);
    clock.advance(10_500);
    expect(set.snapshot().find((e) => e.endpoint === 'a')?.ejected).toBe(false);
    // On probation, but a timeout of a request sent before the ejection says nothing of now.
    old[3]?.failed(11_500);
    expect(set.snapshot().find((e) => e.endpoint === 'a')).toMatchObject({
      ejected: false,
      inflight: 1,
    });
    // Nor does an old success end the probation: a new failure still ejects it at once.
    old[4]?.succeeded(5);
    const fresh = set.pick();
    expect(fresh.endpoint).toBe('a');
    fresh.failed();
    expect(set.snapshot().find((e) => e.endpoint === 'a')?.ejected).toBe(true);
  });
});
