import * as Either from "effect/Either"

/**
 * A query string read into scalars and arrays. Array filters arrive in three forms and all are
 * accepted: indexed (`status[0]=a&status[1]=b`, what the official clients send), bracket
 * (`status[]=a`) and repeated (`status=a&status=b`).
 *
 * @internal
 */
export interface Query {
  readonly values: ReadonlyMap<string, ReadonlyArray<string>>
}

const keyPattern = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d*)\])?$/

/**
 * Parses `search` (without the `?`; an empty or bare `?` query is empty). Unknown keys are kept
 * so the caller can reject them.
 *
 * @internal
 */
export const parse = (search: string): Either.Either<Query, string> => {
  const indexed = new Map<string, Array<{ index: number; value: string }>>()
  let params: URLSearchParams
  try {
    params = new URLSearchParams(search)
  } catch {
    return Either.left(`the query string ${JSON.stringify(search)} could not be parsed`)
  }
  for (const [rawKey, value] of params) {
    if (rawKey === "") continue
    const match = keyPattern.exec(rawKey)
    if (match === null) return Either.left(`the query parameter ${JSON.stringify(rawKey)} is not recognised`)
    const name = match[1]!
    const index = match[2] === undefined || match[2] === "" ? Number.MAX_SAFE_INTEGER : Number(match[2])
    const list = indexed.get(name) ?? []
    list.push({ index, value })
    indexed.set(name, list)
  }
  const values = new Map<string, ReadonlyArray<string>>()
  for (const [name, list] of indexed) {
    // A stable sort keeps the arrival order of bracket and repeated values after indexed ones.
    values.set(name, [...list].sort((a, b) => a.index - b.index).map((entry) => entry.value))
  }
  return Either.right({ values })
}

/** @internal */
export const single = (query: Query, name: string): Either.Either<string | undefined, string> => {
  const values = query.values.get(name)
  if (values === undefined) return Either.right(undefined)
  if (values.length > 1) return Either.left(`${name} must be given once, got ${values.length} values`)
  return Either.right(values[0])
}

/** @internal */
export const array = (query: Query, name: string): ReadonlyArray<string> => query.values.get(name) ?? []
