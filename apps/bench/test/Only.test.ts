import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { parseOnly } from "../src/Suite.js"

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

const runBin = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number), stderr })
    })
  })

describe("--only", () => {
  it("reads a list of benchmarks", () => {
    expect([...parseOnly("growth, memory")]).toEqual(["growth", "memory"])
  })

  it("rejects an unknown benchmark", () => {
    expect(() => parseOnly("growth,speed")).toThrow(
      "Invalid --only value \"growth,speed\": use a comma-separated list of append, growth, invoke, webhooks, memory"
    )
  })

  it("rejects an empty list", () => {
    expect(() => parseOnly(" , ")).toThrow("Invalid --only value \" , \"")
  })

  it("exits 2 with the usage on a bad value", async () => {
    const { code, stderr } = await runBin(["--only", "speed"])
    expect(code).toBe(2)
    expect(stderr).toContain("Invalid --only value \"speed\"")
    expect(stderr).toContain("Usage: pnpm bench")
  })

  it("exits 2 when --only is given twice", async () => {
    const { code, stderr } = await runBin(["--only", "append", "--only", "growth"])
    expect(code).toBe(2)
    expect(stderr).toContain(
      "--only is given twice; give it once, with a comma-separated list such as --only append,growth"
    )
    expect(stderr).toContain("Usage: pnpm bench")
  })
})
