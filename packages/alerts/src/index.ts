export { formatDuration, parseDuration, scaleDuration } from './duration.js';
