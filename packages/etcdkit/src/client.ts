import { noop } from 'cockatiel';
import { Etcd3, type IOptions } from 'etcd3';
import { splitEtcdCredentials, type EtcdAuth } from './endpoints.js';

/** Where and how to reach etcd. */
export interface EtcdConnection {
  /**
   * Client URLs (`http://host:port` or `https://…`), one or more members of one cluster; a URL may
   * carry the v3 auth user and password (`http://user:password@host:port`, the same in every URL).
   */
  readonly endpoints: readonly string[];
  /** Time to connect (ms). */
  readonly dialTimeoutMs: number;
  /** PEM CA bundle (TLS when given, or when a client certificate is). */
  readonly ca?: Buffer | undefined;
  /** PEM client certificate (with `key`). */
  readonly cert?: Buffer | undefined;
  /** PEM client key. */
  readonly key?: Buffer | undefined;
  /** v3 auth user and password (when the URLs carry none, or the same). */
  readonly auth?: EtcdAuth | undefined;
  /**
   * The caller retries on its own (with its back-off): the client does not retry calls, and a lost
   * watch reconnects every 250 ms (etcd3's default retries calls and backs off to 30 s).
   */
  readonly callerRetries?: boolean;
}

/** A watch reconnect back-off that always waits the same time. */
const FIXED_WATCH_BACKOFF = { duration: 250, next: () => FIXED_WATCH_BACKOFF };

/**
 * An etcd v3 client for `connection`, with no cap on reply size. Throws `EtcdEndpointError` when the
 * URLs' credentials disagree (with each other or with `auth`).
 */
export function connectEtcd(connection: EtcdConnection): Etcd3 {
  const { hosts, auth } = splitEtcdCredentials(connection.endpoints, connection.auth);
  const options: IOptions = {
    hosts,
    dialTimeout: connection.dialTimeoutMs,
    // No cap on replies: grpc-js refuses any message over 4 MiB by default, and a page or a whole tree of a big cluster can be larger.
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
  };
  if (connection.callerRetries === true)
    options.faultHandling = { host: () => noop, global: noop, watchBackoff: FIXED_WATCH_BACKOFF };
  const { ca, cert, key } = connection;
  if (ca !== undefined || cert !== undefined) {
    options.credentials = {
      rootCertificate: ca ?? Buffer.alloc(0),
      ...(cert !== undefined ? { certChain: cert } : {}),
      ...(key !== undefined ? { privateKey: key } : {}),
    };
  }
  if (auth !== undefined) options.auth = { username: auth.username, password: auth.password };
  return new Etcd3(options);
}
