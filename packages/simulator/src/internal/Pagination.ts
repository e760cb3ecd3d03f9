import * as Either from "effect/Either"

/**
 * The state a page URL carries: which way to read (`next`: older items, `previous`: newer
 * ones), the sequence number to read from (exclusive), the page size and the list's filters.
 * Filters cannot change after the first page, as in Stripe's v2 lists.
 *
 * @internal
 */
export interface Cursor {
  readonly direction: "next" | "previous"
  readonly from: number
  readonly limit: number
  readonly filters: Readonly<Record<string, ReadonlyArray<string>>>
}

/** @internal */
export const encode = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url")

/** @internal */
export const decode = (token: string): Either.Either<Cursor, string> => {
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<Cursor>
    if (
      (value.direction === "next" || value.direction === "previous") && Number.isSafeInteger(value.from) &&
      Number.isSafeInteger(value.limit) && typeof value.filters === "object" && value.filters !== null
    ) {
      return Either.right(value as Cursor)
    }
  } catch {
    // Reported below with the same message as a token of the wrong shape.
  }
  return Either.left(`page ${JSON.stringify(token)} is not a page token of this list; follow next_page_url as given`)
}

/**
 * One page of a list whose items carry increasing sequence numbers, newest first, and the
 * cursors of its neighbours. Keyset paging over sequence numbers keeps pages stable while new
 * items arrive: they only ever appear on earlier pages.
 *
 * @internal
 */
export interface Page<A> {
  readonly data: ReadonlyArray<A>
  readonly next: Cursor | undefined
  readonly previous: Cursor | undefined
}

/**
 * Reads a page from `items` (ordered by ascending `seq`, where `seq` is the index in the array)
 * keeping those that pass `keep`.
 *
 * @internal
 */
export const page = <A extends { readonly seq: number }>(
  items: ReadonlyArray<A>,
  keep: (item: A) => boolean,
  cursor: Cursor
): Page<A> => {
  const { filters, limit } = cursor
  if (cursor.direction === "next") {
    const data: Array<A> = []
    let index = Math.min(cursor.from, items.length) - 1
    for (; index >= 0 && data.length < limit; index--) {
      const item = items[index]!
      if (keep(item)) data.push(item)
    }
    let more = false
    for (; index >= 0; index--) {
      if (keep(items[index]!)) {
        more = true
        break
      }
    }
    const first = data[0]
    const last = data[data.length - 1]
    return {
      data,
      next: more && last !== undefined ? { direction: "next", from: last.seq, limit, filters } : undefined,
      previous: first !== undefined && cursor.from < items.length && hasNewer(items, keep, first.seq)
        ? { direction: "previous", from: first.seq, limit, filters }
        : undefined
    }
  }
  const newer: Array<A> = []
  let index = cursor.from + 1
  for (; index < items.length && newer.length < limit; index++) {
    const item = items[index]!
    if (keep(item)) newer.push(item)
  }
  const data = newer.reverse()
  const first = data[0]
  const last = data[data.length - 1]
  return {
    data,
    next: last !== undefined ? { direction: "next", from: last.seq, limit, filters } : undefined,
    previous: first !== undefined && hasNewer(items, keep, first.seq)
      ? { direction: "previous", from: first.seq, limit, filters }
      : undefined
  }
}

const hasNewer = <A>(items: ReadonlyArray<A>, keep: (item: A) => boolean, seq: number): boolean => {
  for (let index = seq + 1; index < items.length; index++) {
    if (keep(items[index]!)) return true
  }
  return false
}
