import { contractSuite, memoryTarget } from "./utils/contract.js"
import { scriptedServerTarget } from "./utils/scriptedTarget.js"
import { simulatorTarget } from "./utils/simulatorTarget.js"

contractSuite(memoryTarget)
contractSuite(scriptedServerTarget)
contractSuite(simulatorTarget)
