/** Reported as the simulated player's `playerName`/`playerVersion` and in the User-Agent. */
export const SIMULATOR_VERSION = '0.1.0';
