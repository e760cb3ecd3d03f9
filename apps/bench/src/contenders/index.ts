import type { AppendContender } from "../AppendContender.js"
import { emmett } from "./Emmett.js"
import { rawInsert } from "./RawInsert.js"

/**
 * Every contender of the append benchmark, in report order.
 *
 * TODO: add the store's contender (role "subject") first in this list once `@workflow-runs/store`
 * exposes its one-statement append. `EffectContender.make` turns it into a contender: `layer`
 * builds the store's layer from `context.url` with `maxConnections: context.poolSize` (migrations
 * included), and `append` maps each `AppendEvent` onto the store's event and calls its
 * `append(stream, expectedVersion, events)`.
 */
export const appendContenders: ReadonlyArray<AppendContender> = [emmett, rawInsert]
