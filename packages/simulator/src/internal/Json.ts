/**
 * Serializes a JSON value with object keys sorted at every level, so two bodies that differ only
 * in key order or whitespace get the same fingerprint.
 *
 * @internal
 */
export const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value).sort().map((key) =>
      `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`
    )
    return `{${entries.join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

/**
 * Checks whether arrays and objects nest more than `limit` levels deep in a parsed JSON value,
 * using an explicit stack, so a hostile body cannot overflow the call stack here.
 *
 * @internal
 */
export const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  const stack: Array<{ readonly node: unknown; readonly level: number }> = [{ node: value, level: 1 }]
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.node !== "object" || top.node === null) continue
    if (top.level > limit) return true
    for (const child of Object.values(top.node)) stack.push({ node: child, level: top.level + 1 })
  }
  return false
}
