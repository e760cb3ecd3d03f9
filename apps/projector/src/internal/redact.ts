import * as Redacted from "effect/Redacted"

/**
 * Replaces every occurrence of the secrets in `text` with `<redacted>`. Error messages quote the
 * request's own values, and a sender that put a secret into a header or parameter by mistake
 * must not find it in a log line or a response.
 */
export const redactSecrets = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string =>
  secrets.reduce((result, secret) => {
    const value = Redacted.value(secret)
    return value === "" ? result : result.replaceAll(value, "<redacted>")
  }, text)
