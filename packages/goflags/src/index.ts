export { formatGoDuration, parseGoDuration, type DurationOptions } from './duration.js';
