import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

const invalid = (message: string) => Either.left(ConfigError.InvalidData([], message))

/**
 * A non-negative integer read from `name`; the error shows the value, which is never a secret.
 *
 * @internal
 */
export const retries = (name: string): Config.Config<number> =>
  Config.mapOrFail(Config.string(name), (value) => {
    const parsed = Number(value.trim())
    return value.trim() !== "" && Number.isInteger(parsed) && parsed >= 0
      ? Either.right(parsed)
      : invalid(`Expected a non-negative integer number of retries, such as "2", got ${JSON.stringify(value)}`)
  })

/**
 * A positive duration read from `name`, written as a number and a unit.
 *
 * @internal
 */
export const duration = (name: string): Config.Config<Duration.Duration> =>
  Config.mapOrFail(Config.string(name), (value) => {
    const parsed = Duration.decodeUnknown(value.trim())
    if (Option.isNone(parsed)) {
      return invalid(
        `Expected a duration with a unit, such as "30 seconds" or "500 millis", got ${JSON.stringify(value)}`
      )
    }
    // A zero timeout would fail every request before it is sent.
    return Duration.greaterThan(parsed.value, Duration.zero)
      ? Either.right(parsed.value)
      : invalid(`Expected a positive duration with a unit, such as "30 seconds", got ${JSON.stringify(value)}`)
  })

// The message for a publishable key, which the API rejects. It shows only the prefix.
export const publishableKeyMessage =
  "Expected a secret key (sk_test_... or sk_live_...), got a publishable key (pk_...), which the API rejects"

/**
 * An API key read from `name`, kept `Redacted`: not empty and not a publishable key (`pk_`). The
 * error never shows the key.
 *
 * @internal
 */
export const apiKey = (name: string): Config.Config<Redacted.Redacted<string>> =>
  Config.mapOrFail(
    Config.nonEmptyString(name),
    (value) => value.trim().startsWith("pk_") ? invalid(publishableKeyMessage) : Either.right(Redacted.make(value))
  )

/**
 * An http or https URL read from `name`.
 *
 * @internal
 */
export const httpUrl = (name: string): Config.Config<URL> =>
  Config.mapOrFail(Config.string(name), (value) => {
    try {
      const url = new URL(value)
      if (url.protocol === "http:" || url.protocol === "https:") return Either.right(url)
    } catch {
      // Reported below with the value.
    }
    return invalid(`Expected an http or https URL such as https://api.stripe.com, got ${JSON.stringify(value)}`)
  })

const missingMessages: ReadonlyMap<string, string> = new Map([
  ["STRIPE_API_KEY", "STRIPE_API_KEY is not set: set it to your secret key (sk_test_... or sk_live_...)"]
])

/**
 * Rewrites the missing-data errors of required variables into messages that say what to set.
 * Effect's own message for a missing `Config.redacted` value is only `<redacted>`.
 *
 * @internal
 */
export const explainMissing = (error: ConfigError.ConfigError): ConfigError.ConfigError => {
  switch (error._op) {
    case "And":
      return ConfigError.And(explainMissing(error.left), explainMissing(error.right))
    case "Or":
      return ConfigError.Or(explainMissing(error.left), explainMissing(error.right))
    case "MissingData": {
      const message = missingMessages.get(error.path[error.path.length - 1] ?? "")
      return message === undefined ? error : ConfigError.MissingData([...error.path], message)
    }
    default:
      return error
  }
}
