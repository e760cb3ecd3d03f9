import * as Layer from "effect/Layer"
import * as Database from "../../src/Database.js"
import * as PgEventStore from "../../src/PgEventStore.js"

/** DATABASE_URL when set, otherwise one embedded server for the test file. */
export const database = Database.layerFromEnv({ maxConnections: 24 })

/** The PostgreSQL store with its client. */
export const pgStore = PgEventStore.layer.pipe(Layer.provideMerge(database))
