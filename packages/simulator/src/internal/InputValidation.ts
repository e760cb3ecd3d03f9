import type { InputDeclaration, InputType } from "../WorkflowDefinition.js"

const typeOf = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "array"
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number"
  return typeof value
}

const matches = (type: InputType, value: unknown): boolean => {
  switch (type) {
    case "string":
      return typeof value === "string"
    case "integer":
      return typeof value === "number" && Number.isSafeInteger(value)
    case "number":
      return typeof value === "number" && Number.isFinite(value)
    case "boolean":
      return typeof value === "boolean"
    case "array":
      return Array.isArray(value)
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value)
  }
}

/**
 * Checks `input` against a workflow's declared inputs and returns every problem found, first in
 * declaration order, then the undeclared keys. An empty list means the input is valid.
 *
 * @internal
 */
export const problems = (
  declarations: ReadonlyArray<InputDeclaration>,
  input: Readonly<Record<string, unknown>>
): ReadonlyArray<string> => {
  const found: Array<string> = []
  const declared = new Set<string>()
  for (const declaration of declarations) {
    declared.add(declaration.name)
    if (!Object.hasOwn(input, declaration.name)) {
      if (declaration.required) found.push(`"${declaration.name}" is required`)
      continue
    }
    const value = input[declaration.name]
    if (!matches(declaration.type, value)) {
      found.push(`"${declaration.name}" must be of type ${declaration.type}, got ${typeOf(value)}`)
      continue
    }
    if (declaration.type === "array" && declaration.items !== undefined) {
      const items = value as ReadonlyArray<unknown>
      const index = items.findIndex((item) => !matches(declaration.items!, item))
      if (index >= 0) {
        found.push(
          `"${declaration.name}[${index}]" must be of type ${declaration.items}, got ${typeOf(items[index])}`
        )
      }
    }
  }
  for (const key of Object.keys(input)) {
    if (!declared.has(key)) found.push(`"${key}" is not an input of this workflow`)
  }
  return found
}
