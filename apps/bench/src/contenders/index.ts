import type { AppendContender } from "../AppendContender.js"
import { emmett } from "./Emmett.js"
import { rawInsert } from "./RawInsert.js"
import { store } from "./Store.js"

/** Every contender of the append benchmark, in report order: this project's store first. */
export const appendContenders: ReadonlyArray<AppendContender> = [store, emmett, rawInsert]
