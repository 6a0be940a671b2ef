export { guard } from './guard.js';
