// The repository root and the state and cache folders live in common/paths.ts, below every layer;
// infra code and the tests keep importing them from here.
export { REPO_ROOT, cacheDir, stateDir, statePaths, type StatePaths } from '../common/paths.ts';
