export { type BurnRateWindow, burnRateWindows, type SloWindow } from './burn-rate.js';
