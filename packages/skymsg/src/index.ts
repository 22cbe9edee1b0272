export { fnv1a32, leafLabel } from './fnv.js';
export {
  encodeRecord,
  decodeRecord,
  RecordError,
  RECORD_DEFAULTS,
  RECORD_DEFAULTS_TAIL,
  type SkyRecord,
} from './record.js';
export {
  DEFAULT_PREFIX,
  MAX_LABEL_LENGTH,
  MAX_NAME_LENGTH,
  isDnsLabel,
  isDnsSubdomain,
  dnsNameProblem,
  fqdn,
  labels,
  nameToKey,
  keyToName,
  reverseName,
  reverseNameToIP,
  podLabel,
  isWildcardLabel,
  wildcardPath,
  type WildcardPath,
} from './names.js';
