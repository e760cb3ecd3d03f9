// Renders docs/reliability.md from the figures of the reliability scenarios. reliability.mjs
// runs the scenarios and writes the files this module reads, and the tests import it directly.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

// A run's `seconds` is rounded, so a scenario that finished in its last half second still counts.
const slackMs = 1000

// The figures every scenario that compares the whole log with the simulator reports last.
const logLabels = {
  eventsBySource: "run events by writer",
  eventsExpected: "run events expected",
  eventsFound: "run events found",
  missing: "missing",
  unexpected: "unexpected or duplicated",
  verifyOk: "verify passes"
}

// The scenarios in page order: what each does and checks, how to run it alone, and the
// labels of its figures.
const scenarios = [
  {
    id: "stripe-faults",
    title: "1. Stripe API faults during invoke and retrieve",
    file: "StripeFaults.test.ts",
    description: [
      "The simulator answers invoke and retrieve with 429 bursts, 500s with `Stripe-Should-Retry: true`, `false` and without the header, drops the connection after an invoke committed its run, and answers after 2 s, past an attempt timeout of 1 s (10 s in the other cases, so a loaded machine never abandons a normal attempt). Invocations go through `RecordingWorkflows` into PostgreSQL; a last case runs the projector while its retrieves fail.",
      "Checked per case: the simulator's request log shows at most `maxRetries + 1` attempts, all with the same `Idempotency-Key`; the simulator holds exactly one run per invocation (none when the request never committed); retries that run out fail with `StripeRateLimitError`, `StripeApiError` or `StripeConnectionError`; the attempt's stream reads `InvocationRequested`, then `InvocationOutcomeUnknown` when the outcome was lost, then one `InvocationSucceeded` once `retryInvocation` settles it; the run's stream holds one `RunStarted`. The projector answers 503 while it cannot retrieve the run and the redeliveries leave the log exact."
    ],
    labels: {
      cases: "test cases",
      invocations: "invocations",
      faultsInjected: "faults injected",
      apiRequests: "API requests made",
      runsExpected: "runs expected",
      runsFound: "runs found",
      eventsExpected: "run events expected",
      eventsFound: "run events found",
      typedErrors: "typed errors when retries ran out",
      maxRetries: "adapter retries",
      attemptTimeout: "attempt timeout",
      slowAttemptTimeout: "attempt timeout in the slow cases",
      slowAnswerMs: "slow answers (ms)"
    }
  },
  {
    id: "crash",
    title: "2. Crash: kill -9 during a burst",
    file: "Crash.test.ts",
    description: [
      "A `workflow-runs serve` child process (the built CLI) receives a burst of notifications: runs started without invoke, each with a start and, 50 ms later, an end (every fourth run fails). The short form starts 500 runs (1,000 notifications), the long form 1,500. Once 200 deliveries (600 in the long form) were acknowledged, the test sends SIGKILL, starts `serve` again on the same port, and the simulator delivers again every notification that got no 2xx.",
      "Checked: every run's transitions in the log equal what the simulator's run implies (event ids, types and times, in order), no event is missing or extra, every notification is in the inbox once, and `verify` passes. The restarted process's reconciler makes a pass at start and records the 100 runs Stripe lists as most recent, so part of the log comes from it (the figures split the events by writer); every notification still reaches the inbox, which only deliveries write."
    ],
    labels: {
      runs: "runs",
      notificationsPublished: "notifications published",
      faultsInjected: "faults injected (SIGKILL)",
      acknowledgedBeforeKill: "deliveries acknowledged before the kill",
      committedButUnacknowledged: "recorded before the kill but never acknowledged",
      deliveryAttempts: "delivery attempts",
      failedAttempts: "attempts without a 2xx",
      restartedAfterMs: "kill to serving again (ms)",
      convergedAfterMs: "first notification to exact log (ms)",
      notificationsInInbox: "notifications in the inbox",
      ...logLabels
    }
  },
  {
    id: "database-restart",
    title: "3. Database restart during a burst",
    file: "DatabaseRestart.test.ts",
    description: [
      "The test owns an embedded PostgreSQL server (`EmbeddedDatabase.start` with a data folder and port of its own, whatever `DATABASE_URL` says). The short form starts 200 runs, the long form 1,000. Once 80 deliveries (400 in the long form) were acknowledged it stops the server, waits until the projector has answered 20 deliveries with 5xx, and starts the server again on the same port and data folder. The `serve` process is not restarted.",
      "Checked: the projector answers 503 while the database is down (not a dropped connection), `/healthz` reports the database unreachable, the same process serves afterwards with `/healthz` at 200, and after redelivery the log equals the simulator's runs and `verify` passes."
    ],
    labels: {
      runs: "runs",
      notificationsPublished: "notifications published",
      faultsInjected: "faults injected (database stop)",
      acknowledgedBeforeStop: "deliveries acknowledged before the stop",
      databaseDownMs: "database down (ms)",
      deliveryAttempts: "delivery attempts",
      answered5xx: "deliveries answered 5xx",
      unanswered: "deliveries without a response",
      convergedAfterMs: "first notification to exact log (ms)",
      notificationsInInbox: "notifications in the inbox",
      ...logLabels
    }
  },
  {
    id: "soak",
    title: "4. Soak",
    file: "Soak.test.ts",
    description: [
      "One `serve` process receives 5 runs (10 notifications) per second for 25 seconds in the short form and ten minutes in the long form (`RELIABILITY_SOAK_SECONDS` sets another length). The test samples the process's resident set size (`VmRSS` in `/proc/<pid>/status`) every second and fits a least-squares line to the samples after the first fifth of the run.",
      "Checked: no delivery got anything but a 2xx, the process logged no warning or error, the log is exact and `verify` passes. The RSS stays under 400 MiB, and its slope under 0.6 MiB per minute in the long form (about 1 KiB per notification). The short form allows 200 MiB per minute, which only catches a gross leak, because the heap still grows toward its steady size in 25 seconds."
    ],
    labels: {
      seconds: "seconds of load",
      runsPerSecond: "runs per second",
      runs: "runs",
      notificationsPublished: "notifications published",
      notificationsInInbox: "notifications in the inbox",
      drainedAfterMs: "end of load to exact log (ms)",
      failedDeliveries: "delivery attempts without a 2xx",
      warningsOrErrorsLogged: "warnings or errors logged",
      rssSamples: "RSS samples",
      rssSteadyFirstMiB: "RSS after warm-up (MiB)",
      rssSteadyLastMiB: "RSS at the end (MiB)",
      rssSteadyMaxMiB: "RSS maximum (MiB)",
      rssSlopeMiBPerMinute: "RSS slope after warm-up (MiB/min)",
      rssTimelineMiB: "RSS over time (s MiB)",
      ...logLabels
    }
  },
  {
    id: "concurrency",
    title: "5. Concurrency: three projectors and the reconciler",
    file: "Concurrency.test.ts",
    description: [
      "Three `serve` processes share one database, with 80 runs started without invoke and 20 invocations in the short form (400 and 100 in the long form). Each is a webhook destination of its own, so every notification reaches all three at once; the first destination gets its deliveries twice and the second out of order. Their reconcilers run every 500 ms under the lease, a reconciler in the test process runs every 200 ms without it, and the test invokes workflows through `RecordingWorkflows`, which writes the same run streams. Before the burst, every notification of five runs is dropped on every destination, so only a reconciler can record them.",
      "Checked: the log equals the simulator's runs with no event missing or repeated, every invocation attempt is `succeeded` exactly once, every notification that was not dropped is acknowledged by every destination and is in the inbox once, and `verify` passes. Most transitions reach the log through the reconcilers and the invoke path before a projector's queue gets to their notification, which then finds them recorded."
    ],
    labels: {
      instances: "projector processes",
      runs: "runs",
      invocations: "invocations through the recording layer",
      notificationsPublished: "notifications published",
      deliveryAttempts: "delivery attempts",
      droppedDeliveries: "deliveries dropped",
      duplicatedDeliveries: "deliveries duplicated",
      reorderedDeliveries: "deliveries reordered",
      non2xxAnswers: "answers other than 2xx",
      duplicatesSkipped: "notifications skipped as already in the inbox",
      appendConflictsRetried: "append version conflicts retried",
      attemptsByOutcome: "invocation attempts by outcome",
      ...logLabels
    }
  }
]

const cell = (value) => {
  if (value === undefined) return "–"
  if (typeof value === "boolean") return value ? "yes" : "no"
  if (typeof value === "number") return value.toLocaleString("en-US")
  return String(value).replace(/\|/g, "\\|")
}

/**
 * Reads one form's figures from `directory`: the machine record of each run (`machines.json`, with
 * a `machine.json` of the latest run from before it) and the latest result of each scenario.
 */
export const readForm = (directory) => {
  if (!existsSync(directory)) return undefined
  const files = readdirSync(directory).filter((file) => file.endsWith(".json"))
  const read = (file) => JSON.parse(readFileSync(join(directory, file), "utf8"))
  const machines = [
    ...(files.includes("machines.json") ? read("machines.json") : []),
    ...(files.includes("machine.json") ? [read("machine.json")] : [])
  ]
  const results = Object.fromEntries(
    files.filter((file) => file !== "machine.json" && file !== "machines.json").map((file) => {
      const result = read(file)
      return [result.scenario, result]
    })
  )
  return { machines, scenarios: results }
}

/**
 * Groups the scenario results by the run that wrote them: a run wrote a result when the result
 * finished between the run's start and end. Returns the runs with at least one result, oldest
 * first, then under `machine: undefined` the results of runs whose record was not kept.
 */
export const runsShown = (machines, results) => {
  const startOf = (machine) => Date.parse(machine.startedAt)
  const writer = (result) =>
    machines.find((machine) => {
      const finished = Date.parse(result.finishedAt)
      return finished >= startOf(machine) && finished <= startOf(machine) + machine.seconds * 1000 + slackMs
    })
  const ordered = scenarios.map((scenario) => results[scenario.id]).filter((result) => result !== undefined)
  const runs = [...machines]
    .sort((left, right) => startOf(left) - startOf(right))
    .map((machine) => ({ machine, scenarios: ordered.filter((result) => writer(result) === machine) }))
    .filter((run) => run.scenarios.length > 0)
  const unmatched = ordered.filter((result) => writer(result) === undefined)
  return unmatched.length === 0 ? runs : [...runs, { machine: undefined, scenarios: unmatched }]
}

const machineKey = (machine) => [machine.cpu, machine.memory, machine.os, machine.node].join("|")

// One table of the distinct machines, then per form one row for each run whose figures appear.
const machineSection = (forms) => {
  const runsByForm = Object.entries(forms).map(([name, form]) => [
    name,
    form === undefined ? [] : runsShown(form.machines, form.scenarios)
  ])
  const machines = []
  for (const [, runs] of runsByForm) {
    for (const { machine } of runs) {
      if (machine !== undefined && !machines.some((known) => machineKey(known) === machineKey(machine))) {
        machines.push(machine)
      }
    }
  }
  const label = (machine) =>
    String.fromCharCode(65 + machines.findIndex((known) => machineKey(known) === machineKey(machine)))
  const lines = [
    "## Machines",
    "",
    "A scenario rerun alone keeps the other scenarios' figures, so one form's figures can come from several runs of `pnpm reliability`. Each row below is a run whose figures appear on this page, with the scenarios it wrote and the load it ran under.",
    "",
    "| machine | CPU | memory | OS | Node |",
    "| --- | --- | --- | --- | --- |",
    ...machines.map((machine) =>
      `| ${label(machine)} | ${cell(machine.cpu)} | ${cell(machine.memory)} | ${cell(machine.os)} | ${
        cell(machine.node)
      } |`
    ),
    ""
  ]
  for (const [name, runs] of runsByForm) {
    lines.push(
      `### ${name === "short" ? "Short form" : "Long form"}`,
      "",
      "| run started | took | scenarios | machine | load average at start (1, 5, 15 min) | load average at end |",
      "| --- | --- | --- | --- | --- | --- |"
    )
    if (runs.length === 0) lines.push("| not run yet | | | | | |")
    for (const { machine, scenarios: written } of runs) {
      const names = written.map((result) => `\`${result.scenario}\``).join(", ")
      lines.push(
        machine === undefined
          ? `| record not kept | – | ${names} | – | – | – |`
          : `| ${machine.startedAt} | ${machine.seconds} s | ${names} | ${
            label(machine)
          } | ${machine.loadAtStart} | ${machine.loadAtEnd} |`
      )
    }
    if (runs.some((run) => run.machine === undefined)) {
      lines.push(
        "",
        "A later run replaced the machine record of the run that wrote the scenarios under \"record not kept\". Their tables give when each finished and the load average at its end."
      )
    }
    lines.push("")
  }
  return lines
}

/**
 * Renders the page from both forms' figures (`{ short, full }`, each as {@link readForm} returns
 * it) and the hand-kept hostile-input section, when there is one.
 */
export const renderPage = (forms, hostileInput) => {
  const lines = [
    "# Reliability",
    "",
    "Written by `pnpm reliability` from the figures the scenarios in apps/projector/test/reliability measure (`--full` for the long forms). Do not edit by hand: rerun it.",
    "",
    "Each scenario is a vitest test against the simulator as Stripe and a real PostgreSQL server. They run in their own vitest project, `projector-reliability`, one at a time, because they kill processes, restart a database and measure memory. `pnpm test` runs their short forms in CI (the machine tables give how long each run took and the load it ran under); `pnpm reliability --full` runs the long forms: a ten-minute soak and three to five times larger bursts. Scenarios 6 and 7 (hostile input and secrets) close the page: they run in the projector, stripe and simulator test projects, and their figures come from the test output of a run.",
    "",
    "```sh",
    "pnpm reliability                      # every scenario, short form, then render this page",
    "pnpm reliability --full               # long forms",
    "pnpm reliability -- Crash.test.ts     # one scenario",
    "pnpm vitest run --project projector-reliability   # the short forms without rendering",
    "RELIABILITY_SOAK_SECONDS=120 pnpm vitest run --project projector-reliability Soak.test.ts",
    "```",
    "",
    "The tests use `DATABASE_URL` when it is set (each test file creates and drops a database of its own) and an embedded server otherwise. The children are the built CLI, so `pnpm reliability` builds first; run `pnpm build` before running the files directly. Figures of time depend on the machine's load, which the tables below record.",
    ""
  ]
  lines.push(...machineSection(forms))

  for (const scenario of scenarios) {
    const short = forms.short?.scenarios[scenario.id]
    const full = forms.full?.scenarios[scenario.id]
    lines.push(`## ${scenario.title}`, "")
    for (const paragraph of scenario.description) lines.push(paragraph, "")
    lines.push(
      `Rerun: \`pnpm reliability -- ${scenario.file}\` (short form) or \`pnpm reliability --full -- ${scenario.file}\`.`,
      ""
    )
    lines.push("| figure | short form | long form |", "| --- | --- | --- |")
    for (const [key, label] of Object.entries(scenario.labels)) {
      lines.push(`| ${label} | ${cell(short?.figures[key])} | ${cell(full?.figures[key])} |`)
    }
    lines.push(`| PostgreSQL | ${cell(short?.figures.postgres)} | ${cell(full?.figures.postgres)} |`)
    lines.push(
      `| database | ${cell(short?.database)} | ${cell(full?.database)} |`,
      `| load average (1 min) at the end | ${cell(short?.loadAverage)} | ${cell(full?.loadAverage)} |`,
      `| finished at | ${cell(short?.finishedAt)} | ${cell(full?.finishedAt)} |`,
      ""
    )
  }

  if (hostileInput !== undefined) {
    // Its sections move one level down, under the page's own title.
    const text = hostileInput.replace(/^# (.*)$/m, "## 6 and 7. $1")
    lines.push(text.replace(/^(##+) (?!6 and 7\.)/gm, "#$1 "))
  }

  return `${lines.join("\n").trimEnd()}\n`
}
