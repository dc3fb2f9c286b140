// A fake fediverse account for the browser tests: one ActivityPub actor, alice, served by
// Node's own http module on 127.0.0.1, with an RSA-2048 key made at start.
//
//   import { startFollower } from './fediverse.mjs';
//   const alice = await startFollower();
//   await alice.follow('http://127.0.0.1:8080/shops/some-shop');   // signed POST to its inbox
//   const accept = await alice.waitFor((a) => a.type === 'Accept', 10000);
//   await alice.close();
//
// It answers GET of the actor (application/activity+json) and WebFinger, accepts POSTs to its
// inbox (and to the shared inbox it advertises) and keeps every activity received, with the
// outcome of checking its HTTP signature against the sender's published key.
//
// Signatures are draft-cavage-12, as Mastodon sends them: rsa-sha256 over
// "(request-target) host date digest", Digest: SHA-256=base64(sha256(body)).
//
// Run on its own to try a node by hand (follows the shop, prints what arrives until Ctrl-C):
//
//   node fediverse.mjs http://127.0.0.1:8080 some-shop

import http from 'node:http';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const AP_TYPE = 'application/activity+json';
const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';
const SECURITY_CONTEXT = 'https://w3id.org/security/v1';
const MAX_BODY = 2 * 1024 * 1024;

/** `SHA-256=…` of a body, as the Digest header carries it. */
export function digestOf(body) {
  return `SHA-256=${crypto.createHash('sha256').update(body).digest('base64')}`;
}

/** The fields of a Signature header (keyId, algorithm, headers, signature, created…). */
export function parseSignature(value) {
  const fields = {};
  const re = /([a-zA-Z]+)=(?:"([^"]*)"|([0-9]+))/g;
  let m;
  while ((m = re.exec(value || ''))) fields[m[1]] = m[2] ?? m[3];
  return fields;
}

/** The string a draft-cavage signature covers, from the lower-cased header names it lists. */
export function signingString(names, { method, path, headers }) {
  return names
    .map((name) => {
      if (name === '(request-target)') return `(request-target): ${method.toLowerCase()} ${path}`;
      const v = headers[name];
      if (v === undefined) throw new Error(`the signature covers ${name}, which the request lacks`);
      return `${name}: ${Array.isArray(v) ? v.join(', ') : v}`;
    })
    .join('\n');
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One HTTP request with full control over its headers (Host included); resolves {status, headers, body}. */
function request(url, { method = 'GET', headers = {}, body = null, timeout = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port || 80, path: u.pathname + u.search, method, headers, timeout },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeout} ms: ${method} ${url}`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/**
 * Starts alice. Options: `name` (the account's user part, "alice"), `host` (127.0.0.1),
 * `port` (0: any free one), `sharedInbox` (advertise `/inbox` in `endpoints`, default false),
 * `log` (a function given one line per event, default silent).
 */
export async function startFollower({ name = 'alice', host = '127.0.0.1', port = 0, sharedInbox = false, log = () => {} } = {}) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  /** Every activity POSTed to us: {at, path, activity, headers, signature: {ok, keyId, error}}. */
  const received = [];
  /** Every request the server saw: "METHOD path → status". */
  const requests = [];
  const waiters = new Set();
  const keyCache = new Map();
  let origin = '';
  let actorId = '';

  const actorDocument = () => ({
    '@context': [AS_CONTEXT, SECURITY_CONTEXT],
    id: actorId,
    type: 'Person',
    preferredUsername: name,
    name: `${name[0].toUpperCase()}${name.slice(1)} (test follower)`,
    summary: '<p>A fake account of the Étal browser tests.</p>',
    url: `${origin}/@${name}`,
    inbox: `${actorId}/inbox`,
    outbox: `${actorId}/outbox`,
    followers: `${actorId}/followers`,
    following: `${actorId}/following`,
    manuallyApprovesFollowers: false,
    discoverable: false,
    ...(sharedInbox ? { endpoints: { sharedInbox: `${origin}/inbox` } } : {}),
    publicKey: { id: `${actorId}#main-key`, owner: actorId, publicKeyPem: publicKey },
  });

  const emptyCollection = (id) => ({ '@context': AS_CONTEXT, id, type: 'OrderedCollection', totalItems: 0, orderedItems: [] });

  /** The PEM of a sender's key: fetched (unsigned GET) from the key id without its fragment. */
  async function senderKey(keyId) {
    if (keyCache.has(keyId)) return keyCache.get(keyId);
    const url = new URL(keyId);
    url.hash = '';
    const res = await request(url.href, { headers: { Accept: AP_TYPE, 'User-Agent': 'etal-browser-tests' } });
    if (res.status !== 200) throw new Error(`GET ${url.href} answered ${res.status}`);
    const doc = JSON.parse(res.body.toString('utf8'));
    const keys = Array.isArray(doc.publicKey) ? doc.publicKey : doc.publicKey ? [doc.publicKey] : [doc];
    const key = keys.find((k) => k && k.id === keyId && k.publicKeyPem);
    if (!key) throw new Error(`${url.href} does not list the key ${keyId}`);
    const found = { pem: key.publicKeyPem, owner: key.owner || doc.id };
    keyCache.set(keyId, found);
    return found;
  }

  /** Checks the Digest and Signature of a POST the node sent us. */
  async function checkSignature(req, body, activity) {
    const sig = parseSignature(req.headers.signature);
    const out = { ok: false, keyId: sig.keyId || null, headers: sig.headers || null, error: null };
    try {
      if (!req.headers.signature) throw new Error('no Signature header');
      if (!sig.keyId || !sig.signature) throw new Error('the Signature header has no keyId or signature');
      const names = (sig.headers || 'date').toLowerCase().split(/\s+/).filter(Boolean);
      for (const need of ['(request-target)', 'host', 'date', 'digest']) {
        if (!names.includes(need)) throw new Error(`the signature does not cover ${need}`);
      }
      if (req.headers.digest !== digestOf(body)) throw new Error(`Digest ${req.headers.digest} does not match the body`);
      const skew = Math.abs(Date.now() - Date.parse(req.headers.date));
      if (!(skew < 3600 * 1000)) throw new Error(`Date ${req.headers.date} is not within an hour`);
      const text = signingString(names, { method: req.method, path: req.url, headers: req.headers });
      const key = await senderKey(sig.keyId);
      const good = crypto.verify('sha256', Buffer.from(text), key.pem, Buffer.from(sig.signature, 'base64'));
      if (!good) throw new Error('the signature does not verify with the published key');
      const actor = typeof activity?.actor === 'string' ? activity.actor : activity?.actor?.id;
      if (actor && key.owner !== actor) throw new Error(`the key belongs to ${key.owner}, the activity to ${actor}`);
      out.ok = true;
    } catch (e) {
      out.error = e.message;
    }
    return out;
  }

  function notify() {
    for (const w of [...waiters]) {
      const hit = received.find((r) => !w.skip.has(r) && w.test(r.activity, r));
      if (hit) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(hit);
      }
    }
  }

  function send(res, status, type, payload) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, origin);
    const done = (status) => requests.push(`${req.method} ${req.url} → ${status}`);
    try {
      if (req.method === 'POST' && (url.pathname === `/users/${name}/inbox` || (url.pathname === '/inbox'))) {
        const body = await readBody(req);
        let activity = null;
        try {
          activity = JSON.parse(body.toString('utf8'));
        } catch {
          send(res, 400, 'text/plain', 'not JSON');
          done(400);
          return;
        }
        const signature = await checkSignature(req, body, activity);
        const entry = { at: Date.now(), path: url.pathname, activity, signature, contentType: req.headers['content-type'] || '' };
        received.push(entry);
        log(`alice received ${activity?.type} on ${url.pathname} (signature ${signature.ok ? 'ok' : signature.error})`);
        send(res, 202, 'text/plain', '');
        done(202);
        notify();
        return;
      }
      if (req.method === 'GET' && url.pathname === `/users/${name}`) {
        send(res, 200, AP_TYPE, actorDocument());
        done(200);
        return;
      }
      if (req.method === 'GET' && ['outbox', 'followers', 'following'].some((c) => url.pathname === `/users/${name}/${c}`)) {
        send(res, 200, AP_TYPE, emptyCollection(origin + url.pathname));
        done(200);
        return;
      }
      if (req.method === 'GET' && url.pathname === '/.well-known/webfinger') {
        const resource = url.searchParams.get('resource') || '';
        const hostPort = new URL(origin).host;
        const known = [`acct:${name}@${hostPort}`, `acct:${name}@${new URL(origin).hostname}`, actorId];
        if (!known.includes(resource)) {
          send(res, 404, 'text/plain', 'unknown resource');
          done(404);
          return;
        }
        send(res, 200, 'application/jrd+json', {
          subject: `acct:${name}@${hostPort}`,
          aliases: [actorId],
          links: [{ rel: 'self', type: AP_TYPE, href: actorId }],
        });
        done(200);
        return;
      }
      send(res, 404, 'text/plain', 'not found');
      done(404);
    } catch (e) {
      log(`alice failed on ${req.method} ${req.url}: ${e.message}`);
      if (!res.headersSent) send(res, 500, 'text/plain', 'error');
      done(500);
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  origin = `http://${host}:${server.address().port}`;
  actorId = `${origin}/users/${name}`;

  /** Signs and POSTs an activity to an inbox; resolves {status, body}. */
  async function post(inbox, activity) {
    const target = new URL(inbox);
    const body = Buffer.from(JSON.stringify(activity));
    const headers = {
      host: target.host,
      date: new Date().toUTCString(),
      digest: digestOf(body),
      'content-type': AP_TYPE,
    };
    const names = ['(request-target)', 'host', 'date', 'digest'];
    const text = signingString(names, { method: 'POST', path: target.pathname + target.search, headers });
    const signature = crypto.sign('sha256', Buffer.from(text), privateKey).toString('base64');
    const res = await request(target.href, {
      method: 'POST',
      body,
      headers: {
        Host: headers.host,
        Date: headers.date,
        Digest: headers.digest,
        'Content-Type': headers['content-type'],
        'Content-Length': body.length,
        Accept: AP_TYPE,
        'User-Agent': 'etal-browser-tests (fake follower)',
        Signature: `keyId="${actorId}#main-key",algorithm="rsa-sha256",headers="${names.join(' ')}",signature="${signature}"`,
      },
    });
    return { status: res.status, body: res.body.toString('utf8') };
  }

  return {
    origin,
    actorId,
    keyId: `${actorId}#main-key`,
    received,
    requests,
    post,

    /** Follows a shop (or any actor) by its URL: a signed Follow to `{actor}/inbox` unless `inbox` is given. */
    async follow(object, inbox = `${object.replace(/\/$/, '')}/inbox`) {
      const activity = {
        '@context': AS_CONTEXT,
        id: `${actorId}/follows/${crypto.randomUUID()}`,
        type: 'Follow',
        actor: actorId,
        object,
      };
      const res = await post(inbox, activity);
      return { ...res, activity };
    },

    /**
     * The first activity received (already or later) for which `test(activity, entry)` holds,
     * as its entry {at, path, activity, signature}; rejects after `timeout` ms. Entries in
     * `skip` (a Set) are passed over.
     */
    waitFor(test, timeout = 10000, skip = new Set()) {
      const hit = received.find((r) => !skip.has(r) && test(r.activity, r));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { test, skip, resolve };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          const seen = received.map((r) => `${r.activity?.type}(${r.activity?.object?.type || typeof r.activity?.object})`);
          reject(new Error(`nothing matching within ${timeout} ms; received: ${seen.join(', ') || 'nothing'}`));
        }, timeout);
        waiters.add(w);
      });
    },

    close() {
      for (const w of waiters) clearTimeout(w.timer);
      waiters.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

// On its own: follow a shop and print what arrives.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [nodeUrl, slug] = process.argv.slice(2);
  if (!nodeUrl || !slug) {
    console.error('usage: node fediverse.mjs http://127.0.0.1:PORT SHOP-SLUG');
    process.exit(2);
  }
  const alice = await startFollower({ log: (line) => console.log(line) });
  console.log(`alice is ${alice.actorId}`);
  const shop = new URL(`/shops/${slug}`, nodeUrl).href;
  const res = await alice.follow(shop);
  console.log(`Follow of ${shop}: HTTP ${res.status} ${res.body}`);
  process.on('SIGINT', async () => {
    for (const r of alice.received) console.log(JSON.stringify(r.activity, null, 2));
    await alice.close();
    process.exit(0);
  });
}
