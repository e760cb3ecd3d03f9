/**
 * The lossless escaping of strings that PostgreSQL `jsonb` cannot store.
 *
 * `jsonb` rejects U+0000 and unpaired UTF-16 surrogates in keys and string values. Such a string
 * is stored as U+FFFF followed by its JSON string literal (`JSON.stringify`), in which U+0000 is
 * the six characters `\u0000` and a lone surrogate is a `\udXXX` escape. A string that itself
 * starts with U+FFFF is escaped the same way, so decoding is unambiguous: a stored string that
 * starts with U+FFFF is always `JSON.parse` of the rest.
 */

const marker = "\uffff"

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

const needsEscape = (value: string): boolean =>
  value.startsWith(marker) || value.includes("\u0000") || loneSurrogate.test(value)

const escapeString = (value: string): string => needsEscape(value) ? marker + JSON.stringify(value) : value

const unescapeString = (value: string): string =>
  value.startsWith(marker) ? JSON.parse(value.slice(marker.length)) as string : value

const mapStrings = (value: unknown, f: (value: string) => string): unknown => {
  if (typeof value === "string") return f(value)
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, f))
  if (value !== null && typeof value === "object") {
    // `fromEntries` defines own properties, so a `__proto__` key stays an ordinary key.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [f(key), mapStrings(item, f)]))
  }
  return value
}

/**
 * Escapes every key and string value of `value` that `jsonb` cannot store.
 *
 * @internal
 */
export const escapeJson = (value: unknown): unknown => mapStrings(value, escapeString)

// Every append runs this on its data and metadata, so it walks the keys without building the
// key-value pairs of `Object.entries`.
const containsEscapable = (value: unknown): boolean => {
  if (typeof value === "string") return needsEscape(value)
  if (Array.isArray(value)) return value.some(containsEscapable)
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) {
      if (needsEscape(key) || containsEscapable(record[key])) return true
    }
  }
  return false
}

/**
 * Escapes like {@link escapeJson}, but returns `value` itself when nothing in it needs
 * escaping, which spares the copy for values that are serialized at once and not kept.
 *
 * @internal
 */
export const escapeJsonIfNeeded = (value: unknown): unknown => containsEscapable(value) ? escapeJson(value) : value

/**
 * Reverses {@link escapeJson}.
 *
 * @internal
 */
export const unescapeJson = (value: unknown): unknown => mapStrings(value, unescapeString)
