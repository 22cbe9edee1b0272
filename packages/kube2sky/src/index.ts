export { serviceRecords, isHeadless } from './records/service.js';
