import { describe, expect, it } from "@effect/vitest"
import canonicalize from "canonicalize"
import { readFileSync } from "node:fs"

const minimumNode = (range: string): number => {
  const match = /^>=\s*(\d+)/.exec(range)
  if (match === null) throw new Error(`Unexpected engines.node range ${JSON.stringify(range)}`)
  return Number(match[1])
}

const manifestOf = (path: string | URL) =>
  JSON.parse(readFileSync(path, "utf8")) as { readonly engines?: { readonly node?: string } }

describe("canonicalize", () => {
  it("supports every Node version the store supports", () => {
    const store = manifestOf(new URL("../package.json", import.meta.url))
    const dependency = manifestOf(new URL("../node_modules/canonicalize/package.json", import.meta.url))

    expect(minimumNode(dependency.engines?.node ?? ">=0")).toBeLessThanOrEqual(minimumNode(store.engines!.node!))
  })

  it("writes numbers as RFC 8785 does", () => {
    expect(
      canonicalize([Number("333333333.33333329"), 1e30, 4.50, 2e-3, 0.000000000000000000000000001, -0, 1e21, 1e-7])
    ).toBe(
      "[333333333.3333333,1e+30,4.5,0.002,1e-27,0,1e+21,1e-7]"
    )
  })

  it("sorts keys by UTF-16 code units", () => {
    const input = { "\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7 }

    expect(canonicalize(input)).toBe(
      "{\"\\r\":2,\"1\":4,\"\u0080\":6,\"\u00f6\":7,\"\u20ac\":1,\"\ud83d\ude00\":5,\"\ufb33\":3}"
    )
  })

  it("escapes strings as RFC 8785 does", () => {
    expect(canonicalize({ s: "\u20ac$\u000f\nA'B\"\\\\\"/", nested: { b: [1, { d: null, c: true }], a: [] } })).toBe(
      "{\"nested\":{\"a\":[],\"b\":[1,{\"c\":true,\"d\":null}]},\"s\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
    )
  })
})
