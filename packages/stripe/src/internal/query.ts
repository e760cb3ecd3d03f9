/**
 * Encodes list filters the way Stripe's clients do: arrays as indexed keys
 * (`status[0]=started&status[1]=failed`), values URL-encoded, absent filters left out.
 *
 * @internal
 */
export const listQuery = (
  params: Readonly<Record<string, ReadonlyArray<string> | number | undefined>>
): string => {
  const pairs: Array<string> = []
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (typeof value === "number") {
      pairs.push(`${key}=${encodeURIComponent(String(value))}`)
      continue
    }
    value.forEach((item, index) => pairs.push(`${key}[${index}]=${encodeURIComponent(item)}`))
  }
  return pairs.length === 0 ? "" : `?${pairs.join("&")}`
}
