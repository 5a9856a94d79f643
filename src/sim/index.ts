/** The Tesla simulator: a local stand-in for Tesla's auth server and Fleet API (SYSTEM.md "Components"). */
export { buildSimulator, type Simulator } from './app.js';
export { registerSimCommand } from './cli.js';
export { SimState, type Account, type AccountInput, type VehicleInput, type TokenPair } from './state.js';
export { resolveOptions, REGIONS, TESLA_FLEET_BASE_URL, type Region, type SimOptions } from './options.js';
export type { FaultSpec, Fault } from './faults.js';
export type { Vehicle } from './vehicles.js';
export { SimInputError } from './errors.js';
