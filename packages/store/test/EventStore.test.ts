import * as MemoryEventStore from "../src/MemoryEventStore.js"
import { eventStoreContract } from "./support/contract.js"
import { pgStore } from "./support/database.js"

eventStoreContract("memory store", MemoryEventStore.layer)
eventStoreContract("postgres store", pgStore)
