/**
 * Group handlers: list, create, show, add, remove, leave, rename, send,
 * history and read state, over `natter.groups` (through the node facade).
 * Groups are addressed in paths by id, id prefix or name; the library
 * resolves them and names what went wrong (`GroupNotFoundError`,
 * `AmbiguousGroupError`, `NotGroupAdminError`, `NotGroupMemberError`).
 *
 * @module
 */
import { ContactNotFoundError } from '../../../src/index.js'
import type { NodeFacade } from '../../node-api.js'
import type { Handlers } from '../handlers.js'

/** What the group handlers need. */
export interface GroupHandlersComponents {
  facade: Pick<NodeFacade, 'groups' | 'resolvePeer'>
}

type GroupOperation =
  | 'listGroups' | 'createGroup' | 'getGroup' | 'renameGroup' | 'addGroupMember' | 'removeGroupMember' | 'leaveGroup'
  | 'sendGroup' | 'groupHistory' | 'markGroupRead'

/** The group handlers. */
export function groupHandlers (components: GroupHandlersComponents): Pick<Handlers, GroupOperation> {
  const { facade } = components
  const { groups } = facade
  /** A malformed peer id is a bad argument (400 `InvalidPeerIdError`), as everywhere else, before the library looks for a contact. */
  const checkPeer = (member: string): string => {
    facade.resolvePeer(member)
    return member
  }
  return {
    async listGroups () {
      return { body: { groups: groups.list() } }
    },

    async createGroup ({ body, signal }) {
      // the same contact twice is one invitation
      const members = [...new Set((body.members ?? []).map(m => checkPeer(m.trim())))]
      return { status: 201, body: { group: await groups.create(body.name, members, { signal }) } }
    },

    async getGroup ({ params }) {
      return { body: { group: groups.get(params.group) } }
    },

    async renameGroup ({ params, body }) {
      return { body: { group: await groups.rename(params.group, body.name) } }
    },

    async addGroupMember ({ params, body, signal }) {
      const member = body.member.trim()
      try {
        // the library checks the admin first (a non-admin gets NotGroupAdminError, whoever it names), then the contact
        return { body: { group: await groups.add(params.group, member, { signal }) } }
      } catch (err) {
        // no such contact: a malformed peer id is still named as one (400 InvalidPeerIdError)
        if (err instanceof ContactNotFoundError) checkPeer(member)
        throw err
      }
    },

    async removeGroupMember ({ params, signal }) {
      return { body: { group: await groups.remove(params.group, params.member.trim(), { signal }) } }
    },

    async leaveGroup ({ params, signal }) {
      return { body: { group: await groups.leave(params.group, { signal }) } }
    },

    async sendGroup ({ params, body, signal }) {
      return { status: 201, body: { message: await groups.send(params.group, body.text, { signal }) } }
    },

    async groupHistory ({ params, query }) {
      return { body: groups.history(params.group, { limit: query.limit ?? 50, before: query.before }) }
    },

    async markGroupRead ({ params, body }) {
      return { body: groups.markRead(params.group, body.upTo) }
    }
  }
}
