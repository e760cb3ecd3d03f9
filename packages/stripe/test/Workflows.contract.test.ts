import { contractSuite, memoryTarget } from "./utils/contract.js"
import { scriptedServerTarget } from "./utils/scriptedTarget.js"

contractSuite(memoryTarget)
contractSuite(scriptedServerTarget)
// Simulator hook: once @workflow-runs/simulator exists, add
//   contractSuite(serverTarget("simulator", <start the simulator, return { url, apiKey, control }>))
// where `control` maps ContractControl onto the simulator's control functions.
