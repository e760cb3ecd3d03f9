import type * as Usage from "@effect/cli/Usage"
import * as Option from "effect/Option"

/** An option that takes a value: whether it may be given more than once, and the values it accepts. */
interface ValueOption {
  readonly repeatable: boolean
  /** As the usage names them, such as `text` or `started | succeeded | failed`. */
  readonly accepted: string
}

// The options that take a value, by name.
const valueOptions = (usage: Usage.Usage, repeatable: boolean): ReadonlyArray<readonly [string, ValueOption]> => {
  switch (usage._tag) {
    case "Named":
      return Option.match(usage.acceptedValues, {
        onNone: () => [],
        onSome: (accepted) => usage.names.map((name) => [name, { repeatable, accepted }] as const)
      })
    case "Optional":
      return valueOptions(usage.usage, repeatable)
    case "Repeated":
      return valueOptions(usage.usage, true)
    case "Alternation":
    case "Concat":
      return [...valueOptions(usage.left, repeatable), ...valueOptions(usage.right, repeatable)]
    default:
      return []
  }
}

/**
 * Finds the first option of a command (by its `usage`) that takes one value but appears more than
 * once in `args`, the arguments after the command's name, with `--name value` and `--name=value`
 * both counted. Option names compare without case, as @effect/cli's default configuration does.
 */
export const findRepeatedOption = (
  usage: Usage.Usage,
  args: ReadonlyArray<string>
): { readonly flag: string; readonly values: ReadonlyArray<string> } | undefined => {
  const options = new Map(valueOptions(usage, false))
  const values = new Map<string, Array<string>>()
  for (let index = 0; index < args.length; index++) {
    const token = args[index]!
    const separator = token.indexOf("=")
    const flag = (separator < 0 ? token : token.slice(0, separator)).toLowerCase()
    const repeatable = options.get(flag)?.repeatable
    if (repeatable === undefined) continue
    // The next argument is this option's value, even when it starts with --.
    const value = separator < 0 ? args[++index] : token.slice(separator + 1)
    if (!repeatable && value !== undefined) values.set(flag, [...(values.get(flag) ?? []), value])
  }
  for (const [flag, given] of values) {
    if (given.length > 1) return { flag, values: given }
  }
  return undefined
}

/**
 * Finds an option that takes a value but ends `args` (the arguments after the command's name)
 * with nothing after it. Returns the option as given and the values it accepts.
 */
export const findOptionWithoutValue = (
  usage: Usage.Usage,
  args: ReadonlyArray<string>
): { readonly flag: string; readonly accepted: string } | undefined => {
  const options = new Map(valueOptions(usage, false))
  for (let index = 0; index < args.length; index++) {
    const token = args[index]!
    const option = token.includes("=") ? undefined : options.get(token.toLowerCase())
    if (option === undefined) continue
    if (index === args.length - 1) return { flag: token, accepted: option.accepted }
    // The next argument is this option's value, even when it starts with --.
    index++
  }
  return undefined
}

// Every option name of a command, with or without a value, such as `--workflow` and `--embedded`.
const optionNames = (usage: Usage.Usage): ReadonlyArray<string> => {
  switch (usage._tag) {
    case "Named":
      return usage.names
    case "Optional":
    case "Repeated":
      return optionNames(usage.usage)
    case "Alternation":
    case "Concat":
      return [...optionNames(usage.left), ...optionNames(usage.right)]
    default:
      return []
  }
}

/** The options that @effect/cli adds to the program, which go before the command. */
export const programOptions: ReadonlyArray<string> = ["--help", "--version", "--log-level", "--completions", "--wizard"]

/** The values that @effect/cli accepts, in lowercase only, for those of {@link programOptions} that take one. */
export const programOptionValues: ReadonlyMap<string, ReadonlyArray<string>> = new Map([
  ["--log-level", ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"]],
  ["--completions", ["sh", "bash", "fish", "zsh"]]
])

const builtInOptions = new Set([...programOptions, "-h"])

/**
 * Finds the option `flag` in `args`, as `--flag value` or `--flag=value`. Returns its position and
 * its value, which is undefined when nothing follows the option. `found` is false without it.
 */
export const findOptionValue = (
  args: ReadonlyArray<string>,
  flag: string
): { readonly found: boolean; readonly index: number; readonly value: string | undefined } => {
  const index = args.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`))
  if (index < 0) return { found: false, index, value: undefined }
  const token = args[index]!
  return { found: true, index, value: token.includes("=") ? token.slice(token.indexOf("=") + 1) : args[index + 1] }
}

/**
 * Counts the single-character insertions, deletions and substitutions that turn one word into the
 * other.
 */
export const editDistance = (left: string, right: string): number => {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index)
  for (let i = 1; i <= left.length; i++) {
    const current = [i]
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[right.length]!
}

/**
 * Finds the first argument in `args` (the arguments after the command's name) that looks like an
 * option but matches none of the command's options, and the one option within two edits of it,
 * when exactly one is that close. The value after an option that takes one is skipped, even when
 * it starts with `-`.
 */
export const findUnknownOption = (
  usage: Usage.Usage,
  args: ReadonlyArray<string>
): { readonly flag: string; readonly nearest: string | undefined } | undefined => {
  const names = optionNames(usage)
  const known = new Set(names.map((name) => name.toLowerCase()))
  const withValue = new Set(valueOptions(usage, false).map(([name]) => name.toLowerCase()))
  for (let index = 0; index < args.length; index++) {
    const token = args[index]!
    if (!token.startsWith("-") || token === "-" || token === "--") continue
    const separator = token.indexOf("=")
    const flag = (separator < 0 ? token : token.slice(0, separator)).toLowerCase()
    if (known.has(flag)) {
      if (separator < 0 && withValue.has(flag)) index++
      continue
    }
    if (builtInOptions.has(flag)) continue
    // A negative number is a value, not an option.
    if (/^-\d/.test(flag)) continue
    const close = names.filter((name) => name.startsWith("--") && editDistance(flag, name.toLowerCase()) <= 2)
    return {
      flag: separator < 0 ? token : token.slice(0, separator),
      nearest: close.length === 1 ? close[0] : undefined
    }
  }
  return undefined
}
