import type { AppendContender } from "../AppendContender.js"
import { emmett } from "./Emmett.js"
import { rawInsert } from "./RawInsert.js"

/**
 * Every contender of the append benchmark, in report order.
 *
 * TODO: add the store's contender (role "subject") first in this list once `@workflow-runs/store`
 * exposes its one-statement append. It needs a module like `./Emmett.ts` whose `setup` builds
 * the store's layer from `context.url` with `maxConnections: context.poolSize`, runs the
 * migrations, and returns `append` as `runtime.runPromise(<the store's append>(stream,
 * expectedVersion, events))` over a `ManagedRuntime` and `teardown` as `runtime.dispose()`.
 */
export const appendContenders: ReadonlyArray<AppendContender> = [emmett, rawInsert]
