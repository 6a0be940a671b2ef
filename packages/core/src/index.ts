export { type Clock, ManualClock, systemClock } from './clock.js';
export { GeminiLanesError, isGeminiLanesError } from './errors.js';
