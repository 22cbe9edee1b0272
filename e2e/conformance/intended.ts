import type { Aspect, Difference, IntendedDifference } from './differential.js';

// The differences from CoreDNS we keep, each with its reason. docs/conformance.md lists the same.
// A rule names the kinds of question (corpus.ts), the question types and the aspects it covers, so a
// new difference elsewhere still fails the test.

const REVERSE_ZONES = /\.(in-addr|ip6)\.arpa\.$/i;
const SUBTREE_KINDS = ['zone apex', 'svc zone', 'namespace', 'pod zone'];
/** The kinds of name autopath.test.ts looks up through a pod's search path. */
const SEARCH_KINDS = [
  'service',
  'headless service',
  'endpoint with hostname',
  'ExternalName',
  'SRV named port',
  'pod',
  'outside the cluster',
];

interface Where {
  readonly kinds?: readonly string[];
  readonly types?: readonly string[];
  readonly aspects?: readonly Aspect[];
  readonly test?: (d: Difference) => boolean;
}

function rule(id: string, reason: string, where: Where): IntendedDifference {
  return {
    id,
    reason,
    matches: (d) =>
      (where.kinds === undefined ||
        where.kinds.some((k) => d.question.kind === k || d.question.kind.startsWith(`${k} `))) &&
      (where.types === undefined || where.types.includes(d.question.type)) &&
      (where.aspects === undefined || where.aspects.includes(d.aspect)) &&
      (where.test === undefined || where.test(d)),
  };
}

/** Reverse names skydns holds no record for are forwarded (shared by both lists). */
const forwardedReverse = rule(
  'reverse-forwarded',
  "SkyDNS answers a reverse name only from the one record kube2sky wrote at it (ClusterIPs and endpoints with a hostname); every other question under in-addr.arpa and ip6.arpa goes upstream, as in SkyDNS, so the upstream's answer (not authoritative, RA) comes back",
  {
    test: (d) =>
      REVERSE_ZONES.test(d.question.name) &&
      (d.question.type !== 'PTR' ||
        ['PTR endpoint without hostname', 'PTR pod', 'PTR unknown in range'].includes(d.question.kind)),
  },
);

/** PTR answers are not authoritative. */
const ptrNotAuthoritative = rule(
  'ptr-not-authoritative',
  'skydns answers the PTR records kube2sky wrote without the AA flag: it is not authoritative for the reverse zones, whose other names it forwards (SkyDNS)',
  {
    types: ['PTR'],
    aspects: ['flags'],
    test: (d) => REVERSE_ZONES.test(d.question.name) && d.ours === 'ra' && /^aa( ra)?$/.test(d.theirs),
  },
);

/** The RA flag: skydns forwards, so it offers recursion. */
const recursionAvailable = rule(
  'recursion-available',
  'skydns forwards names outside its domain (to -nameservers or resolv.conf), so it sets RA as SkyDNS does; the CoreDNS under test has no forward plugin',
  { aspects: ['flags'], test: (d) => d.ours.replace(' ra', '') === d.theirs },
);

/** Subtree answers: SkyDNS returns every record below a name. */
const subtree = rule(
  'subtree-answers',
  'SkyDNS answers a name with every record below it: the zone apex, svc, pod and a namespace list their services and pods (too many for UDP: TC), and their SOA and authority follow from having records',
  { kinds: SUBTREE_KINDS },
);

/** The SkyDNS SOA. */
const soaValues = rule(
  'soa-values',
  "The SOA is SkyDNS's: serial from the records' revision, refresh 28800, retry 7200, expire 604800, minimum 60, TTL 3600",
  { kinds: ['zone apex'], types: ['SOA'], aspects: ['answer', 'ttl'] },
);

/** External CNAME targets are resolved upstream. */
const externalChased = rule(
  'external-cname-resolved',
  "For an ExternalName, skydns follows the CNAME to its target through the upstream servers and returns the target's addresses with it (SkyDNS); CoreDNS without forward returns the CNAME alone",
  { kinds: ['ExternalName'], types: ['A', 'AAAA'], aspects: ['answer', 'ttl', 'authority'] },
);

/** Where skydns answers differently from CoreDNS's kubernetes plugin on purpose (docs/conformance.md). */
export const COREDNS_KUBERNETES: readonly IntendedDifference[] = [
  forwardedReverse,
  ptrNotAuthoritative,
  recursionAvailable,
  soaValues,
  subtree,
  externalChased,
  rule(
    'wildcards',
    "SkyDNS answers `*` and `any` labels as wildcards over the records; CoreDNS 1.15's kubernetes plugin no longer does (NXDOMAIN)",
    { kinds: ['wildcard'] },
  ),
  rule(
    'hashed-endpoint-labels',
    'An endpoint without a hostname is named by the FNV-1a hash of its record (c89ee3.web-headless…), as in kube2sky; CoreDNS names it by its dashed IP (10-244-2-7.web-headless…), which is NXDOMAIN here, and SRV targets differ the same way',
    { kinds: ['endpoint without hostname (dashed IP)'] },
  ),
  rule(
    'srv-from-records',
    'SkyDNS builds SRV answers from the records below the name: priority 10 as kube2sky writes it (CoreDNS: 0), weight shared out among the records, and every address record gives an SRV with port 0 to its leaf name, so a service or pod name answers with those beside its named ports',
    {
      types: ['SRV'],
      aspects: ['answer', 'ttl', 'authority', 'rcode'],
      kinds: [
        'service',
        'headless service',
        'SRV named port',
        'SRV headless',
        'endpoint with hostname',
        'pod',
        'search path',
        'ExternalName',
      ],
    },
  ),
  rule(
    'cname-to-srv-target',
    "An A or AAAA question for a named-port name (_http._tcp.web…) gets a CNAME to the SRV record's target and that target's addresses (SkyDNS: a record whose host is a name is a CNAME); CoreDNS answers the addresses under the asked name",
    { kinds: ['SRV named port', 'SRV headless'], types: ['A', 'AAAA'], aspects: ['answer', 'ttl'] },
  ),
  rule(
    'ptr-one-record',
    "A reverse name has one PTR record, the one kube2sky wrote: the endpoint's hostname (as kube-dns did); CoreDNS returns one PTR per Service that selects the pod, with dashed-IP names",
    { kinds: ['PTR endpoint with hostname'], types: ['PTR'], aspects: ['answer', 'ttl'] },
  ),
  rule(
    'soa-question-nxdomain',
    "An SOA question for a name that does not exist is NXDOMAIN (RFC 1034); CoreDNS's kubernetes plugin answers NOERROR to an SOA question for any name in its zone",
    { types: ['SOA'], aspects: ['rcode'], test: (d) => d.ours === 'NXDOMAIN' && d.theirs === 'NOERROR' },
  ),
  rule(
    'dns-version-nodata',
    'dns-version.<domain> exists (its TXT record), so other types get NOERROR without records; CoreDNS answers NXDOMAIN for them',
    { kinds: ['dns-version'], aspects: ['rcode'], test: (d) => d.ours === 'NOERROR' && d.theirs === 'NXDOMAIN' },
  ),
];

/** Where skydns answers differently from CoreDNS's etcd plugin reading the same records (docs/conformance.md). */
export const COREDNS_ETCD: readonly IntendedDifference[] = [
  forwardedReverse,
  ptrNotAuthoritative,
  recursionAvailable,
  soaValues,
  subtree,
  externalChased,
  rule(
    'soa-question',
    "SkyDNS answers an SOA question with the SOA only at the zone apex (elsewhere: no records, the SOA in the authority section); CoreDNS's etcd plugin puts the apex SOA in the answer for any name",
    { types: ['SOA'] },
  ),
  rule(
    'cname-question-externalname',
    "A CNAME question for an ExternalName gets its CNAME (the one record kube2sky writes below the name); the etcd plugin looks only at the name's own key and answers NXDOMAIN",
    { kinds: ['ExternalName'], types: ['CNAME'], aspects: ['answer', 'ttl', 'authority', 'rcode'] },
  ),
  rule(
    'cname-question-nodata',
    'A CNAME question for a name that exists without a CNAME of its own is NOERROR without records; the etcd plugin answers NXDOMAIN',
    { types: ['CNAME'], aspects: ['rcode'], test: (d) => d.ours === 'NOERROR' && d.theirs === 'NXDOMAIN' },
  ),
  rule(
    'txt-no-cname',
    'A TXT question gets TXT records only; the etcd plugin adds the CNAME of a record whose host is a name',
    {
      types: ['TXT'],
      aspects: ['answer', 'ttl', 'authority'],
      test: (d) => d.aspect !== 'answer' || d.theirs.includes(' CNAME '),
    },
  ),
  rule(
    'one-cname',
    'A name has at most one CNAME (RFC 1034 3.6.2): when several records below an SRV name point at names, skydns follows the first; the etcd plugin returns a CNAME for each',
    { kinds: ['SRV headless'], types: ['A', 'AAAA'], aspects: ['answer', 'ttl'] },
  ),
  rule(
    'duplicate-srv',
    "Identical SRV records (kube-dns's dns/UDP and dns-tcp/TCP ports are both 53 with the same target) are sent once; the etcd plugin repeats them",
    { kinds: ['service'], types: ['SRV'], aspects: ['answer', 'ttl'] },
  ),
  rule(
    'wildcards-no-cname',
    "A wildcard A or AAAA answer lists the addresses and no CNAME (a name with addresses gets no CNAME beside them, SkyDNS); the etcd plugin adds the ExternalName's CNAME",
    { kinds: ['wildcard'], aspects: ['answer', 'ttl', 'rcode', 'flags', 'authority'] },
  ),
];

/** Where skydns -autopath answers a pod's search path differently from CoreDNS `autopath @kubernetes` (docs/conformance.md). */
export const COREDNS_AUTOPATH: readonly IntendedDifference[] = [
  ...COREDNS_KUBERNETES,
  rule(
    'autopath-nodata-cname',
    'When the name found on the search path has no records of the type asked, skydns answers NOERROR with the CNAME from the asked name to it (a NODATA after a CNAME, RFC 2308); CoreDNS answers NOERROR with an empty answer under the asked name',
    {
      aspects: ['answer', 'ttl'],
      test: (d) => d.theirs === '' && /^\S+ CNAME \S+$/.test(d.ours),
    },
  ),
  rule(
    'autopath-shared-address',
    "An address that pods of two namespaces share (host network) gets no autopath from skydns; CoreDNS takes whichever of the pods its index returns first (it varies from question to question) and walks that namespace's search path",
    {
      kinds: SEARCH_KINDS,
      test: (d) => d.question.kind.endsWith('(shared address)') && !d.question.name.includes('.third.svc.'),
    },
  ),
  rule(
    'autopath-single-label',
    "A single-label name at the end of the search path (`db.`, `nothere.`) is not forwarded (SkyDNS forwards names of at least ndots 2 labels), so autopath ends with the original NXDOMAIN; CoreDNS forwards it and answers with the upstream's reply",
    {
      test: (d) =>
        d.question.name.split('.').length === 6 &&
        { rcode: 'NXDOMAIN', answer: '', ttl: '', authority: 'cluster.local. SOA', flags: 'aa ra' }[d.aspect] ===
          d.ours,
    },
  ),
];

/** Where skydns -stubzones answers differently from CoreDNS forwarding each stub zone (docs/conformance.md). */
export const COREDNS_STUB_ZONES: readonly IntendedDifference[] = [
  rule(
    'truncated-subset',
    "An answer too big for a UDP reply without EDNS is truncated (TC) by both, to as many records as fit; which ones depends on the order the stub server sent them in (dnsmasq rotates it) and on who truncated (skydns asks the stub server with EDNS and truncates itself, CoreDNS passes on dnsmasq's own truncated reply); over TCP both are complete and equal",
    {
      kinds: ['stub name with 120 addresses'],
      aspects: ['answer', 'ttl'],
      test: (d) => d.transport === 'udp' && d.ours.split(' | ').length === d.theirs.split(' | ').length,
    },
  ),
];
