// The agent's version (kept equal to package.json by a test; no file reads, so it works inside
// a single executable).
export const AGENT_VERSION = '0.1.0';
