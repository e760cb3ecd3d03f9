import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { render, sectionTitles } from "../src/Report.js"
import * as Suite from "../src/Suite.js"

// One tiny run of every benchmark shared by the checks below; it asserts what the report
// contains, never how fast anything was.
const report = Effect.promise(() => Suite.run(Suite.smoke)).pipe(Effect.cached, Effect.runSync)

describe("bench suite", () => {
  it.live("report has every section in order", () =>
    Effect.gen(function*() {
      const markdown = render(yield* report)
      const positions = sectionTitles.map((title) => markdown.indexOf(`\n## ${title}\n`))
      expect(positions.every((position) => position > 0)).toBe(true)
      expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    }), 300_000)

  it.live("append figures cover each contender, workload and writer count", () =>
    Effect.gen(function*() {
      const append = (yield* report).append!
      const keys = append.figures.map((figure) => `${figure.contender}/${figure.workload}/${figure.writers}`).sort()
      const expected = append.contenders.flatMap((contender) =>
        append.workloads.flatMap((workload) =>
          Suite.smoke.append.writers.map((writers) => `${contender.name}/${workload.id}/${writers}`)
        )
      ).sort()
      expect(keys).toEqual(expected)
      expect(append.contenders.map((contender) => contender.role).sort()).toEqual(["baseline", "peer", "subject"])
      for (const contender of append.contenders) {
        expect(contender.staleVersionRejected).toBe(true)
      }
      for (const figure of append.figures) {
        expect(figure.summary.rounds).toBe(Suite.smoke.append.rounds)
        expect(figure.summary.callsPerSecond.min).toBeGreaterThan(0)
        expect(figure.summary.callsPerSecond.min).toBeLessThanOrEqual(figure.summary.callsPerSecond.median)
        expect(figure.summary.callsPerSecond.median).toBeLessThanOrEqual(figure.summary.callsPerSecond.max)
        // The server runs on this machine (embedded, or from DATABASE_URL on 127.0.0.1), so its
        // backends' CPU time is readable. It counts in clock ticks, which a smoke round may not
        // fill, so only the benchmark process's time must be above zero.
        expect(figure.cpu.server).toBeDefined()
        expect(figure.cpu.server?.min).toBeGreaterThanOrEqual(0)
        expect(figure.cpu.client.median).toBeGreaterThan(0)
      }
    }), 300_000)

  it.live("growth figures cover each kind at every size", () =>
    Effect.gen(function*() {
      const growth = (yield* report).growth!
      const keys = growth.figures.map((figure) => `${figure.kind}/${figure.size}`).sort()
      expect(keys).toEqual([
        "append/400",
        "append/800",
        "history/400",
        "history/800",
        "page/400",
        "page/800",
        "search/400",
        "search/800"
      ])
      expect(growth.loadSeconds.map((entry) => entry.size)).toEqual([400, 800])
      for (const figure of growth.figures) {
        expect(figure.summary.rounds).toBe(Suite.smoke.growth.rounds)
        expect(figure.summary.p50Ms.min).toBeGreaterThan(0)
      }
    }), 300_000)

  it.live("rebuild replays every run event of its log", () =>
    Effect.gen(function*() {
      const rebuild = (yield* report).rebuild!
      // The log of 400 events, plus two per append call of every growth round; tinybench may
      // run a task more often than its iteration count.
      const growth = Suite.smoke.growth
      expect(rebuild.events).toBeGreaterThanOrEqual(400 + 2 * growth.rounds * growth.callsPerRound)
      expect(rebuild.events % 2).toBe(0)
      expect(rebuild.copySeconds.min).toBeGreaterThan(0)
      expect(rebuild.rebuildSeconds.min).toBeGreaterThan(0)
    }), 300_000)

  it.live("service figures cover every contender and count", () =>
    Effect.gen(function*() {
      const { services } = yield* report
      const sizes = Suite.smoke.services!
      const invoke = services!.invoke!.figures.map((figure) => `${figure.contender}/${figure.callers}`).sort()
      expect(invoke).toEqual(
        ["workflow-runs", "stripe", "node:http"].flatMap((name) =>
          sizes.invoke.callers.map((count) => `${name}/${count}`)
        )
          .sort()
      )
      for (const figure of services!.invoke!.figures) {
        expect(figure.summary.rounds).toBe(sizes.invoke.rounds)
        expect(figure.peakRssBytes.min).toBeGreaterThan(0)
        expect(figure.cpuMicrosPerCall.min).toBeGreaterThan(0)
      }
      const webhooks = services!.webhooks!.figures.map((figure) => `${figure.contender}/${figure.connections}`).sort()
      expect(webhooks).toEqual(
        ["projector", "naive"].flatMap((name) => sizes.webhooks.connections.map((count) => `${name}/${count}`)).sort()
      )
      const rounds = sizes.webhooks.rounds * sizes.webhooks.connections.length
      expect(services!.webhooks!.checkedRounds).toEqual({ projector: rounds, naive: rounds })
      // Both receivers and the server run on this machine, so /proc is readable for each.
      for (const figure of services!.webhooks!.figures) {
        expect(figure.cpu.receiver).toBeDefined()
        expect(figure.cpu.server).toBeDefined()
      }
      const memory = services!.memory!
      expect(memory.samples.map((sample) => sample.notifications)).toEqual([0, 20, 40, 60])
      expect(Number.isFinite(memory.slopeBytesPer1000)).toBe(true)
    }), 300_000)

  it.live("report names the machine and the versions", () =>
    Effect.gen(function*() {
      const value = yield* report
      const markdown = render(value)
      expect(value.machine.postgres).toMatch(/^\d+/)
      expect(markdown).toContain(value.machine.cpuModel)
      const rows = markdown.split("\n").map((line) => line.split("|").map((cell) => cell.trim()))
      expect(rows).toContainEqual(["", "`@event-driven-io/emmett-postgresql`", "0.42.0", ""])
      expect(rows).toContainEqual(["", "Node", process.version, ""])
    }), 300_000)
})
