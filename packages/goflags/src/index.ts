export { formatGoDuration, parseGoDuration, type DurationOptions } from './duration.js';
export { normalizeGoFlags, type GoFlagOptions, type NormalizedFlags } from './flags.js';
