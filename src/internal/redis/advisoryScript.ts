/**
 * Atomic advisory writes for `DragonflyStore`: one Lua script call per chunk of advisories changes
 * each advisory's data, its index memberships with their match summaries, its `pkgs:<id>` set and its `ids` entry together
 * (one round trip and one script run per chunk, not per advisory: per-advisory calls cost the
 * server and client more than the writes themselves).
 *
 * The script only touches keys passed in KEYS (DragonflyDB requires it, and it keeps the script
 * cluster-safe). The client cannot know every index key in advance (they are listed in
 * `pkgs:<id>`), so it declares what it expects (the new memberships, plus any it already knows
 * are stale) and the script checks that every current membership is declared. If not, it changes
 * nothing for that advisory and returns the undeclared ones; the client retries it with them
declared (the other advisories of the chunk are written). Re-syncing an
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
-- One call writes a chunk of advisories. KEYS[1] ids; then per advisory, in order: its data key,
-- its pkgs key, then its <n> index keys: the first <fresh> are its new memberships ('put'), the
-- rest memberships to leave; then the <n> summary keys of those memberships, in the same order.
-- ARGV: 1 index key prefix, 2 ttl ms (0 = none), 3 ids score, 4 advisory count; then per advisory
--       6 fields: mode (put | del | purge), id, fallback done (0 | 1), value, index key count <n>,
--       fresh count; then its <fresh> new suffixes, then their <fresh> summaries ('' = none).
-- A membership's summary is written with it (same expiry as the data) and deleted with it.
-- Returns one reply per advisory: {0, undeclared...} | {1, existed, removed} | {2} (needs fallback)
-- | {3} (purge: alive). An advisory with undeclared memberships or needing the fallback is left
-- untouched (the client retries it); the others are written, each with all its keys, so every
-- advisory is applied whole or not at all.
-- Redis embeds Lua 5.1 (global unpack), DragonflyDB Lua 5.4 (table.unpack).
local unpack = table.unpack or unpack
local prefix, ttl, score = ARGV[1], ARGV[2], ARGV[3]
local idsKey = KEYS[1]

local function dropAll(keys)
  for i = 1, #keys, 500 do redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys))) end
end

local function one(mode, id, fallbackDone, value, dataKey, pkgsKey, first, last, fresh, argFirst)
  local count = last - first + 1
  if mode == 'purge' and redis.call('EXISTS', dataKey) == 1 then return {3} end
  local declared = {}
  for i = first, last do declared[KEYS[i]] = true end
  local members = redis.call('SMEMBERS', pkgsKey)
  local undeclared = {0}
  for _, m in ipairs(members) do
    if not declared[prefix .. m] then undeclared[#undeclared + 1] = m end
  end
  if #undeclared > 1 then return undeclared end
  local existed = redis.call('EXISTS', dataKey)
  if mode ~= 'purge' and #members == 0 and existed == 1 and fallbackDone ~= '1'
    and not redis.call('ZSCORE', idsKey, id) then
    return {2}
  end
  if mode ~= 'put' then fresh = 0 end
  local removed = 0
  -- Summary keys to delete, DELeted 500 per call (one call per key costs more than the deletes).
  local stale = {}
  for i = first + fresh, last do
    removed = removed + redis.call('SREM', KEYS[i], id)
    stale[#stale + 1] = KEYS[i + count]
  end
  if mode ~= 'put' then
    dropAll(stale)
    redis.call('DEL', pkgsKey)
    if mode == 'del' then redis.call('DEL', dataKey) end
    redis.call('ZREM', idsKey, id)
    return {1, existed, removed}
  end
  if ttl == '0' then
    redis.call('SET', dataKey, value)
  else
    redis.call('SET', dataKey, value, 'PX', ttl)
  end
  for i = first, first + fresh - 1 do
    redis.call('SADD', KEYS[i], id)
    local summary = ARGV[argFirst + fresh + i - first]
    if summary == '' then
      stale[#stale + 1] = KEYS[i + count]
    elseif ttl == '0' then
      redis.call('SET', KEYS[i + count], summary)
    else
      redis.call('SET', KEYS[i + count], summary, 'PX', ttl)
    end
  end
  -- Re-syncing an unchanged advisory: pkgs:<id> already lists exactly the new memberships.
  local same = #members == fresh
  if same then
    local wanted = {}
    for i = argFirst, argFirst + fresh - 1 do wanted[ARGV[i]] = true end
    for _, m in ipairs(members) do
      if not wanted[m] then same = false end
    end
  end
  if not same then
    redis.call('DEL', pkgsKey)
    for i = argFirst, argFirst + fresh - 1, 500 do
      redis.call('SADD', pkgsKey, unpack(ARGV, i, math.min(i + 499, argFirst + fresh - 1)))
    end
  end
  dropAll(stale)
  redis.call('ZADD', idsKey, score, id)
  return {1, existed, removed}
end

local replies = {}
local k, a = 2, 5
for n = 1, tonumber(ARGV[4]) do
  local indexCount, fresh = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  replies[n] = one(ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], KEYS[k], KEYS[k + 1],
    k + 2, k + 1 + indexCount, fresh, a + 6)
  k = k + 2 + 2 * indexCount
  a = a + 6 + 2 * fresh
end
return replies
`

const commandName = "vulneraAdvisoryWrite"

interface ScriptedRedis extends Redis {
  /** One array (numkeys, KEYS..., ARGV...): ioredis flattens it, and a spread of that many arguments could overflow the stack. */
  vulneraAdvisoryWrite(args: Array<string | number | Buffer>): Promise<unknown>
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
  readonly summary: (suffix: string, id: string) => string
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
 * Applies ops atomically per advisory, one script call per round (a round retries only the
 * advisories the previous one left untouched). `oldSuffixes` decodes the value of
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
      const reply = yield* connection.run(
        operation,
        (redis) => (redis as ScriptedRedis).vulneraAdvisoryWrite(scriptArgs(keys, batch, expiry))
      )
      const replies = reply as Array<unknown>
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

/** KEYS and ARGV of one script call writing `batch` (layout: the comment at the top of the script), built without spreading. */
const scriptArgs = (keys: AdvisoryKeys, batch: ReadonlyArray<Pending>, expiry: ScriptExpiry): Array<string | number | Buffer> => {
  const keyList: Array<string> = [keys.ids]
  const argList: Array<string | Buffer> = [keys.indexPrefix, String(expiry.ttlMillis), expiry.score, String(batch.length)]
  for (const item of batch) {
    const { id, mode, suffixes, summaries, value } = item.op
    const fresh = mode === "put" ? suffixes : []
    keyList.push(keys.data(id), keys.pkgs(id))
    for (const suffix of fresh) keyList.push(keys.indexPrefix + suffix)
    for (const suffix of item.leave) keyList.push(keys.indexPrefix + suffix)
    for (const suffix of fresh) keyList.push(keys.summary(suffix, id))
    for (const suffix of item.leave) keyList.push(keys.summary(suffix, id))
    argList.push(
      mode,
      id,
      item.fallbackDone ? "1" : "0",
      value === undefined ? "" : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      String(fresh.length + item.leave.size),
      String(fresh.length)
    )
    // No spread: an advisory may name 80,000 packages.
    for (const suffix of fresh) argList.push(suffix)
    for (let i = 0; i < fresh.length; i++) {
      const summary = summaries?.[i]
      argList.push(summary === undefined ? "" : Buffer.from(summary.buffer, summary.byteOffset, summary.byteLength))
    }
  }
  const args: Array<string | number | Buffer> = [keyList.length]
  for (const key of keyList) args.push(key)
  for (const arg of argList) args.push(arg)
  return args
}
