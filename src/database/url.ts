// Connection-URL helpers shared by the providers and the bridge.

export interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parsePostgresUrl(raw: string): ServerAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`not a valid URL: ${redactUrl(raw)}`);
  }
  const scheme = url.protocol.replace(/:$/, '').split('+')[0];
  if (scheme !== 'postgresql' && scheme !== 'postgres') {
    throw new Error(`expected a postgresql:// URL, got ${url.protocol}//`);
  }
  return {
    host: decodeURIComponent(url.hostname) || '127.0.0.1',
    port: url.port === '' ? 5432 : Number(url.port),
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
}

export function formatPostgresUrl(address: ServerAddress): string {
  const auth =
    encodeURIComponent(address.user) +
    (address.password === '' ? '' : `:${encodeURIComponent(address.password)}`);
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `postgresql://${auth}@${host}:${address.port}/${encodeURIComponent(address.database)}`;
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(raw: string): string {
  return raw.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
