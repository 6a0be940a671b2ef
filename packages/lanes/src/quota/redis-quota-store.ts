import {
  LuaScript,
  type RedisClientLike,
  type RedisCommander,
  redisCommander,
} from '../redis/redis-commander.js';
import {
  DIMENSIONS,
  type QuotaDimension,
  type QuotaStore,
  type TakeRequest,
  type TakeResult,
} from './quota-store.js';

/*
 * The same arithmetic as takeFromLevels, atomically on the server. Levels are floats kept as
 * strings (Redis truncates Lua numbers to integers in replies). Time never goes backwards: a
 * replica whose clock lags refills nothing rather than un-refilling.
 * KEYS[1] the model's hash; ARGV: now, mode ('take' | 'adjust'), ttlMs, then per dimension:
 * capacity, refillPerMs, amount (or delta), floor.
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local mode = ARGV[2]
local ttl = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'l1', 'l2', 'l3')
local t = tonumber(state[1]) or now
local elapsed = now - t
if elapsed < 0 then elapsed = 0 end
local levels = {}
local denied = 0
local wait = 0
for i = 1, 3 do
  local base = 3 + (i - 1) * 4
  local cap = tonumber(ARGV[base + 1])
  local rate = tonumber(ARGV[base + 2])
  local amount = tonumber(ARGV[base + 3])
  local floor = tonumber(ARGV[base + 4])
  local level = tonumber(state[i + 1]) or cap
  level = math.min(cap, level + elapsed * rate)
  levels[i] = level
  if mode == 'take' and amount > 0 and level - amount < floor then
    local w = -1
    if amount + floor <= cap then w = (amount + floor - level) / rate end
    if denied == 0 or (wait >= 0 and (w < 0 or w > wait)) then
      denied = i
      wait = w
    end
  end
end
if denied == 0 then
  for i = 1, 3 do
    local base = 3 + (i - 1) * 4
    local cap = tonumber(ARGV[base + 1])
    local amount = tonumber(ARGV[base + 3])
    if mode == 'take' then levels[i] = levels[i] - amount else levels[i] = math.min(cap, levels[i] + amount) end
  end
end
local newT = t
if now > t then newT = now end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', newT), 'l1', string.format('%.17g', levels[1]), 'l2', string.format('%.17g', levels[2]), 'l3', string.format('%.17g', levels[3]))
redis.call('PEXPIRE', KEYS[1], ttl)
return {denied, string.format('%.17g', wait), string.format('%.17g', levels[1]), string.format('%.17g', levels[2]), string.format('%.17g', levels[3])}
`;

const script = new LuaScript(SCRIPT);

export interface RedisQuotaStoreOptions {
  /** Prefix of every key, so several projects can share one Redis; default `gemini-lanes:quota:`. */
  keyPrefix?: string;
}

/**
 * Bucket levels in Redis, shared by every replica: one hash per model, updated by one Lua
 * script so concurrent replicas never both take the last token. Keys expire after two days
 * idle (a full RPD bucket looks the same as a missing one).
 */
export class RedisQuotaStore implements QuotaStore {
  readonly #redis: RedisCommander;
  readonly #prefix: string;

  constructor(client: RedisClientLike | RedisCommander, options: RedisQuotaStoreOptions = {}) {
    this.#redis = redisCommander(client);
    this.#prefix = options.keyPrefix ?? 'gemini-lanes:quota:';
  }

  async take(request: TakeRequest): Promise<TakeResult> {
    return this.#run(request, 'take', request.amounts, request.floors);
  }

  async adjust(
    request: Omit<TakeRequest, 'amounts' | 'floors'> & {
      deltas: readonly [number, number, number];
    },
  ) {
    await this.#run(request, 'adjust', request.deltas, [0, 0, 0]);
  }

  async #run(
    request: Pick<TakeRequest, 'key' | 'buckets' | 'nowMs'>,
    mode: 'take' | 'adjust',
    amounts: readonly [number, number, number],
    floors: readonly [number, number, number],
  ): Promise<TakeResult> {
    const args = [String(request.nowMs), mode, String(2 * 86_400_000)];
    for (let i = 0; i < 3; i++) {
      const bucket = request.buckets[i as 0 | 1 | 2];
      args.push(
        String(bucket.capacity),
        String(bucket.refillPerMs),
        String(amounts[i as 0 | 1 | 2]),
        String(floors[i as 0 | 1 | 2]),
      );
    }
    const reply = (await script.run(this.#redis, [this.#prefix + request.key], args)) as [
      number | string,
      string,
      string,
      string,
      string,
    ];
    const denied = Number(reply[0]);
    const levels: [number, number, number] = [Number(reply[2]), Number(reply[3]), Number(reply[4])];
    if (denied === 0) return { ok: true, levels };
    const wait = Number(reply[1]);
    return {
      ok: false,
      dimension: DIMENSIONS[denied - 1] as QuotaDimension,
      waitMs: wait < 0 ? Number.POSITIVE_INFINITY : wait,
      levels,
    };
  }
}
