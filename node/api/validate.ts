/**
 * Request validation: a zod schema per body or query, and a
 * {@link BadRequestError} naming the first bad field.
 *
 * @module
 */
import { BadRequestError } from './errors.js'
import type { z } from 'zod'

/** Parses `value` with `schema`, or throws {@link BadRequestError} like `text: must not be empty`. */
export function parseRequest<S extends z.ZodType> (schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) {
    return result.data
  }
  const issue = result.error.issues[0]
  if (issue == null) {
    throw new BadRequestError(`invalid ${what}`)
  }
  if (issue.code === 'unrecognized_keys') {
    throw new BadRequestError(`${what}: unknown field ${issue.keys.map(k => `"${k}"`).join(', ')}`)
  }
  const where = issue.path.map(String).join('.')
  throw new BadRequestError(`${where === '' ? what : where}: ${issue.message}`)
}
