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
