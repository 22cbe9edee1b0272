/** etcd v3 user and password. */
export interface EtcdAuth {
  readonly username: string;
  readonly password: string;
}

/** etcd client URLs without their credentials, and the one user they named (if any). */
export interface EtcdEndpoints {
  /** The URLs without `user:password@`. */
  readonly hosts: string[];
  /** The user and password the URLs carried (percent-decoded), undefined when none did. */
  readonly auth: EtcdAuth | undefined;
}

/** A problem with etcd URLs or credentials; its message never holds a password. */
export class EtcdEndpointError extends Error {
  override name = 'EtcdEndpointError';
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * `url` with its password replaced by `***` (`http://root:***@10.0.0.1:2379`); the user name stays.
 * Text that is not a URL but looks like it holds credentials (`…//user:pw@…`) is redacted the same way.
 */
export function redactEtcdUrl(url: string): string {
  const parsed = parse(url);
  if (parsed === undefined) return url.replace(/(\/\/[^/:@]*:)[^/@]*@/, '$1***@');
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.href.endsWith('/') && !url.endsWith('/') ? parsed.href.slice(0, -1) : parsed.href;
}

/** Every URL of `urls` redacted ({@link redactEtcdUrl}), for logs. */
export function redactEtcdUrls(urls: readonly string[]): string[] {
  return urls.map(redactEtcdUrl);
}

/**
 * Split credentials (`http://user:password@host:2379`, percent-encoded as in any URL) off etcd client
 * URLs: etcd v3 authenticates with one user and password per client, not per URL, and the gRPC
 * client cannot dial a URL that holds them. `given` (flags such as skydns's `-username`) is used when
 * no URL names a user. Throws {@link EtcdEndpointError} when URLs name different users or passwords,
 * when a URL names a user without a password, or when the URLs and `given` disagree.
 */
export function splitEtcdCredentials(urls: readonly string[], given?: EtcdAuth): EtcdEndpoints {
  const hosts: string[] = [];
  let auth: EtcdAuth | undefined;
  let from = '';
  for (const url of urls) {
    const parsed = parse(url);
    if (parsed === undefined || (parsed.username === '' && parsed.password === '')) {
      hosts.push(url);
      continue;
    }
    const redacted = redactEtcdUrl(url);
    const username = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    if (username === '' || password === '')
      throw new EtcdEndpointError(
        `etcd URL ${redacted}: give both a user and a password (http://user:password@host:port)`,
      );
    if (auth !== undefined && (auth.username !== username || auth.password !== password))
      throw new EtcdEndpointError(
        `etcd URLs ${from} and ${redacted} name different credentials; etcd authenticates a client with one user`,
      );
    auth ??= { username, password };
    from ||= redacted;
    parsed.username = '';
    parsed.password = '';
    hosts.push(parsed.href.endsWith('/') && !url.endsWith('/') ? parsed.href.slice(0, -1) : parsed.href);
  }
  if (
    auth !== undefined &&
    given !== undefined &&
    (given.username !== auth.username || given.password !== auth.password)
  )
    throw new EtcdEndpointError(`etcd URL ${from} names other credentials than the user and password given separately`);
  return { hosts, auth: auth ?? given };
}
