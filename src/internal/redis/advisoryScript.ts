/**
 * Atomic advisory writes for `DragonflyStore`: one Lua script changes an advisory's data, its index
 * memberships, its `pkgs:<id>` set and its `ids` entry together.
 *
 * The script only touches keys passed in KEYS (DragonflyDB requires it, and it keeps the script
 * cluster-safe). The client cannot know every index key in advance (they are listed in
 * `pkgs:<id>`), so it declares what it expects (the new memberships, plus any it already knows
 * are stale) and the script checks that every current membership is declared. If not, it changes
 * nothing and returns the undeclared ones; the client retries with them declared. Re-syncing an
 * unchanged or new advisory therefore takes one round trip, and a concurrent writer changing the
 * same advisory can only cause a retry, never a half-applied write. (WATCH/MULTI would need a
 * connection of its own per writer: WATCH is connection state, unsafe on a shared connection.)
 *
 * Advisories written by the Rust crate have no `pkgs:<id>`; the script reports that case, and the
 * client decodes the old value to find its old memberships (`fallback`).
 */
import { Effect } from "effect"
import type { Redis } from "ioredis"
import { StoreError } from "../../Errors.js"
import type { AdvisoryWrite, AdvisoryWriteResult } from "../store/driver.js"
import type { RedisConnection } from "./client.js"

const lua = `
-- KEYS[1] data, KEYS[2] pkgs, KEYS[3] ids, KEYS[4..] index keys: the first ARGV[8] are the
-- advisory's new memberships ('put'), the rest memberships to leave.
-- ARGV: 1 mode (put | del | purge), 2 id, 3 index key prefix, 4 fallback done (0 | 1),
--       5 value, 6 ttl ms (0 = none), 7 ids score, 8 new membership count, 9.. new suffixes.
-- Returns {0, undeclared...} | {1, existed, removed} | {2} (needs fallback) | {3} (purge: alive).
-- Redis embeds Lua 5.1 (global unpack), DragonflyDB Lua 5.4 (table.unpack).
local unpack = table.unpack or unpack
local mode, id, prefix = ARGV[1], ARGV[2], ARGV[3]
if mode == 'purge' and redis.call('EXISTS', KEYS[1]) == 1 then return {3} end
local declared = {}
for i = 4, #KEYS do declared[KEYS[i]] = true end
local members = redis.call('SMEMBERS', KEYS[2])
local undeclared = {0}
for _, m in ipairs(members) do
  if not declared[prefix .. m] then undeclared[#undeclared + 1] = m end
end
if #undeclared > 1 then return undeclared end
local existed = redis.call('EXISTS', KEYS[1])
if mode ~= 'purge' and #members == 0 and existed == 1 and ARGV[4] ~= '1'
  and not redis.call('ZSCORE', KEYS[3], id) then
  return {2}
end
local fresh = 0
if mode == 'put' then fresh = tonumber(ARGV[8]) end
local removed = 0
for i = 4 + fresh, #KEYS do removed = removed + redis.call('SREM', KEYS[i], id) end
if mode ~= 'put' then
  redis.call('DEL', KEYS[2])
  if mode == 'del' then redis.call('DEL', KEYS[1]) end
  redis.call('ZREM', KEYS[3], id)
  return {1, existed, removed}
end
if ARGV[6] == '0' then
  redis.call('SET', KEYS[1], ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[6])
end
for i = 1, fresh do redis.call('SADD', KEYS[3 + i], id) end
-- Re-syncing an unchanged advisory: pkgs:<id> already lists exactly the new memberships.
local same = #members == fresh
if same then
  local wanted = {}
  for i = 9, 8 + fresh do wanted[ARGV[i]] = true end
  for _, m in ipairs(members) do
    if not wanted[m] then same = false end
  end
end
if not same then
  redis.call('DEL', KEYS[2])
  for i = 9, 8 + fresh, 500 do
    redis.call('SADD', KEYS[2], unpack(ARGV, i, math.min(i + 499, 8 + fresh)))
  end
end
redis.call('ZADD', KEYS[3], ARGV[7], id)
return {1, existed, removed}
`

const commandName = "vulneraAdvisoryWrite"

interface ScriptedRedis extends Redis {
  /** One array argument (ioredis flattens it): spreading 80,000 index keys into a call overflows the stack. */
  vulneraAdvisoryWrite(args: ReadonlyArray<number | string | Buffer>): Promise<unknown>
}

/** Registers the script on a connection (ioredis sends it with EVAL once per socket, then EVALSHA). */
export const defineAdvisoryScript = (client: Redis): void => {
  client.defineCommand(commandName, { lua })
}

/** Key names the script needs. */
export interface AdvisoryKeys {
  readonly data: (id: string) => string
  readonly pkgs: (id: string) => string
  readonly ids: string
  readonly indexPrefix: string
}

/** Expiry arguments for `put`: PX milliseconds (0 = none) and the `ids` score. */
export interface ScriptExpiry {
  readonly ttlMillis: number
  readonly score: string
}

/** Rounds of "declare more keys and retry" before giving up on a constantly changing advisory. */
const maxRounds = 16

interface Pending {
  readonly index: number
  readonly op: AdvisoryWrite
  readonly leave: Set<string>
  fallbackDone: boolean
}

/**
 * Applies ops atomically per advisory, pipelining each round. `oldSuffixes` decodes the value of
 * an advisory that has no `pkgs:<id>` (written by the Rust crate) to find its old memberships.
 */
export const applyAdvisoryOps = <E>(
  connection: RedisConnection,
  operation: string,
  keys: AdvisoryKeys,
  ops: ReadonlyArray<AdvisoryWrite>,
  expiry: ScriptExpiry,
  oldSuffixes: (id: string, value: Uint8Array) => Effect.Effect<ReadonlyArray<string>, E>
): Effect.Effect<ReadonlyArray<AdvisoryWriteResult>, StoreError | E> =>
  Effect.gen(function*() {
    const results: Array<AdvisoryWriteResult | undefined> = new Array(ops.length)
    let pending: Array<Pending> = ops.map((op, index) => ({
      index,
      op,
      leave: new Set(op.leave.filter((s) => !op.suffixes.includes(s))),
      fallbackDone: false
    }))
    for (let round = 0; pending.length > 0; round++) {
      if (round === maxRounds) {
        return yield* new StoreError({
          reason: "CommandFailed",
          operation,
          detail: `advisory ${pending[0]!.op.id} kept changing under concurrent writers (${maxRounds} attempts)`,
          retryable: true
        })
      }
      const batch = pending
      const replies = yield* connection.pipeline(operation, (pipeline) => {
        const p = pipeline as unknown as ScriptedRedis
        for (const item of batch) p.vulneraAdvisoryWrite(scriptArgs(keys, item, expiry))
      })
      const next: Array<Pending> = []
      const needOld: Array<Pending> = []
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i]!
        const reply = replies[i] as Array<string | number>
        const code = Number(reply[0])
        if (code === 1) results[item.index] = { existed: Number(reply[1]) === 1, removed: Number(reply[2]) }
        else if (code === 3) results[item.index] = { existed: true, removed: 0 }
        else if (code === 2) needOld.push(item)
        else {
          for (const suffix of reply.slice(1)) item.leave.add(String(suffix))
          next.push(item)
        }
      }
      if (needOld.length > 0) {
        const values = yield* connection.pipeline(operation, (pipeline) => {
          for (const item of needOld) pipeline.getBuffer(keys.data(item.op.id))
        })
        yield* Effect.forEach(needOld, (item, i) => {
          const value = values[i] as Buffer | null
          item.fallbackDone = true
          next.push(item)
          if (value === null) return Effect.void
          return Effect.map(oldSuffixes(item.op.id, value), (old) => {
            for (const suffix of old) if (!item.op.suffixes.includes(suffix)) item.leave.add(suffix)
          })
        }, { discard: true })
      }
      pending = next
    }
    return results as ReadonlyArray<AdvisoryWriteResult>
  })

/** The script's arguments, built without spreading (an advisory may name 80,000 packages). */
const scriptArgs = (keys: AdvisoryKeys, item: Pending, expiry: ScriptExpiry): Array<number | string | Buffer> => {
  const { id, mode, suffixes, value } = item.op
  const fresh = mode === "put" ? suffixes : []
  const args: Array<number | string | Buffer> = [0, keys.data(id), keys.pkgs(id), keys.ids]
  for (const suffix of fresh) args.push(keys.indexPrefix + suffix)
  for (const suffix of item.leave) args.push(keys.indexPrefix + suffix)
  args[0] = args.length - 1
  args.push(
    mode,
    id,
    keys.indexPrefix,
    item.fallbackDone ? "1" : "0",
    value === undefined ? "" : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    String(mode === "put" ? expiry.ttlMillis : 0),
    expiry.score,
    String(fresh.length)
  )
  for (const suffix of fresh) args.push(suffix)
  return args
}
