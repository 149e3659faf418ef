/**
 * Where `natter send`, `chat` and `history` go: a contact (or peer id) or a
 * group. A word that names both a contact and a group is refused with the
 * ways to say which (`--group` / `group:<name>`, or `--contact`), rather than
 * guessed: a message to the wrong audience cannot be taken back.
 *
 * @module
 */
import { ApiError, AmbiguousTargetError, UsageError } from './errors.js'
import { shellQuote } from './safe-text.js'
import type { ApiClient } from './client.js'
import type { GroupView } from '../node/api/types.js'

/** The prefix that marks a group: `group:team`, `group:b4fq…`. */
export const GROUP_PREFIX = 'group:'

/** A resolved target. */
export type Target =
  | { kind: 'peer', peerId: string, name?: string }
  | { kind: 'group', group: GroupView }

/** How the user said it: `--group`, `--contact`, or neither. */
export interface TargetFlags {
  group?: boolean
  contact?: boolean
}

/** The word without its `group:` prefix, and the kind the user asked for (if they did). */
export function parseTarget (word: string, flags: TargetFlags = {}): { key: string, kind?: 'peer' | 'group' } {
  if (flags.group === true && flags.contact === true) {
    throw new UsageError('--group and --contact cannot both be given')
  }
  if (word.startsWith(GROUP_PREFIX)) {
    if (flags.contact === true) {
      throw new UsageError(`--contact cannot be used with "${GROUP_PREFIX}…"`)
    }
    const key = word.slice(GROUP_PREFIX.length)
    if (key.trim() === '') {
      throw new UsageError(`give the group after "${GROUP_PREFIX}": its name or id`)
    }
    return { key, kind: 'group' }
  }
  if (word.trim() === '') {
    throw new UsageError('give a contact or a group')
  }
  return { key: word, kind: flags.group === true ? 'group' : flags.contact === true ? 'peer' : undefined }
}

function isNotFound (err: unknown): boolean {
  return err instanceof ApiError && (err.name === 'GroupNotFoundError' || err.name === 'ContactNotFoundError')
}

/**
 * Resolves a word to a contact or a group. Without `--group`/`--contact`
 * (or the `group:` prefix) both are looked up: a word that is both answers
 * {@link AmbiguousTargetError}; one that is neither, `TargetNotFoundError`.
 * `command` is the start of the suggested commands (`natter send`).
 */
export async function resolveTarget (client: ApiClient, word: string, flags: TargetFlags, command: string): Promise<Target> {
  const { key, kind } = parseTarget(word, flags)
  const asGroup = async (): Promise<Target> => ({ kind: 'group', group: (await client.api.getGroup({ params: { group: key } })).group })
  const asPeer = async (): Promise<Target> => {
    const r = await client.api.resolve({ query: { peer: key } })
    return r.name == null ? { kind: 'peer', peerId: r.peerId } : { kind: 'peer', peerId: r.peerId, name: r.name }
  }
  if (kind === 'group') {
    return asGroup()
  }
  if (kind === 'peer') {
    return asPeer()
  }
  const [peer, group] = await Promise.allSettled([asPeer(), asGroup()])
  if (peer.status === 'fulfilled' && group.status === 'fulfilled') {
    const q = shellQuote(key)
    throw new AmbiguousTargetError(`"${key}" is both a contact and a group; say which: \`${command} --contact ${q} …\` for the contact, \`${command} --group ${q} …\` (or ${shellQuote(GROUP_PREFIX + key)}) for the group`)
  }
  if (peer.status === 'fulfilled') {
    // the group lookup failing for another reason than "no such group" is not hidden
    if (group.status === 'rejected' && !isNotFound(group.reason) && !(group.reason instanceof ApiError && group.reason.name === 'AmbiguousGroupError')) {
      throw group.reason
    }
    return peer.value
  }
  if (group.status === 'fulfilled') {
    return group.value
  }
  if (isNotFound(peer.reason) && isNotFound(group.reason)) {
    throw new TargetNotFoundError(`no contact or group named "${key}"`)
  }
  // the more telling one: a malformed peer id, an ambiguous group name, a daemon error
  throw isNotFound(peer.reason) ? group.reason : peer.reason
}

/** Neither a contact nor a group has this name. */
export class TargetNotFoundError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'TargetNotFoundError'
  }
}
