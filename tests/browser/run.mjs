// Browser checks of an Étal node's public pages, as a phone user and as a link-preview crawler.
//
//   node run.mjs http://127.0.0.1:PORT
//
// A phone-sized headless Chromium walks the journey home → search "pain" → product → its shop,
// then a category page, /about and an unknown product (404). Every page gets a full-page
// screenshot, an axe-core audit (WCAG 2.1 A and AA), structure checks (one h1, html[lang], a
// main landmark), and no console error nor failed request to the node. Requests to any other
// host (map tiles…) are aborted, so the run never needs the internet.
//
// Then Node's fetch reads the product and shop pages as a crawler does (no JS) and checks their
// Open Graph / Twitter / JSON-LD tags and the share image itself, and the language switch.
//
// One line per check is printed; target/browser/report.json lists them all; the exit code is 1
// when any check failed. Selectors used here are the contract the pages must keep.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import axe from 'axe-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(process.env.ETAL_BROWSER_OUT || path.join(HERE, '..', '..', 'target', 'browser'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CRAWLER_UA = 'facebookexternalhit/1.1';
const UNKNOWN_PRODUCT = '/products/00000000-0000-7000-8000-000000000000';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const MAX_IMAGE_BYTES = 300 * 1024;

if (!process.argv[2]) {
  console.error('usage: node run.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const base = new URL(process.argv[2]);
const ORIGIN = base.origin;

// ---------------------------------------------------------------------------------------------
// Bookkeeping: every check is printed at once and kept for the report.

const checks = [];
const pages = []; // one entry per page shown: its screenshot and every axe violation
const startedAt = new Date();

function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok), detail: detail || undefined });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${oneLine(detail)}` : ''}`);
  return Boolean(ok);
}

function oneLine(text) {
  return String(text).replace(/\n/g, '\n       ');
}

function errText(e) {
  return (e && e.message ? e.message : String(e)).split('\n')[0];
}

/** Runs a step; an exception becomes one failed check instead of stopping the whole run. */
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    check(name, false, errText(e));
    return undefined;
  }
}

function sameOrigin(url) {
  try {
    return new URL(url).origin === ORIGIN;
  } catch {
    return false;
  }
}

function abs(href, from = base) {
  return new URL(href, from).href;
}

// ---------------------------------------------------------------------------------------------
// The browser side.

/** What one page load produced, reset before each visit. */
let seen = { consoleErrors: [], failedRequests: [], blocked: 0, expectMainStatus: null, mainUrl: null };

function resetSeen(expectMainStatus = null) {
  seen = { consoleErrors: [], failedRequests: [], blocked: 0, expectMainStatus, mainUrl: null };
}

async function watch(page) {
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.isInterceptResolutionHandled()) return;
    const url = req.url();
    if (sameOrigin(url) || url.startsWith('data:') || url.startsWith('blob:')) {
      req.continue();
    } else {
      // Another host (tiles, fonts, trackers): never leave the machine.
      seen.blocked++;
      req.abort('blockedbyclient');
    }
  });
  page.on('requestfailed', (req) => {
    if (!sameOrigin(req.url())) return;
    seen.failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText || 'failed'}`);
  });
  page.on('response', (res) => {
    const url = res.url();
    if (!sameOrigin(url) || res.status() < 400) return;
    const isMain = res.request().isNavigationRequest() && res.request().frame() === page.mainFrame();
    if (isMain && seen.expectMainStatus === res.status()) return; // the 404 we asked for
    seen.failedRequests.push(`${res.request().method()} ${url}: HTTP ${res.status()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url || '';
    // A blocked request to another host is logged as a failed load: that one is ours.
    if (where && !sameOrigin(where) && /^https?:/.test(where)) return;
    // The expected 404 of the page itself is logged as a failed load too.
    if (seen.expectMainStatus && /Failed to load resource/.test(msg.text()) && where === seen.mainUrl) return;
    seen.consoleErrors.push(`${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => {
    seen.consoleErrors.push(`uncaught: ${errText(err)}`);
  });
}

/** Waits until the page has settled (load done, no request for a moment). */
async function settle(page) {
  await page.waitForNetworkIdle({ idleTime: 300, timeout: 5000 }).catch(() => {});
}

/** Clicks a link and waits for the page it leads to; falls back to loading its href. */
async function follow(page, link) {
  const href = await link.evaluate((a) => a.href);
  seen.mainUrl = href;
  try {
    await link.evaluate((a) => a.scrollIntoView({ block: 'center' }));
    const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
    return res;
  } catch (e) {
    console.log(`     (could not click ${href}: ${errText(e)}; loading it instead)`);
    return page.goto(href, { waitUntil: 'load' });
  }
}

let shotNumber = 0;

/** Every check made on each page the browser shows. */
async function audit(page, name, res, { status = 200 } = {}) {
  await settle(page);
  const url = page.url();
  const record = { name, url, status: res ? res.status() : null, screenshot: null, violations: null };
  pages.push(record);
  check(`${name}: ${new URL(url).pathname} answers ${status}`, res && res.status() === status,
    res ? `got ${res.status()}` : 'no response');

  shotNumber++;
  const file = `${String(shotNumber).padStart(2, '0')}-${name}.png`;
  await step(`${name}: screenshot`, async () => {
    await page.screenshot({ path: path.join(OUT, file), fullPage: true });
    record.screenshot = file;
  });

  const facts = await page.evaluate(() => ({
    h1: document.querySelectorAll('h1').length,
    lang: document.documentElement.getAttribute('lang'),
    main: document.querySelectorAll('main, [role="main"]').length,
    hasMapBox: Boolean(document.getElementById('map')),
    places: document.querySelectorAll('#places li[data-lat][data-lon]').length,
  }));
  check(`${name}: exactly one h1`, facts.h1 === 1, `found ${facts.h1}`);
  check(`${name}: html[lang] is set`, Boolean(facts.lang && facts.lang.trim()), `lang=${JSON.stringify(facts.lang)}`);
  check(`${name}: has a main landmark`, facts.main >= 1, `found ${facts.main}`);

  // Map pages: map.js must have drawn one marker per place (only where the page has a map).
  if (facts.hasMapBox && facts.places > 0) {
    const map = await page.evaluate(() => ({
      hasMap: document.documentElement.classList.contains('has-map'),
      leaflet: Boolean(document.querySelector('#map.leaflet-container')),
      markers: document.querySelectorAll('#map .leaflet-marker-icon').length,
      label: document.getElementById('map').getAttribute('aria-label'),
    }));
    check(`${name}: map drawn with one marker per place`,
      map.hasMap && map.leaflet && map.markers === facts.places && Boolean(map.label),
      `has-map=${map.hasMap} leaflet=${map.leaflet} markers=${map.markers}/${facts.places} aria-label=${JSON.stringify(map.label)}`);
  }

  // Console and requests are judged before axe is injected, so nothing of ours is counted.
  check(`${name}: no console error`, seen.consoleErrors.length === 0, seen.consoleErrors.join('\n'));
  check(`${name}: no failed request to the node`, seen.failedRequests.length === 0, seen.failedRequests.join('\n'));

  await step(`${name}: axe audit ran`, async () => {
    const violations = await runAxe(page);
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const minor = violations.length - bad.length;
    const detail = bad
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => targetText(n.target)).join(' | ')}`)
      .join('\n');
    check(`${name}: axe WCAG 2.1 A/AA: no serious or critical violation`, bad.length === 0,
      bad.length ? detail : minor ? `${minor} minor/moderate: ${violations.map((v) => v.id).join(', ')}` : '');
    record.violations = violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      targets: v.nodes.slice(0, 10).map((n) => targetText(n.target)),
    }));
  });
}

function targetText(target) {
  // A target is a selector, or a list of selectors through iframes and shadow roots.
  return (Array.isArray(target) ? target : [target]).map((t) => (Array.isArray(t) ? t.join(' >> ') : t)).join(' >>> ');
}

async function runAxe(page) {
  // The pages' CSP (script-src 'self') may refuse an inline <script>: then evaluate the same
  // source through the DevTools protocol, which CSP does not govern.
  await page.addScriptTag({ content: axe.source }).catch(() => {});
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(axe.source);
  }
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return r.violations;
  }, AXE_TAGS);
}

async function firstHref(page, selectors) {
  for (const sel of selectors) {
    const href = await page.$eval(sel, (a) => a.href).catch(() => null);
    if (href) return href;
  }
  return null;
}

async function browserJourney() {
  const found = { product: null, shop: null, category: null };
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15000);
    page.setDefaultNavigationTimeout(30000);
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    // A person of the town: French first.
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.5' });
    await watch(page);

    // Home.
    let homeLinks = {};
    await step('home: visit', async () => {
      resetSeen();
      seen.mainUrl = abs('/');
      const res = await page.goto(abs('/'), { waitUntil: 'load' });
      await audit(page, 'home', res);
      homeLinks = {
        category: await firstHref(page, ['a[href^="/categories/"]']),
        product: await firstHref(page, ['main a[href*="/products/"]', 'a[href*="/products/"]']),
        shop: await firstHref(page, ['main a[href*="/shops/"]', 'a[href*="/shops/"]']),
      };
    });

    // Search "pain" with the search form, as typed on the phone.
    let searched = false;
    await step('search: submit the search form', async () => {
      const input = await page.$('form[role=search] input[name=q]');
      if (!check('home: search box form[role=search] input[name=q]', input)) return;
      await input.tap().catch(() => input.click());
      await input.type('pain');
      resetSeen();
      const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
      const at = new URL(page.url());
      check('search: results page is /search?q=pain', at.pathname === '/search' && at.searchParams.get('q') === 'pain', page.url());
      await audit(page, 'search', res);
      searched = true;
    });

    // The first result, then its shop.
    if (searched) {
      await step('product: follow the first result', async () => {
        const link = (await page.$('main a[href*="/products/"]')) || (await page.$('a[href*="/products/"]'));
        if (!check('search: at least one result a[href*="/products/"]', link)) return;
        resetSeen();
        const res = await follow(page, link);
        check('product: URL is /products/…', new URL(page.url()).pathname.startsWith('/products/'), page.url());
        await audit(page, 'product', res);
        found.product = page.url();

        const shopLink = await page.$('main a[href*="/shops/"]');
        if (!check('product: links to its shop (main a[href*="/shops/"])', shopLink)) return;
        resetSeen();
        const shopRes = await follow(page, shopLink);
        check('shop: URL is /shops/…', new URL(page.url()).pathname.startsWith('/shops/'), page.url());
        await audit(page, 'shop', shopRes);
        found.shop = page.url();
      });
    }

    // A category page found from the home page.
    await step('category: visit', async () => {
      if (!check('home: links to a category (a[href^="/categories/"])', homeLinks.category)) return;
      resetSeen();
      seen.mainUrl = homeLinks.category;
      const res = await page.goto(homeLinks.category, { waitUntil: 'load' });
      await audit(page, 'category', res);
      found.category = page.url();
    });

    // About.
    await step('about: visit', async () => {
      resetSeen();
      seen.mainUrl = abs('/about');
      const res = await page.goto(abs('/about'), { waitUntil: 'load' });
      await audit(page, 'about', res);
    });

    // An unknown product: a real HTML page that says so and leads home.
    await step('not-found: visit', async () => {
      resetSeen(404);
      seen.mainUrl = abs(UNKNOWN_PRODUCT);
      const res = await page.goto(abs(UNKNOWN_PRODUCT), { waitUntil: 'load' });
      const type = res?.headers()['content-type'] || '';
      check('not-found: answers an HTML page', type.startsWith('text/html'), `content-type: ${type}`);
      const home = await page.evaluate((origin) =>
        [...document.querySelectorAll('a[href]')].some((a) => {
          const u = new URL(a.href);
          return u.origin === origin && u.pathname === '/';
        }), ORIGIN);
      check('not-found: links home', home);
      await audit(page, 'not-found', res, { status: 404 });
    });

    // When the journey broke before reaching them, still give the crawler checks something.
    if (!found.product && homeLinks.product) {
      found.product = homeLinks.product;
      console.log(`     (crawler checks use the product linked from home: ${found.product})`);
    }
    if (!found.shop && homeLinks.shop) {
      found.shop = homeLinks.shop;
      console.log(`     (crawler checks use the shop linked from home: ${found.shop})`);
    }
  } finally {
    await browser.close();
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The crawler side: plain HTTP, a few regular expressions, no JS.

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', eacute: 'é' };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** The attributes of one start tag, names lower-cased, values decoded. */
function attributes(tag) {
  const attrs = {};
  const inner = tag.replace(/^<[a-z0-9]+/i, '').replace(/\/?>$/, '');
  const re = /([^\s"'=<>\/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(inner))) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** Meta tags (by property or name; first value kept), link tags, html lang, JSON-LD blocks. */
function parseHead(html) {
  const meta = {};
  for (const [tag] of html.matchAll(/<meta\b[^>]*>/gi)) {
    const a = attributes(tag);
    const key = a.property || a.name;
    if (key && a.content !== undefined && !(key in meta)) meta[key] = a.content;
  }
  const links = [...html.matchAll(/<link\b[^>]*>/gi)].map(([tag]) => attributes(tag));
  const htmlTag = html.match(/<html\b[^>]*>/i);
  const lang = htmlTag ? attributes(htmlTag[0]).lang : undefined;
  const jsonLd = [];
  for (const [, open, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if ((attributes(`<script ${open}>`).type || '').toLowerCase() === 'application/ld+json') jsonLd.push(body);
  }
  return { meta, links, lang, jsonLd };
}

function relList(link) {
  return (link.rel || '').toLowerCase().split(/\s+/);
}

/** Every object in a JSON-LD document, @graph and nested values included. */
function* ldObjects(value) {
  if (Array.isArray(value)) {
    for (const v of value) yield* ldObjects(v);
  } else if (value && typeof value === 'object') {
    yield value;
    for (const v of Object.values(value)) yield* ldObjects(v);
  }
}

function ldTypes(obj) {
  const t = obj['@type'];
  return (Array.isArray(t) ? t : t ? [t] : []).map(String);
}

async function get(url, headers = {}) {
  const res = await fetch(url, { headers: { 'User-Agent': CRAWLER_UA, ...headers }, redirect: 'follow' });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

/** Width and height from the first start-of-frame marker of a JPEG, or an error. */
function jpegSize(buf) {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) throw new Error('not a JPEG (no SOI marker)');
  let i = 2;
  while (i < buf.length) {
    if (buf[i] !== 0xff) throw new Error(`bad marker at byte ${i}`);
    while (buf[i] === 0xff) i++; // fill bytes
    const marker = buf[i++];
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or scan data before any frame
    if (i + 2 > buf.length) break;
    const len = buf.readUInt16BE(i);
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 7 > buf.length) break;
      return { height: buf.readUInt16BE(i + 3), width: buf.readUInt16BE(i + 5) };
    }
    i += len;
  }
  throw new Error('no start-of-frame marker');
}

async function shareTags(kind, url) {
  const label = `${kind} share tags`;
  const { res, body } = await get(url);
  if (!check(`${label}: ${new URL(url).pathname} answers 200 to a crawler`, res.status === 200, `got ${res.status}`)) return;
  const { meta, links, jsonLd } = parseHead(body.toString('utf8'));
  const has = (k) => typeof meta[k] === 'string' && meta[k].trim() !== '';
  const show = (k) => `${k}=${JSON.stringify(meta[k])}`;
  const isAbs = (u) => { try { return /^https?:$/.test(new URL(u).protocol); } catch { return false; } };

  check(`${label}: og:title`, has('og:title'), show('og:title'));
  if (kind === 'product') {
    check(`${label}: og:type is product`, meta['og:type'] === 'product', show('og:type'));
    check(`${label}: product:price:amount`, /^\d+(\.\d+)?$/.test(meta['product:price:amount'] || ''), show('product:price:amount'));
    check(`${label}: product:price:currency`, /^[A-Z]{3}$/.test(meta['product:price:currency'] || ''), show('product:price:currency'));
  } else {
    check(`${label}: og:type`, has('og:type'), show('og:type'));
  }
  const canonical = links.find((l) => relList(l).includes('canonical'));
  check(`${label}: og:url is absolute`, isAbs(meta['og:url']), show('og:url'));
  check(`${label}: og:url equals link[rel=canonical]`, canonical && canonical.href === meta['og:url'],
    `canonical=${JSON.stringify(canonical?.href)} ${show('og:url')}`);
  check(`${label}: og:url names this page`, isAbs(meta['og:url']) && new URL(meta['og:url']).pathname === new URL(url).pathname,
    `${show('og:url')} page=${url}`);
  check(`${label}: og:image is absolute`, isAbs(meta['og:image']), show('og:image'));
  check(`${label}: og:image:width is 1200`, meta['og:image:width'] === '1200', show('og:image:width'));
  check(`${label}: og:image:height is 630`, meta['og:image:height'] === '630', show('og:image:height'));
  check(`${label}: og:image:alt`, has('og:image:alt'), show('og:image:alt'));
  check(`${label}: og:site_name`, has('og:site_name'), show('og:site_name'));
  check(`${label}: og:locale`, /^[a-z]{2,3}_[A-Z]{2}$/.test(meta['og:locale'] || ''), show('og:locale'));
  check(`${label}: twitter:card is summary_large_image`, meta['twitter:card'] === 'summary_large_image', show('twitter:card'));
  const ap = links.find((l) => relList(l).includes('alternate') && (l.type || '').toLowerCase() === 'application/activity+json');
  check(`${label}: link rel=alternate type=application/activity+json`, ap && ap.href, ap ? `href=${ap.href}` : 'missing');

  // JSON-LD: every block parses; one describes the thing.
  const docs = [];
  const broken = [];
  for (const text of jsonLd) {
    try {
      docs.push(JSON.parse(text));
    } catch (e) {
      broken.push(errText(e));
    }
  }
  check(`${label}: JSON-LD present and valid`, jsonLd.length > 0 && broken.length === 0,
    jsonLd.length ? broken.join('; ') : 'no <script type="application/ld+json">');
  const objects = docs.flatMap((d) => [...ldObjects(d)]);
  if (kind === 'product') {
    const p = objects.find((o) => ldTypes(o).includes('Product'));
    check(`${label}: JSON-LD Product with offers`, p && p.offers,
      p ? (p.offers ? '' : 'Product without offers') : `types: ${objects.flatMap(ldTypes).join(', ') || 'none'}`);
  } else {
    const b = objects.find((o) => ldTypes(o).length && o.address);
    check(`${label}: JSON-LD LocalBusiness (or subtype) with address`, b,
      b ? `@type ${ldTypes(b).join(', ')}` : `types: ${objects.flatMap(ldTypes).join(', ') || 'none'}`);
  }

  // The share image itself, as the crawler downloads it.
  if (!isAbs(meta['og:image'])) return;
  await step(`${label}: og:image fetched`, async () => {
    const img = await get(meta['og:image']);
    const type = img.res.headers.get('content-type') || '';
    check(`${label}: og:image answers 200`, img.res.status === 200, `got ${img.res.status} for ${meta['og:image']}`);
    check(`${label}: og:image is image/jpeg`, type.split(';')[0].trim().toLowerCase() === 'image/jpeg', `content-type: ${type}`);
    check(`${label}: og:image at most 300 KB`, img.body.length <= MAX_IMAGE_BYTES, `${img.body.length} bytes`);
    let size = null;
    try {
      size = jpegSize(img.body);
    } catch (e) {
      check(`${label}: og:image JPEG is 1200×630`, false, errText(e));
      return;
    }
    check(`${label}: og:image JPEG is 1200×630`, size.width === 1200 && size.height === 630, `${size.width}×${size.height}`);
  });
}

async function languageSwitch() {
  for (const [asked, want] of [['en', 'en'], ['fr', 'fr']]) {
    await step(`language: Accept-Language ${asked}`, async () => {
      const { res, body } = await get(abs('/'), { 'Accept-Language': asked });
      const { lang } = parseHead(body.toString('utf8'));
      const primary = (lang || '').toLowerCase().split('-')[0];
      check(`language: / with Accept-Language: ${asked} has html[lang=${want}]`, res.status === 200 && primary === want,
        `status ${res.status}, lang=${JSON.stringify(lang)}`);
    });
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await mkdir(OUT, { recursive: true });
  console.log(`Checking ${ORIGIN} with ${CHROMIUM}; screenshots and report in ${OUT}`);

  const found = (await step('browser journey', browserJourney)) || {};

  if (!found.product && found.shop) {
    // Neither search nor home led to a product: take the first one the shop page links to.
    await step('product share tags: find a product on the shop page', async () => {
      const { body } = await get(found.shop);
      const m = body.toString('utf8').match(/<a\b[^>]*\bhref\s*=\s*["']([^"']*\/products\/[^"']*)["']/i);
      if (m) {
        found.product = abs(decodeEntities(m[1]), found.shop);
        console.log(`     (crawler checks use the product linked from the shop: ${found.product})`);
      }
    });
  }
  if (found.product) await step('product share tags', () => shareTags('product', found.product));
  else check('product share tags: a product page to read', false, 'no product page was reached');
  if (found.shop) await step('shop share tags', () => shareTags('shop', found.shop));
  else check('shop share tags: a shop page to read', false, 'no shop page was reached');

  await languageSwitch();

  const failed = checks.filter((c) => !c.ok).length;
  const passed = checks.length - failed;
  await writeFile(path.join(OUT, 'report.json'), JSON.stringify({
    node: ORIGIN,
    chromium: CHROMIUM,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    passed,
    failed,
    checks,
    pages,
  }, null, 2) + '\n');
  console.log(`\nbrowser: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
