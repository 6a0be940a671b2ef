import {
  LuaScript,
  type RedisClientLike,
  type RedisCommander,
  redisCommander,
} from '../redis/redis-commander.js';
import {
  type AdjustRequest,
  DIMENSIONS,
  type QuotaDimension,
  type QuotaStore,
  type TakeRequest,
  type TakeResult,
} from './quota-store.js';

/*
 * The same arithmetic as takeFromWindows / adjustWindows (quota-window.ts), atomically on the
 * server. One hash per model: field `t` is the key's clock (the latest caller time seen; a
 * replica whose clock lags records at it rather than in the past), field `<d>:<slot>` holds
 * what dimension d (1 rpm, 2 input_tpm, 3 rpd) took in slot `floor(time / slotMs)`, and
 * `r<d>:<slot>` what the reserved lane's takes alone hold there. Amounts are kept as strings
 * (Redis truncates Lua numbers to integers in replies). Every run deletes the slots that have
 * aged out and sets the key to expire once its newest slot would have.
 * KEYS[1] the model's hash; ARGV: now, mode ('take' | 'adjust'), takenAt (adjust), ttlMs,
 * reserved ('1' for a take or adjust of the reserved lane, else '0'), then per dimension:
 * windowMs, slotMs, amount (or delta), ceiling, reserve.
 */
const SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local mode = ARGV[2]
local takenAt = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local reserved = ARGV[5] == '1'
local function fmt(x) return string.format('%.17g', x) end
local function field(prefix, i, slot) return string.format('%s%d:%d', prefix, i, slot) end
local clock = now
local latest = tonumber(redis.call('HGET', key, 't'))
if latest and latest > clock then clock = latest end
local dims = {}
for i = 1, 3 do
  local b = 5 + (i - 1) * 5
  dims[i] = {
    window = tonumber(ARGV[b + 1]), slot = tonumber(ARGV[b + 2]),
    amount = tonumber(ARGV[b + 3]), ceiling = tonumber(ARGV[b + 4]),
    reserve = tonumber(ARGV[b + 5]),
    slots = {}, used = 0, reservedUsed = 0,
  }
end
local fields = redis.call('HGETALL', key)
for j = 1, #fields, 2 do
  local r, d, s = string.match(fields[j], '^(r?)(%d+):(%-?%d+)$')
  if d then
    local dim = dims[tonumber(d)]
    s = tonumber(s)
    if dim == nil or (s + 1) * dim.slot + dim.window <= clock then
      redis.call('HDEL', key, fields[j])
    elseif r == 'r' then
      dim.reservedUsed = dim.reservedUsed + tonumber(fields[j + 1])
    else
      local v = tonumber(fields[j + 1])
      dim.slots[#dim.slots + 1] = { s, v }
      dim.used = dim.used + v
    end
  end
end
local prefixes = { '' }
if reserved then prefixes = { '', 'r' } end
local denied = 0
local wait = 0
if mode == 'take' then
  for i = 1, 3 do
    local dim = dims[i]
    local reserve = dim.reserve
    if reserved then reserve = 0 end
    local held = reserve - dim.reservedUsed
    if held < 0 then held = 0 end
    local ceiling = dim.ceiling - held
    if dim.amount > 0 and dim.used + dim.amount > ceiling then
      local w = -1
      if dim.amount <= dim.ceiling - reserve then
        table.sort(dim.slots, function(a, b) return a[1] < b[1] end)
        local remaining = dim.used
        for _, entry in ipairs(dim.slots) do
          remaining = remaining - entry[2]
          if remaining + dim.amount <= ceiling then
            w = (entry[1] + 1) * dim.slot + dim.window - now
            break
          end
        end
      end
      if denied == 0 or (wait >= 0 and (w < 0 or w > wait)) then
        denied = i
        wait = w
      end
    end
  end
  if denied == 0 then
    for i = 1, 3 do
      local dim = dims[i]
      if dim.amount > 0 then
        for _, prefix in ipairs(prefixes) do
          redis.call('HINCRBYFLOAT', key, field(prefix, i, math.floor(clock / dim.slot)), fmt(dim.amount))
        end
        dim.used = dim.used + dim.amount
      end
    end
  end
else
  for i = 1, 3 do
    local dim = dims[i]
    for _, prefix in ipairs(prefixes) do
      if dim.amount < 0 then
        local s = math.floor(takenAt / dim.slot)
        if (s + 1) * dim.slot + dim.window > clock then
          local f = field(prefix, i, s)
          local held = tonumber(redis.call('HGET', key, f))
          if held then
            if held + dim.amount > 0 then
              redis.call('HSET', key, f, fmt(held + dim.amount))
            else
              redis.call('HDEL', key, f)
            end
          end
        end
      elseif dim.amount > 0 then
        redis.call('HINCRBYFLOAT', key, field(prefix, i, math.floor(clock / dim.slot)), fmt(dim.amount))
      end
    end
  end
end
redis.call('HSET', key, 't', fmt(clock))
redis.call('PEXPIRE', key, ttl)
return { denied, fmt(wait), fmt(dims[1].used), fmt(dims[2].used), fmt(dims[3].used), fmt(clock) }
`;

const script = new LuaScript(SCRIPT);

export interface RedisQuotaStoreOptions {
  /** Prefix of every key, so several projects can share one Redis; default `gemini-lanes:quota:`. */
  keyPrefix?: string;
}

/**
 * Per-slot usage in Redis, shared by every replica: one hash per model (`<prefix><model>`, a
 * field per dimension and slot plus the key's clock), read and updated by one Lua script so
 * concurrent replicas never both take the last request of a window. Aged-out slots are deleted
 * as they go, and an idle key expires when its newest slot has aged out.
 */
export class RedisQuotaStore implements QuotaStore {
  readonly #redis: RedisCommander;
  readonly #prefix: string;

  constructor(client: RedisClientLike | RedisCommander, options: RedisQuotaStoreOptions = {}) {
    this.#redis = redisCommander(client);
    this.#prefix = options.keyPrefix ?? 'gemini-lanes:quota:';
  }

  async take(request: TakeRequest): Promise<TakeResult> {
    const reply = await this.#run(request, 'take', request.amounts, request.ceilings, 0, request);
    const denied = Number(reply[0]);
    const used: [number, number, number] = [Number(reply[2]), Number(reply[3]), Number(reply[4])];
    if (denied === 0) return { ok: true, atMs: Number(reply[5]), used };
    const wait = Number(reply[1]);
    return {
      ok: false,
      dimension: DIMENSIONS[denied - 1] as QuotaDimension,
      waitMs: wait < 0 ? Number.POSITIVE_INFINITY : wait,
      used,
    };
  }

  async adjust(request: AdjustRequest): Promise<void> {
    await this.#run(request, 'adjust', request.deltas, [0, 0, 0], request.takenAtMs, {
      reserved: request.reserved,
    });
  }

  async #run(
    request: Pick<TakeRequest, 'key' | 'windows' | 'nowMs'>,
    mode: 'take' | 'adjust',
    amounts: readonly [number, number, number],
    ceilings: readonly [number, number, number],
    takenAtMs: number,
    lanes: Pick<TakeRequest, 'reserve' | 'reserved'>,
  ): Promise<[number | string, string, string, string, string, string]> {
    const ttlMs = Math.max(...request.windows.map((w) => w.windowMs + w.slotMs));
    const args = [
      String(request.nowMs),
      mode,
      String(takenAtMs),
      String(ttlMs),
      lanes.reserved ? '1' : '0',
    ];
    for (let i = 0; i < 3; i++) {
      const window = request.windows[i as 0 | 1 | 2];
      args.push(
        String(window.windowMs),
        String(window.slotMs),
        String(amounts[i as 0 | 1 | 2]),
        String(ceilings[i as 0 | 1 | 2]),
        String(lanes.reserve?.[i as 0 | 1 | 2] ?? 0),
      );
    }
    return (await script.run(this.#redis, [this.#prefix + request.key], args)) as [
      number | string,
      string,
      string,
      string,
      string,
      string,
    ];
  }
}
