/**
 * The app's configuration from the environment, with the same variable names in `serve`, the
 * CLI commands and docker-compose.yml, and errors that name each missing or invalid variable.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { hostname } from "node:os"

/**
 * The webhook endpoint secrets, `STRIPE_WEBHOOK_SECRET`: one or more `whsec_` secrets separated
 * by commas, so a rolled secret and its predecessor are both accepted.
 *
 * @since 0.1.0
 * @category config
 */
export const webhookSecrets: Config.Config<readonly [Redacted.Redacted<string>, ...Array<Redacted.Redacted<string>>]> =
  Config.string("STRIPE_WEBHOOK_SECRET").pipe(
    Config.mapOrFail((text) => {
      const secrets = text.split(",").map((secret) => secret.trim()).filter((secret) => secret !== "")
      const [first, ...rest] = secrets
      if (first === undefined) {
        return Either.left(
          ConfigError.InvalidData(
            [],
            "Expected one or more webhook secrets (whsec_...) separated by commas, got none"
          )
        )
      }
      // The message gives the positions of the invalid secrets but never their text, since an
      // operator may have pasted another credential into the variable by mistake.
      const invalid = secrets.flatMap((secret, index) => (secret.startsWith("whsec_") ? [] : [index + 1]))
      if (invalid.length > 0) {
        const positions = invalid.length === 1
          ? `secret ${invalid[0]} of ${secrets.length} does not`
          : `secrets ${invalid.join(", ")} of ${secrets.length} do not`
        return Either.left(
          ConfigError.InvalidData(
            [],
            `${positions} start with whsec_: set it to the signing secret of the event destination (whsec_...), or to several separated by commas`
          )
        )
      }
      return Either.right([Redacted.make(first), ...rest.map((secret) => Redacted.make(secret))] as const)
    })
  )

/**
 * The audit API's bearer token, `AUDIT_API_TOKEN`: at least 16 characters.
 *
 * @since 0.1.0
 * @category config
 */
export const auditToken: Config.Config<Redacted.Redacted<string>> = Config.string("AUDIT_API_TOKEN").pipe(
  Config.mapOrFail((token) =>
    token.length >= 16
      ? Either.right(Redacted.make(token))
      : Either.left(
        ConfigError.InvalidData(
          [],
          "Expected a token of at least 16 characters (for example: openssl rand -hex 24)"
        )
      )
  )
)

/**
 * The log format, `LOG_FORMAT`: `json` (the default) or `pretty`.
 *
 * @since 0.1.0
 * @category config
 */
export const logFormat: Config.Config<"json" | "pretty"> = Config.literal("json", "pretty")("LOG_FORMAT").pipe(
  Config.withDefault("json" as const)
)

/**
 * Parses a positive duration written as a number and a unit, such as `25 seconds` or
 * `500 millis`, or returns a message that names the value.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parsePositiveDuration = (
  text: string,
  example = "25 seconds"
): Either.Either<Duration.Duration, string> => {
  const parsed = Duration.decodeUnknown(text.trim())
  if (Option.isSome(parsed) && Duration.greaterThan(parsed.value, Duration.zero)) return Either.right(parsed.value)
  return Either.left(
    `Expected a positive duration with a unit, such as "${example}" or "500 millis", got ${JSON.stringify(text)}`
  )
}

/**
 * A positive duration read from `name`, such as `30 seconds`. An invalid value's message gives `example`.
 *
 * @since 0.1.0
 * @category config
 */
export const positiveDuration = (name: string, example: string): Config.Config<Duration.Duration> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) =>
      Either.mapLeft(parsePositiveDuration(text, example), (message) => ConfigError.InvalidData([], message))
    )
  )

/**
 * A TCP port from 1 to 65535 read from `name`.
 *
 * @since 0.1.0
 * @category config
 */
export const port = (name: string): Config.Config<number> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => {
      const value = Number(text.trim())
      return /^\d+$/.test(text.trim()) && value >= 1 && value <= 65535
        ? Either.right(value)
        : Either.left(
          ConfigError.InvalidData(
            [],
            `Expected a port number from 1 to 65535, such as 8080, got ${JSON.stringify(text)}`
          )
        )
    })
  )

/**
 * How long `serve` waits for in-flight work after SIGTERM or SIGINT, `SHUTDOWN_TIMEOUT`: 25
 * seconds by default, which leaves 5 seconds of the 30 that docker-compose.yml gives the service
 * to stop before it is killed.
 *
 * @since 0.1.0
 * @category config
 */
export const shutdownTimeout: Config.Config<Duration.Duration> = positiveDuration("SHUTDOWN_TIMEOUT", "25 seconds")
  .pipe(Config.withDefault(Duration.seconds(25)))

/**
 * Settings of `serve`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Serve {
  readonly host: string
  readonly port: number
  readonly webhookSecrets: readonly [Redacted.Redacted<string>, ...Array<Redacted.Redacted<string>>]
  readonly auditToken: Redacted.Redacted<string>
  readonly instanceId: string
  readonly reconcileInterval: Duration.Duration
  readonly reconcileStaleAfter: Duration.Duration
  readonly shutdownTimeout: Duration.Duration
}

/**
 * `serve`'s settings: `HOST` (default 127.0.0.1), `PORT` (1 to 65535, default 8080),
 * `STRIPE_WEBHOOK_SECRET`, `AUDIT_API_TOKEN`, `INSTANCE_ID` (default host name and process id),
 * `RECONCILE_INTERVAL` (positive, default 30 seconds), `RECONCILE_STALE_AFTER` (positive, default
 * 1 minute) and `SHUTDOWN_TIMEOUT` (see
 * {@link shutdownTimeout}). The Stripe and database
 * variables are read by their own layers.
 *
 * @since 0.1.0
 * @category config
 */
export const serve: Config.Config<Serve> = Config.all({
  host: Config.nonEmptyString("HOST").pipe(Config.withDefault("127.0.0.1")),
  port: port("PORT").pipe(Config.withDefault(8080)),
  webhookSecrets,
  auditToken,
  instanceId: Config.nonEmptyString("INSTANCE_ID").pipe(Config.withDefault(`${hostname()}-${process.pid}`)),
  reconcileInterval: positiveDuration("RECONCILE_INTERVAL", "30 seconds").pipe(
    Config.withDefault(Duration.seconds(30))
  ),
  reconcileStaleAfter: positiveDuration("RECONCILE_STALE_AFTER", "1 minute").pipe(
    Config.withDefault(Duration.minutes(1))
  ),
  shutdownTimeout
})

/**
 * Every environment variable the app reads, for docker-compose.yml and the README.
 *
 * @since 0.1.0
 * @category config
 */
export const variables: ReadonlyArray<string> = [
  "DATABASE_URL",
  "HOST",
  "PORT",
  "STRIPE_API_KEY",
  "STRIPE_API_BASE",
  "STRIPE_API_VERSION",
  "STRIPE_CONTEXT",
  "STRIPE_MAX_RETRIES",
  "STRIPE_TIMEOUT",
  "STRIPE_WEBHOOK_SECRET",
  "AUDIT_API_TOKEN",
  "INSTANCE_ID",
  "LOG_FORMAT",
  "RECONCILE_INTERVAL",
  "RECONCILE_STALE_AFTER",
  "SHUTDOWN_TIMEOUT"
]

// The messages for missing variables whose value has a required form.
const missingHints: Readonly<Record<string, string>> = {
  DATABASE_URL:
    "DATABASE_URL is missing: set it in the environment, or pass --embedded for an embedded PostgreSQL in .data/",
  STRIPE_API_KEY: "STRIPE_API_KEY is missing: set it to your secret key (sk_test_... or sk_live_...)",
  STRIPE_WEBHOOK_SECRET:
    "STRIPE_WEBHOOK_SECRET is missing: set it to the event destination's signing secret (whsec_...), or to two separated by a comma while rolling it"
}

/**
 * Formats a configuration error as one line per missing or invalid variable.
 *
 * @since 0.1.0
 * @category formatting
 */
export const describeError = (error: ConfigError.ConfigError): string => {
  const lines = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: Array<string>, right: Array<string>) => [...left, ...right],
    orCase: (_, left: Array<string>, right: Array<string>) => [...left, ...right],
    invalidDataCase: (_, path, message) => [path.length === 0 ? message : `${path.join(".")} is invalid: ${message}`],
    missingDataCase: (
      _,
      path
    ) => [missingHints[path.join(".")] ?? `${path.join(".")} is missing: set it in the environment`],
    sourceUnavailableCase: (_, path, message) => [`${path.join(".")} could not be read: ${message}`],
    unsupportedCase: (_, path, message) => [`${path.join(".")} is not supported: ${message}`]
  })
  return [...new Set(lines)].join("\n")
}
