export { dashboardUid, MAX_UID_LENGTH } from './uid.js';
