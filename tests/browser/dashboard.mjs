// Browser checks of an Étal node's merchant and admin dashboard, on a phone.
//
//   node dashboard.mjs http://127.0.0.1:PORT OWNER_WELCOME_LINK ADMIN_WELCOME_LINK [SHOP_SLUG]
//
// The two links are those `etal admin user create` prints (the owner's with --merchant). The
// node must run with --allow-private-networks (so that it talks to the fake follower on
// loopback) and a short --publish-delay (a new product's Create is awaited here).
//
// Incognito contexts of a phone-sized headless Chromium:
//   - signed out: /login (and a wrong password), /account/reset, /dashboard sending to /login;
//   - the shop owner: invitation link → password chosen → the shop's products → "new product",
//     a photo picked, name and price typed → the list shows it → its edit page and public page;
//     a fake fediverse account (fediverse.mjs) that followed the shop beforehand must receive
//     the product's Create(Note) with its photo; "Épuisé" on it; every other shop page; sign
//     out and back in with the login form;
//   - click & collect (#21): a customer without an account reserves 2 units of a demo product of
//     the shop (product page → /basket, sent once without consent: the error box, the name
//     kept; then with the first slot, name, e-mail and consent → /reservations/{id}, "envoyée",
//     noindex); the owner, signed in again with the login form, sees the badge ("(1)" in the
//     title), accepts ("Tout accepter"), then "Prête", then "Retirée", the customer's status
//     page following each step; the reservations' settings page;
//   - a node admin: invitation link → password → the admin pages (and any other page the
//     admin menu or the shop menu links to);
//   - town vouchers (#22): the admin, signed in again, creates a campaign of 10,00 € gift
//     vouchers, one per e-mail address, inviting the shop (/dashboard/admin/vouchers →
//     /dashboard/admin/vouchers/{id}: figures, the public page's link); the owner takes part
//     ("Participer"); a resident without an account asks on the public page /vouchers/{id}
//     (og:title), opens the confirmation link the node wrote to its log (no SMTP server;
//     ETAL_NODE_LOG, by default target/browser/node.log) and gets /vouchers/mine/{secret}
//     (inline SVG QR code, code#code, "Reste à dépenser : 10,00 €", the shop); the shop types
//     the code and takes 6,40 €, then reads the QR code from a screenshot of the resident's
//     screen uploaded to #photo (3,60 € left), and 5 € more is refused; the resident's page and
//     the admin's campaign page (spent, owed to the shop, the CSV export) follow.
// Every page gets a full-page screenshot, an axe-core audit (WCAG 2.1 A and AA), structure
// checks (one h1, html[lang], a main landmark, a title), no console error nor failed request
// to the node, no sideways scrolling on the phone (WCAG 1.4.10) and no text drawn in its own
// background colour (which axe only lists "to review"). Requests to any other host (map
// tiles) are aborted. When a password form is refused, that fails, and the run goes on by
// posting the same form from the page with a referrer policy that lets the browser send
// its Origin, so that the pages behind it are still checked.
//
// One line per check, then the failures grouped; target/browser/dashboard-report.json lists
// every check and each page's axe results (violations and what axe left to review), and
// fediverse-received.json what the fake follower received. Exit code 1 when any check
// failed. ETAL_BROWSER_VERBOSE=1 prints each activity the follower receives. Selectors used
// here are the contract the dashboard's templates keep.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import axe from 'axe-core';
import { startFollower } from './fediverse.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(process.env.ETAL_BROWSER_OUT || path.join(HERE, '..', '..', 'target', 'browser'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PHONE = { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const PHOTO_FROM = 'boulangerie-martin';
const PASSWORD = 'Tomates-cerises-2024';
const CREATE_TIMEOUT_MS = 30000;

const [nodeArg, ownerLink, adminLink, shopArg] = process.argv.slice(2);
if (!nodeArg || !ownerLink || !adminLink) {
  console.error('usage: node dashboard.mjs http://127.0.0.1:PORT OWNER_WELCOME_LINK ADMIN_WELCOME_LINK [SHOP_SLUG]');
  process.exit(2);
}
const base = new URL(nodeArg);
const ORIGIN = base.origin;
const stamp = Date.now().toString(36).slice(-5);
// A name nobody else uses, with letters a French shop would type.
const PRODUCT_NAME = `Potimarron bio d'Île-de-France ${stamp}`;

// ---------------------------------------------------------------------------------------------
// Bookkeeping.

const checks = [];
const pages = [];
const startedAt = new Date();

function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok), detail: detail || undefined });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${String(detail).replace(/\n/g, '\n       ')}` : ''}`);
  return Boolean(ok);
}

function errText(e) {
  return (e && e.message ? e.message : String(e)).split('\n')[0];
}

/** Runs a step; an exception becomes one failed check instead of stopping the run. */
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    check(name, false, errText(e));
    return undefined;
  }
}

function note(text) {
  console.log(`     (${text})`);
}

function sameOrigin(url) {
  try {
    return new URL(url).origin === ORIGIN;
  } catch {
    return false;
  }
}

function abs(href) {
  return new URL(href, base).href;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Tabs: a page with what its current visit produced (console errors, failed requests).

function freshSeen(expectMainStatus = null, mainUrl = null) {
  return { consoleErrors: [], failedRequests: [], expectMainStatus, mainUrl };
}

async function openTab(context, who) {
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.setDefaultNavigationTimeout(60000);
  await page.setViewport(PHONE);
  await page.setExtraHTTPHeaders({ 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.5' });
  const tab = { page, who, seen: freshSeen(), posts: [], pending: new Set() };
  // Favicons are fetched aside and do not always report their end.
  page.on('request', (req) => !/\/(icon\.svg|favicon\.ico)$/.test(new URL(req.url()).pathname) && tab.pending.add(req));
  page.on('requestfinished', (req) => tab.pending.delete(req));
  page.on('requestfailed', (req) => tab.pending.delete(req));
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.isInterceptResolutionHandled()) return;
    const url = req.url();
    if (req.method() === 'POST') tab.posts.push({ url, origin: req.headers().origin ?? null });
    if (sameOrigin(url) || url.startsWith('data:') || url.startsWith('blob:')) req.continue();
    else req.abort('blockedbyclient'); // map tiles and anything else: never leave the machine
  });
  page.on('requestfailed', (req) => {
    if (!sameOrigin(req.url())) return;
    tab.seen.failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText || 'failed'}`);
  });
  page.on('response', (res) => {
    const url = res.url();
    if (!sameOrigin(url) || res.status() < 400) return;
    const isMain = res.request().isNavigationRequest() && res.request().frame() === page.mainFrame();
    if (isMain && tab.seen.expectMainStatus === res.status()) return;
    tab.seen.failedRequests.push(`${res.request().method()} ${url}: HTTP ${res.status()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url || '';
    if (where && !sameOrigin(where) && /^https?:/.test(where)) return; // a request we aborted
    if (tab.seen.expectMainStatus && /Failed to load resource/.test(msg.text()) && where.split('?')[0] === tab.seen.mainUrl) return;
    tab.seen.consoleErrors.push(`${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => tab.seen.consoleErrors.push(`uncaught: ${errText(err)}`));
  return tab;
}

/** Loads a URL in the tab. */
async function visit(tab, url, { status = null } = {}) {
  const href = abs(url);
  tab.seen = freshSeen(status, href.split('?')[0]);
  tab.pending.clear();
  return tab.page.goto(href, { waitUntil: 'load' });
}

/** Taps an element that leads to another page (link or submit button) and waits for it. */
async function tapAndWait(tab, handle, { status = null, mainUrl = null } = {}) {
  tab.seen = freshSeen(status, mainUrl);
  tab.pending.clear();
  await handle.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  // What a finger would touch at the element's centre: the element itself, or what covers it.
  const touched = await handle.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    const name = (e) => (e ? `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${typeof e.className === 'string' && e.className ? `.${e.className.split(/\s+/).join('.')}` : ''}` : 'nothing');
    return { ok: Boolean(hit && (hit === el || el.contains(hit))), hit: name(hit), el: name(el), box: [r.x, r.y, r.width, r.height].map(Math.round) };
  });
  const navigation = tab.page.waitForNavigation({ waitUntil: 'load', timeout: 15000 });
  await handle.tap().catch(() => handle.click());
  try {
    return await navigation;
  } catch (e) {
    // The tap led nowhere. When something covers the element, that is the page's fault;
    // otherwise the emulated touch missed (it happens on a page wider than the screen), and
    // the element is activated directly.
    const why = `${errText(e)}; at its centre ${JSON.stringify(touched.box)} is ${touched.hit}; still at ${tab.page.url()}`;
    if (touched.ok) note(`the tap on ${touched.el} led nowhere (${why}); activating it directly`);
    else check(`${tab.who}: ${touched.el} can be tapped (nothing covers it)`, false, why);
    const [res] = await Promise.all([
      tab.page.waitForNavigation({ waitUntil: 'load' }),
      handle.evaluate((el) => (el.form && el.type === 'submit' ? el.form.requestSubmit(el) : el.click())),
    ]);
    return res;
  }
}

/**
 * Waits until no request of this visit has been in flight for 300 ms (5 s at most). Requests
 * of the tab are tracked here rather than with waitForNetworkIdle, which counts forever a
 * request of an earlier page that never reported its end.
 */
async function settle(tab) {
  const until = Date.now() + 5000;
  let quietSince = Date.now();
  while (Date.now() < until) {
    if (tab.pending.size) quietSince = Date.now();
    else if (Date.now() - quietSince >= 300) return;
    await sleep(50);
  }
  note(`${tab.who}: still loading after 5 s: ${[...tab.pending].map((r) => `${r.method()} ${r.url()}`).join(', ')}`);
}

/** In the page: elements whose own text has exactly the colour of the background behind it. */
function invisibleText() {
  const rgba = (c) => {
    const m = /rgba?\(([^)]*)\)/.exec(c || '');
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  // The first opaque background colour from the element up; null when an image or a
  // translucent colour is in the way (then nothing is claimed).
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage !== 'none') return null;
      const c = rgba(cs.backgroundColor);
      if (c && c.a === 1) return c;
      if (c && c.a > 0) return null;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
    if (!text) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 3 || box.height < 3) continue; // visually hidden on purpose (.sr)
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || Number(cs.opacity) === 0) continue;
    const fg = rgba(cs.color);
    const bg = background(el);
    if (fg && bg && fg.a === 1 && fg.r === bg.r && fg.g === bg.g && fg.b === bg.b) {
      const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      found.push(`${el.tagName.toLowerCase()}${cls} "${text.slice(0, 40)}": ${cs.color} on ${cs.color}`);
    }
  }
  return found;
}

function targetText(target) {
  return (Array.isArray(target) ? target : [target]).map((t) => (Array.isArray(t) ? t.join(' >> ') : t)).join(' >>> ');
}

async function runAxe(page) {
  // script-src 'self' may refuse an inline script tag: then evaluate the source over CDP.
  await page.addScriptTag({ content: axe.source }).catch(() => {});
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axe.source);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return { violations: r.violations, incomplete: r.incomplete, passes: r.passes.length };
  }, AXE_TAGS);
}

let shotNumber = 0;

/** Every check made on each page the browser shows. */
async function audit(tab, name, res, { status = 200 } = {}) {
  const { page } = tab;
  await settle(tab);
  const url = page.url();
  const record = { name, who: tab.who, url, status: res ? res.status() : null, screenshot: null, violations: null };
  pages.push(record);
  check(`${name}: ${new URL(url).pathname} answers ${status}`, res && res.status() === status,
    res ? `got ${res.status()}` : 'no response');

  shotNumber++;
  const file = `dash-${String(shotNumber).padStart(2, '0')}-${name}.png`;
  await step(`${name}: screenshot`, async () => {
    await page.screenshot({ path: path.join(OUT, file), fullPage: true });
    record.screenshot = file;
  });

  const facts = await page.evaluate(() => ({
    h1: document.querySelectorAll('h1').length,
    lang: document.documentElement.getAttribute('lang'),
    main: document.querySelectorAll('main, [role="main"]').length,
    title: document.title,
  }));
  check(`${name}: exactly one h1`, facts.h1 === 1, `found ${facts.h1}`);
  check(`${name}: html[lang] is set`, Boolean(facts.lang && facts.lang.trim()), `lang=${JSON.stringify(facts.lang)}`);
  check(`${name}: has a main landmark`, facts.main >= 1, `found ${facts.main}`);
  check(`${name}: has a title`, Boolean(facts.title && facts.title.trim()), `title=${JSON.stringify(facts.title)}`);
  // Judged before axe is injected, so nothing of ours counts.
  check(`${name}: no console error`, tab.seen.consoleErrors.length === 0, tab.seen.consoleErrors.join('\n'));
  check(`${name}: no failed request to the node`, tab.seen.failedRequests.length === 0, tab.seen.failedRequests.join('\n'));

  // WCAG 1.4.10 (reflow): nothing wider than the phone, no sideways scrolling.
  const reflow = await page.evaluate(() => {
    const cw = document.documentElement.clientWidth;
    const sw = document.documentElement.scrollWidth;
    if (sw <= cw + 1) return { cw, sw, culprits: [] };
    // Inside a box that scrolls or clips on its own, an element widens nothing.
    const clipped = (el) => {
      for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
        if (getComputedStyle(e).overflowX !== 'visible' && e.getBoundingClientRect().right <= cw + 1) return true;
      }
      return false;
    };
    const wide = [...document.querySelectorAll('body *')].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > cw + 1 && !clipped(el);
    });
    const label = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '')
      + (typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
    // The outermost ones: what overflows on its own, not because its parent does.
    const outer = wide.filter((el) => !wide.includes(el.parentElement));
    return { cw, sw, culprits: outer.slice(0, 5).map((el) => `${label(el)} reaches ${Math.round(el.getBoundingClientRect().right)} px`) };
  });
  check(`${name}: fits the phone's width (no sideways scrolling, WCAG 1.4.10)`, reflow.sw <= reflow.cw + 1,
    reflow.culprits.length ? `page ${reflow.sw} px wide for a ${reflow.cw} px screen: ${reflow.culprits.join('; ')}` : '');

  const sameColourText = await page.evaluate(invisibleText);

  await step(`${name}: axe audit ran`, async () => {
    const { violations, incomplete, passes } = await runAxe(page);
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const minor = violations.length - bad.length;
    const detail = bad
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => targetText(n.target)).join(' | ')}`)
      .join('\n');
    check(`${name}: axe WCAG 2.1 A/AA: no serious or critical violation`, bad.length === 0,
      bad.length ? detail : minor ? `${minor} minor/moderate: ${violations.map((v) => v.id).join(', ')}` : `${passes} rules passed`);
    // axe leaves text at a 1:1 contrast "to review" (it might be meant to be hidden), or gives
    // up when the element is partly covered: text drawn in its own background colour is looked
    // for here too, with the computed colours.
    const fromAxe = incomplete
      .filter((v) => v.id === 'color-contrast')
      .flatMap((v) => v.nodes)
      .filter((n) => n.any.some((c) => c.data && (c.data.contrastRatio === 1 || c.data.messageKey === 'equalRatio')))
      .map((n) => `${targetText(n.target)}: ${n.html.slice(0, 120)} (axe: 1:1)`);
    const invisible = sameColourText.length ? sameColourText : fromAxe;
    check(`${name}: no text drawn in its background colour (contrast 1:1)`, invisible.length === 0, invisible.join('\n'));
    record.violations = violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.slice(0, 10).map((n) => ({ target: targetText(n.target), html: n.html, summary: n.failureSummary })),
    }));
    record.toReview = incomplete.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 10).map((n) => ({ target: targetText(n.target), html: n.html, summary: n.failureSummary })),
    }));
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers (Node's fetch: no cookies, public endpoints only).

async function getJson(url) {
  const res = await fetch(abs(url), { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return res.json();
}

/** A real JPEG for the upload: one of the demo products' photos, as the node serves it. */
async function downloadPhoto(dir) {
  const list = await getJson(`/api/v1/products?merchant=${PHOTO_FROM}`);
  const image = (list.items || []).flatMap((p) => p.images || [])[0];
  if (!image) throw new Error(`no demo product of ${PHOTO_FROM} has a photo`);
  const variants = image.variants || [];
  const pick = variants.find((v) => v.name === 'large') || variants[0] || image;
  const res = await fetch(pick.url);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200 || body[0] !== 0xff || body[1] !== 0xd8) {
    throw new Error(`${pick.url}: HTTP ${res.status}, ${res.headers.get('content-type')}, not a JPEG`);
  }
  const file = path.join(dir, 'panier.jpg');
  await writeFile(file, body);
  return { file, bytes: body.length, from: pick.url };
}

/** The shop's product with this name, from the public API (newest first). */
async function apiProduct(slug, name) {
  const list = await getJson(`/api/v1/products?merchant=${encodeURIComponent(slug)}`);
  return (list.items || []).find((p) => p.name === name) || null;
}

// ---------------------------------------------------------------------------------------------
// Signed out.

async function signedOut(browser) {
  const context = await browser.createBrowserContext();
  const tab = await openTab(context, 'visitor');
  try {
    await step('login: visit', async () => {
      const res = await visit(tab, '/login');
      await audit(tab, 'login', res);
      const form = await tab.page.evaluate(() => ({
        email: Boolean(document.querySelector('form #email[type=email]')),
        password: Boolean(document.querySelector('form #password[type=password]')),
        csrf: Boolean(document.querySelector('form input[type=hidden][name=_csrf]')?.value),
        submit: Boolean(document.querySelector('form button[type=submit]')),
        labels: ['email', 'password'].every((id) => document.querySelector(`label[for=${id}]`)),
        reset: Boolean(document.querySelector('a[href="/account/reset"]')),
      }));
      check('login: form has #email, #password, _csrf, a submit button and labels',
        form.email && form.password && form.csrf && form.submit && form.labels, JSON.stringify(form));
      check('login: links to /account/reset', form.reset);
    });

    await step('signup: visit when the login page offers it', async () => {
      const link = await tab.page.$('main a[href="/signup"]');
      if (!link) {
        note('the login page offers no sign-up (closed, or not in this build)');
        return;
      }
      const res = await tapAndWait(tab, link);
      await audit(tab, 'signup', res);
      await visit(tab, '/login');
    });

    await step('login: wrong password', async () => {
      await tab.page.type('#email', 'personne@example.test');
      await tab.page.type('#password', 'pas-le-bon-mot-de-passe');
      const res = await tapAndWait(tab, await tab.page.$('main form button[type=submit]'), { status: 401, mainUrl: abs('/login') });
      const errors = await tab.page.$eval('.errors[role=alert]', (e) => e.textContent.replace(/\s+/g, ' ').trim()).catch(() => null);
      check('login: a wrong password shows an alert (.errors[role=alert])', errors, errors || 'none');
      await audit(tab, 'login-error', res, { status: 401 });
    });

    await step('signed out: /dashboard sends to /login', async () => {
      const res = await visit(tab, '/dashboard');
      const at = new URL(tab.page.url());
      check('signed out: /dashboard redirects to /login?next=…', at.pathname === '/login' && res?.status() === 200,
        `${tab.page.url()} (${res?.status()})`);
    });

    await step('reset: visit', async () => {
      const res = await visit(tab, '/account/reset');
      await audit(tab, 'reset', res);
      await tab.page.type('#email', 'personne@example.test');
      const sent = await tapAndWait(tab, await tab.page.$('main form button[type=submit]'));
      const text = await tab.page.$eval('main', (m) => m.textContent.replace(/\s+/g, ' ').trim());
      check('reset: asking for a link answers without a form (no hint whether the address exists)',
        !(await tab.page.$('main form #email')), text.slice(0, 160));
      await audit(tab, 'reset-sent', sent);
    });
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------
// An invitation link: the welcome page, a password, and where it leads.

async function welcome(tab, name, link) {
  const res = await visit(tab, link);
  await audit(tab, name, res);
  const email = await tab.page.evaluate(
    () => document.querySelector('input[autocomplete=username]')?.value || document.querySelector('main strong')?.textContent || '',
  );
  const input = await tab.page.$('#password');
  if (!check(`${name}: password field #password (minlength 10)`, input,
    input ? '' : 'no #password on the page')) return { email, landed: null };
  const minlength = await input.evaluate((i) => i.getAttribute('minlength'));
  check(`${name}: #password asks for at least 10 characters`, Number(minlength) >= 10, `minlength=${minlength}`);
  await input.tap().catch(() => {});
  await input.type(PASSWORD);
  let landed = await tapAndWait(tab, await tab.page.$('main form button[type=submit]'));
  const linkPath = new URL(link).pathname;
  const stuck = new URL(tab.page.url()).pathname === linkPath;
  const post = [...tab.posts].reverse().find((p) => new URL(p.url).pathname === linkPath);
  check(`${name}: submitting the password form signs in and leaves the link page`, !stuck,
    stuck ? `HTTP ${landed?.status()} at ${tab.page.url()}; the browser sent Origin: ${post?.origin}` +
      ` (the link page has Referrer-Policy: ${res?.headers()['referrer-policy']})` : `→ ${tab.page.url()}`);
  if (stuck) return { email, landed: null };
  const cookies = await tab.page.cookies();
  check(`${name}: choosing a password signs in (an httpOnly session cookie is set)`,
    cookies.some((c) => c.httpOnly && /session/i.test(c.name)),
    cookies.map((c) => `${c.name}${c.httpOnly ? ' (httpOnly)' : ''}`).join(', ') || 'no cookie');
  return { email, landed };
}

// ---------------------------------------------------------------------------------------------
// The shop owner, with the fake follower.

async function owner(browser, alice, photo) {
  const context = await browser.createBrowserContext();
  const tab = await openTab(context, 'owner');
  const { page } = tab;
  const out = { slug: shopArg || null, productId: null, email: '' };
  try {
    let email = '';
    let landed = null;
    await step('welcome: owner invitation', async () => {
      ({ email, landed } = await welcome(tab, 'welcome', ownerLink));
    });
    if (!landed) {
      check('owner: signed in', false, 'the welcome step failed; the owner checks are skipped');
      return out;
    }
    out.email = email;

    // The owner of one shop lands on that shop's products.
    const at = new URL(page.url());
    const m = at.pathname.match(/^\/dashboard\/shops\/([^/]+)$/);
    check('owner: lands on /dashboard/shops/SLUG after choosing a password', m, page.url());
    out.slug = m ? decodeURIComponent(m[1]) : out.slug;
    if (!out.slug) return out;
    const slug = out.slug;
    const shopPath = `/dashboard/shops/${slug}`;
    await audit(tab, 'products', landed);
    await step('products: list', async () => {
      const list = await page.evaluate(() => ({
        items: document.querySelectorAll('.plist .pitem').length,
        quick: document.querySelectorAll('.plist form.quick').length,
        soldOut: [...document.querySelectorAll('.plist form.soldout button')].map((b) => b.textContent.trim()),
        newLink: Boolean(document.querySelector('main a[href$="/products/new"]')),
      }));
      check('products: quick-edit forms on the list', list.items > 0 && list.quick === list.items,
        `${list.items} products, ${list.quick} quick forms`);
      check('products: "Épuisé" buttons on products in stock', list.soldOut.length > 0 && list.soldOut.every((t) => t.startsWith('Épuisé')),
        list.soldOut.slice(0, 2).join(' | ') || 'none');
      check('products: "new product" link', list.newLink);
    });

    // Alice follows the shop before the product exists.
    const shopActor = abs(`/shops/${slug}`);
    let followed = false;
    await step('fediverse: alice follows the shop', async () => {
      const sent = await alice.follow(shopActor);
      check(`fediverse: signed Follow of ${shopActor} answers 202`, sent.status === 202, `HTTP ${sent.status} ${sent.body.slice(0, 200)}`);
      const accept = await alice.waitFor((a) => a?.type === 'Accept'
        && (a.object === sent.activity.id || a.object?.id === sent.activity.id), 15000);
      check('fediverse: alice receives the Accept of her Follow', accept, accept.path);
      check('fediverse: the Accept is signed with the shop\'s key', accept.signature.ok,
        accept.signature.error || accept.signature.keyId);
      followed = true;
    });

    // New product, on the phone.
    let createdAt = 0;
    await step('product-new: open the form', async () => {
      const link = await page.$('main a[href$="/products/new"]');
      const res = await tapAndWait(tab, link);
      check('product-new: URL is …/products/new', new URL(page.url()).pathname === `${shopPath}/products/new`, page.url());
      await audit(tab, 'product-new', res);

      const photos = await page.$('#photos');
      if (!check('product-new: file input #photos', photos)) return;
      const accept = await photos.evaluate((i) => `${i.type} ${i.name} ${i.accept}`);
      check('product-new: #photos is a file input named "photo" accepting images', /^file photo .*image\//.test(accept), accept);
      tab.seen.consoleErrors = [];
      await photos.uploadFile(photo.file);
      const count = await photos.evaluate((i) => i.files.length);
      check('product-new: the photo is chosen', count === 1, `${count} file(s)`);
      const preview = await page.waitForFunction(
        () => [...document.querySelectorAll('.previews img')].some((i) => i.complete && i.naturalWidth > 0),
        { timeout: 5000 },
      ).then(() => true, () => false);
      const previewImgs = await page.$$eval('.previews img', (l) => l.map((i) => i.src.split(':')[0] + ':…'));
      check('product-new: a preview of the photo is shown (dash.js)', preview,
        preview ? '' : `${previewImgs.length} img in .previews (${previewImgs.join(', ')}), none loaded` +
          (tab.seen.consoleErrors.length ? `; console: ${tab.seen.consoleErrors.join(' | ')}` : ''));
      tab.seen.consoleErrors = [];

      await page.type('#name', PRODUCT_NAME);
      await page.type('#price', '4,50');
      await page.select('#unit', await page.$eval('#unit', (s) => [...s.options].find((o) => o.value === 'kg')?.value || s.value));
      await page.type('#stock', '12');
      const summary = await page.$('details summary');
      if (summary) {
        await summary.tap().catch(() => summary.click());
        const open = await page.$eval('details', (d) => d.open);
        check('product-new: "more details" opens on tap', open);
        if (open) await page.type('#description', 'Récolté cette semaine, chair douce et sucrée.');
      }
      createdAt = Date.now();
      const res2 = await tapAndWait(tab, await page.$('main form button[type=submit]'));
      const done = new URL(page.url());
      check('product-new: submitting leads to the list with ?done=created',
        done.pathname === shopPath && done.searchParams.get('done') === 'created', page.url());
      await audit(tab, 'products-created', res2);

      const flash = await page.$eval('.flash[role=status]', (e) => e.textContent.trim()).catch(() => null);
      check('products-created: a status message says so', flash, flash || 'no .flash[role=status]');
      const row = await page.evaluate((name) => {
        const a = [...document.querySelectorAll('.plist a.name')].find((x) => x.textContent.trim() === name);
        if (!a) return null;
        const li = a.closest('li');
        const img = li.querySelector('img');
        return {
          href: a.getAttribute('href'),
          first: document.querySelector('.plist a.name') === a,
          img: img ? { src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0 } : null,
          price: li.querySelector('input[name=price]')?.value,
        };
      }, PRODUCT_NAME);
      if (!check('products-created: the list shows the new product', row, row ? row.href : `no a.name "${PRODUCT_NAME}"`)) return;
      check('products-created: it comes first', row.first);
      check('products-created: its thumbnail is the photo', row.img && row.img.loaded && /^\/media\//.test(new URL(row.img.src, ORIGIN).pathname),
        JSON.stringify(row.img));
      check('products-created: its price reads 4,50', /^4[,.]50$/.test(row.price || ''), `price=${JSON.stringify(row.price)}`);
      out.productId = (row.href.match(/\/dashboard\/products\/([^/?#]+)/) || [])[1] || null;
    });

    // The edit page.
    if (out.productId) {
      await step('product-edit: visit', async () => {
        const link = await page.$(`.plist a.name[href="/dashboard/products/${out.productId}"]`);
        const res = await tapAndWait(tab, link);
        await audit(tab, 'product-edit', res);
        const form = await page.evaluate(() => ({
          name: document.querySelector('#name')?.value,
          price: document.querySelector('#price')?.value,
          unit: document.querySelector('#unit')?.value,
          stock: document.querySelector('#stock')?.value,
          photos: [...document.querySelectorAll('ul.photos img')].map((i) => ({ alt: i.alt, ok: i.complete && i.naturalWidth > 0 })),
        }));
        check('product-edit: the form holds what was typed',
          form.name === PRODUCT_NAME && /^4[,.]50$/.test(form.price) && form.stock === '12',
          JSON.stringify({ name: form.name, price: form.price, unit: form.unit, stock: form.stock }));
        check('product-edit: lists the uploaded photo', form.photos.length === 1 && form.photos[0].ok, JSON.stringify(form.photos));
      });
    }

    // The public side: the API and the product's page.
    let apiItem = null;
    await step('public: the API lists the product', async () => {
      apiItem = await apiProduct(slug, PRODUCT_NAME);
      if (!check(`public: GET /api/v1/products?merchant=${slug} lists "${PRODUCT_NAME}"`, apiItem)) return;
      check('public: the API product is the one of the dashboard', !out.productId || apiItem.id === out.productId,
        `api ${apiItem.id}, dashboard ${out.productId}`);
      check('public: the API product has one image', (apiItem.images || []).length === 1, `${(apiItem.images || []).length} images`);
      check('public: price 4.50', apiItem.price === '4.50', `price=${apiItem.price}`);
    });
    if (apiItem) {
      await step('public-product: visit', async () => {
        const res = await visit(tab, `/products/${apiItem.id}`);
        await audit(tab, 'public-product', res);
        const shown = await page.evaluate(() => ({
          h1: document.querySelector('h1')?.textContent.trim(),
          imgs: [...document.querySelectorAll('main img')].map((i) => ({ src: i.getAttribute('src'), alt: i.alt, ok: i.complete && i.naturalWidth > 0 })),
        }));
        check('public-product: the h1 is the product name', shown.h1 === PRODUCT_NAME, `h1=${JSON.stringify(shown.h1)}`);
        check('public-product: shows the photo (a loaded <img> from /media/)',
          shown.imgs.some((i) => i.ok && /\/media\//.test(i.src)), JSON.stringify(shown.imgs.slice(0, 3)));
      });
    }

    // The follower receives the product with its photo.
    let create = null;
    if (followed && createdAt) {
      await step('fediverse: Create(Note) of the product', async () => {
        const left = Math.max(1000, CREATE_TIMEOUT_MS - (Date.now() - createdAt));
        create = await alice.waitFor((a) => a?.type === 'Create' && a.object?.type === 'Note' && mentions(a.object, PRODUCT_NAME), left);
        const waited = ((create.at - createdAt) / 1000).toFixed(1);
        check('fediverse: alice receives a Create(Note) naming the product', create, `after ${waited} s, on ${create.path}`);
        check('fediverse: the Create is signed with the shop\'s key', create.signature.ok, create.signature.error || create.signature.keyId);
        const attachments = [].concat(create.activity.object.attachment || []);
        const images = attachments.filter((x) => x && (x.type === 'Image' || x.type === 'Document') && /^image\//.test(x.mediaType || 'image/'));
        check('fediverse: the Note carries the photo as an image attachment', images.length >= 1,
          JSON.stringify(attachments.map((x) => ({ type: x.type, mediaType: x.mediaType, url: x.url }))));
        if (images.length) {
          const url = typeof images[0].url === 'string' ? images[0].url : images[0].url?.href;
          const res = await fetch(url);
          const type = res.headers.get('content-type') || '';
          await res.arrayBuffer();
          check('fediverse: the attachment URL answers an image', res.status === 200 && type.startsWith('image/'), `${url}: ${res.status} ${type}`);
          check('fediverse: the attachment has alt text (name)', typeof images[0].name === 'string' && images[0].name.trim() !== '',
            `name=${JSON.stringify(images[0].name)}`);
        }
        const updates = alice.received.filter((r) => r.activity?.type === 'Update' && r.at < create.at);
        check('fediverse: no Update before the Create (the photo travelled in it)', updates.length === 0, `${updates.length} Update(s)`);
      });
    }

    // A reply from alice, so that the fediverse and moderation pages have something to show.
    if (create) {
      await step('fediverse: alice replies to the product', async () => {
        const noteId = `${alice.actorId}/notes/${Date.now()}`;
        const reply = {
          '@context': 'https://www.w3.org/ns/activitystreams',
          id: `${noteId}/activity`,
          type: 'Create',
          actor: alice.actorId,
          to: ['https://www.w3.org/ns/activitystreams#Public'],
          cc: [create.activity.actor],
          object: {
            id: noteId,
            type: 'Note',
            attributedTo: alice.actorId,
            inReplyTo: create.activity.object.id,
            to: ['https://www.w3.org/ns/activitystreams#Public'],
            cc: [create.activity.actor],
            content: '<p>Il en reste pour samedi ?</p>',
            published: new Date().toISOString(),
          },
        };
        const res = await alice.post(abs(`/shops/${slug}/inbox`), reply);
        check('fediverse: a signed reply answers 202', res.status === 202, `HTTP ${res.status} ${res.body.slice(0, 200)}`);
      });
    }

    // "Épuisé" on the new product.
    if (out.productId) {
      await step('products: "Épuisé" on the new product', async () => {
        let res = await visit(tab, shopPath);
        const button = await page.$(`form.soldout[action="/dashboard/products/${out.productId}/quick"] button`);
        if (!check('products: the new product has an "Épuisé" button', button)) return;
        const sinceUpdate = new Set(alice.received);
        res = await tapAndWait(tab, button);
        const done = new URL(page.url());
        check('products: "Épuisé" leads back to the list with ?done=saved',
          done.pathname === shopPath && done.searchParams.get('done') === 'saved', page.url());
        check('products: "Épuisé" page answers 200', res?.status() === 200, `got ${res?.status()}`);
        const after = await page.evaluate((id) => ({
          button: Boolean(document.querySelector(`form.soldout[action="/dashboard/products/${id}/quick"]`)),
          avail: document.querySelector(`#avail-${id}`)?.value,
        }), out.productId);
        check('products: the product now shows as out of stock, without the button', !after.button && after.avail === 'out_of_stock',
          JSON.stringify(after));
        const item = await apiProduct(slug, PRODUCT_NAME);
        check('products: the API says out_of_stock', item?.availability === 'out_of_stock', `availability=${item?.availability}`);
        if (followed) {
          const upd = await alice.waitFor((a) => a?.type === 'Update' && a.object?.type === 'Note' && mentions(a.object, PRODUCT_NAME), 20000, sinceUpdate)
            .catch((e) => ({ error: e.message }));
          check('fediverse: alice receives an Update(Note) of the product', !upd.error, upd.error || `on ${upd.path}`);
        }
      });
    }

    // Every other page of the shop.
    // The known tabs first, then any other the shop's menu has (pages added later get the
    // same page checks).
    const known = [['profile', '/profile'], ['people', '/people'], ['fediverse', '/fediverse'], ['import', '/import']];
    const menu = await page.$$eval('nav.tabs a[href]', (l) => l.map((a) => a.getAttribute('href'))).catch(() => []);
    const extra = menu
      .filter((h) => h.startsWith(`${shopPath}/`) && !known.some(([, sub]) => h === `${shopPath}${sub}`))
      .map((h) => [`shop-${h.slice(shopPath.length + 1).replace(/[^a-z0-9]+/gi, '-')}`, h.slice(shopPath.length)]);
    if (extra.length) note(`the shop's menu also has ${extra.map(([, sub]) => sub).join(', ')}`);
    for (const [name, sub] of [...known, ...extra]) {
      await step(`${name}: visit`, async () => {
        const link = await page.$(`nav.tabs a[href="${shopPath}${sub}"]`);
        let res;
        if (link) res = await tapAndWait(tab, link);
        else {
          note(`no tab links to ${shopPath}${sub}; loading it`);
          res = await visit(tab, `${shopPath}${sub}`);
        }
        check(`${name}: its tab is marked aria-current=page`,
          await page.$(`nav.tabs a[href="${shopPath}${sub}"][aria-current=page]`));
        await audit(tab, name, res);
        if (name === 'profile') {
          const f = await page.evaluate(() => ({
            name: document.querySelector('#name')?.value,
            hours: document.querySelectorAll('table.hours input[type=time]').length,
            pin: Boolean(document.querySelector('#pinmap')),
          }));
          check('profile: hours editor and map pin', f.name && f.hours >= 28 && f.pin, JSON.stringify(f));
        } else if (name === 'people') {
          const f = await page.evaluate((mail) => ({
            me: [...document.querySelectorAll('main .rows li')].some((li) => li.textContent.includes(mail)),
            invite: Boolean(document.querySelector('form[action$="/people"] #email')),
            token: Boolean(document.querySelector('form[action$="/tokens"] #token_name')),
          }), email);
          check('people: lists the owner, invitation and token forms', f.me && f.invite && f.token, JSON.stringify(f));
        } else if (name === 'fediverse') {
          const f = await page.evaluate(() => ({
            followers: [...document.querySelectorAll('main a[href]')].map((a) => a.href),
            text: document.querySelector('main')?.textContent.replace(/\s+/g, ' ') || '',
          }));
          check('fediverse: lists alice among the followers', f.followers.some((h) => h.startsWith(alice.origin)),
            f.followers.filter((h) => !sameOrigin(h)).join(', ') || 'no follower link');
          if (create) check('fediverse: shows alice\'s reply', f.text.includes('Il en reste pour samedi'));
        } else if (name === 'import') {
          const csv = await page.evaluate(async (href) => {
            const r = await fetch(href, { credentials: 'same-origin' });
            return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
          }, `${shopPath}/products.csv`);
          check('import: the export link is there', await page.$(`a[href="${shopPath}/products.csv"]`));
          check('import: products.csv is a CSV listing the new product',
            csv.status === 200 && /csv/.test(csv.type || '') && csv.text.includes(PRODUCT_NAME),
            `${csv.status} ${csv.type}, ${csv.text.length} chars`);
        }
      });
    }

    await step('account: visit', async () => {
      const link = await page.$('header nav a[href="/account"]');
      const res = link ? await tapAndWait(tab, link) : await visit(tab, '/account');
      await audit(tab, 'account', res);
      const f = await page.evaluate(() => ({
        current: Boolean(document.querySelector('#current_password')),
        sessions: document.querySelectorAll('main ul.rows li').length,
        thisDevice: Boolean(document.querySelector('main ul.rows li strong')),
        everywhere: Boolean(document.querySelector('form[action="/account/sign-out-everywhere"] button')),
      }));
      check('account: password form, sessions (this device marked), sign out everywhere',
        f.current && f.sessions >= 1 && f.thisDevice && f.everywhere, JSON.stringify(f));
    });

    // Sign out, then back in with the login form.
    await step('sign out and in again', async () => {
      const out1 = await page.$('header form[action="/logout"] button');
      if (!check('header: a sign-out button', out1)) return;
      await tapAndWait(tab, out1);
      check('sign out: leads to /login', new URL(page.url()).pathname === '/login', page.url());
      const back = await visit(tab, shopPath);
      check('sign out: the dashboard asks to sign in again', new URL(page.url()).pathname === '/login', page.url());
      if (!email) email = await page.$eval('#email', (i) => i.value).catch(() => '');
      if (!check('sign in: the owner\'s address is known', email)) return;
      await page.$eval('#email', (i) => { i.value = ''; });
      await page.type('#email', email);
      await page.type('#password', PASSWORD);
      const res = await tapAndWait(tab, await page.$('main form button[type=submit]'));
      check('sign in: the login form leads back to the shop (next=)', new URL(page.url()).pathname === shopPath, page.url());
      check('sign in: answers 200', res?.status() === 200 && back?.status() === 200, `got ${res?.status()}`);
      out.email = email;
    });
  } finally {
    await context.close();
  }
  return out;
}

/** Whether an AP object names the product (content or FEP-0837's publishes.name). */
function mentions(object, name) {
  const plain = (s) => String(s || '').replace(/<[^>]*>/g, ' ').replace(/&#39;|&#x27;|&apos;/g, "'").replace(/&amp;/g, '&');
  return [object.content, object.name, object.publishes?.name, object.summary].some((s) => plain(s).includes(name));
}

// ---------------------------------------------------------------------------------------------
// Click & collect (#21): a customer without an account reserves 2 units of a demo product of
// the shop, on the phone, with plain HTML forms (product page → /basket → /reservations/{id});
// a basket sent without consent first comes back with its errors and what was typed. The
// shop's owner, signed in with the password chosen in owner(), sees the badge of the new
// reservation, accepts it ("Tout accepter"), marks it ready ("Prête") then collected
// ("Retirée"); the customer's status page follows each step.

const CUSTOMER = { name: 'Camille Lefèvre-Durand', email: 'camille@client.example' };

/** Minor units of an API price ("3.20" → 320). */
function cents(price) {
  const [units, frac = ''] = String(price).split('.');
  return Number(units) * 100 + Number((frac + '00').slice(0, 2));
}

/** 640 → "6,40", as French prices read. */
function frenchAmount(minor) {
  return `${Math.floor(minor / 100)},${String(minor % 100).padStart(2, '0')}`;
}

/** Text with its spaces (no-break and narrow no-break included) as single plain spaces. */
function flat(text) {
  return String(text || '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();
}

/** A demo product of the shop whose page has the Réserver form for at least 2 units. */
async function reservableProduct(slug) {
  const list = await getJson(`/api/v1/products?merchant=${encodeURIComponent(slug)}`);
  const items = (list.items || []).filter((p) => p.name !== PRODUCT_NAME && p.availability !== 'out_of_stock');
  const seen = [];
  for (const p of items) {
    const res = await fetch(abs(`/products/${p.id}`), { headers: { Accept: 'text/html', 'Accept-Language': 'fr' } });
    const html = await res.text();
    const max = /<input id="quantity"[^>]*\bmax="(\d+)"/.exec(html);
    seen.push(`${p.name}: ${res.status}${html.includes('id="reserver"') ? ', form' : ', no form'}${max ? ` max ${max[1]}` : ''}`);
    if (res.status === 200 && html.includes('id="reserver"') && max && Number(max[1]) >= 2) return { product: p, seen };
  }
  return { product: null, seen };
}

/** WCAG 1.4.10 as the issue words it: nothing scrolls sideways on a 390 px wide phone. */
async function noSideways(tab, name) {
  const w = await tab.page.evaluate(() => document.documentElement.scrollWidth);
  check(`${name}: no horizontal scroll at ${PHONE.width} px (documentElement.scrollWidth <= ${PHONE.width})`,
    w <= PHONE.width, `scrollWidth=${w}`);
}

/** What the reservation's status page says. */
function statusFacts(page) {
  return page.evaluate(() => {
    const t = (e) => (e ? e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : '');
    return {
      steps: [...document.querySelectorAll('main ol.steps > li')].map(t),
      current: [...document.querySelectorAll('main ol.steps > li[aria-current="step"]')].map(t),
      robots: [...document.querySelectorAll('meta[name="robots"]')].map((m) => m.getAttribute('content')),
      cancel: Boolean(document.querySelector('main form[action$="/cancel"][method="post"] button[type=submit]')),
      sentence: t(document.querySelector('main .notice[role=status]')),
      lines: [...document.querySelectorAll('main ul.basket > li')].map(t),
    };
  });
}

/** The customer's tab reloads the status page; its current step must contain `word`. */
async function statusShows(tab, name, statusPath, word) {
  const res = await visit(tab, statusPath);
  await audit(tab, name, res);
  await noSideways(tab, name);
  const f = await statusFacts(tab.page);
  check(`${name}: exactly one step is the current one (li[aria-current=step])`, f.current.length === 1, JSON.stringify(f.steps));
  check(`${name}: the current step says "${word}"`, f.current.length === 1 && f.current[0].toLowerCase().includes(word),
    `current: ${JSON.stringify(f.current)}; sentence: ${f.sentence}`);
  check(`${name}: <meta name="robots" content="noindex">`, f.robots.includes('noindex'), JSON.stringify(f.robots));
  return f;
}

async function clickAndCollect(browser, ownerEmail, slug) {
  if (!check('reserve: a shop to reserve at', slug, slug || 'no shop slug')) return;
  const found = await step('reserve: a reservable demo product', async () => {
    const r = await reservableProduct(slug);
    check(`reserve: a product of ${slug} has the Réserver form for 2 units or more`, r.product,
      r.product ? `${r.product.name} (${r.product.price} ${r.product.currency || ''})` : r.seen.join('; ') || 'no product');
    return r.product;
  });
  if (!found) return;
  const product = found;

  const customerContext = await browser.createBrowserContext();
  const shopContext = await browser.createBrowserContext();
  const customer = await openTab(customerContext, 'customer');
  const shop = await openTab(shopContext, 'shop');
  const sendForm = 'main form[action="/basket/send"]';
  let statusPath = null;
  let reservationId = null;
  try {
    // 1. The product page: 2 units, Réserver.
    const onProduct = await step('reserve-product: visit', async () => {
      const res = await visit(customer, `/products/${product.id}`);
      await audit(customer, 'reserve-product', res);
      await noSideways(customer, 'reserve-product');
      const form = await customer.page.evaluate(() => {
        const f = document.querySelector('form.reserve#reserver');
        return f && {
          method: f.getAttribute('method'),
          action: f.getAttribute('action'),
          quantity: f.querySelector('input#quantity[name=quantity]')?.value ?? null,
          label: Boolean(document.querySelector('label[for=quantity]')),
          submit: f.querySelector('button[type=submit]')?.textContent.trim() ?? null,
        };
      });
      return check('reserve-product: form.reserve#reserver posts to /basket with #quantity (labelled) and a submit button',
        form && form.method === 'post' && form.action === '/basket' && form.quantity !== null && form.label && form.submit,
        JSON.stringify(form));
    });
    if (!onProduct) return;

    const price = cents(product.price);
    const inBasket = await step('basket: reserve 2 units', async () => {
      const { page } = customer;
      await page.$eval('#quantity', (i) => { i.value = ''; });
      await page.type('#quantity', '2');
      const res = await tapAndWait(customer, await page.$('#reserver button[type=submit]'));
      if (!check('basket: "Réserver" leads to /basket', new URL(page.url()).pathname === '/basket', page.url())) return false;
      await audit(customer, 'basket', res);
      await noSideways(customer, 'basket');
      const b = await page.evaluate((id) => {
        const t = (e) => (e ? e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : '');
        return {
          lines: document.querySelectorAll('main ul.basket > li').length,
          name: t(document.querySelector('main ul.basket > li a')),
          quantity: document.getElementById(`q-${id}`)?.value ?? null,
          total: t(document.querySelector('main > .bigprice, main .bigprice')),
          slots: [...document.querySelectorAll('select#pickup option')].map((o) => o.value),
          missing: ['pickup', 'name', 'email', 'phone', 'note', 'consent'].filter((x) => !document.getElementById(x)),
          unlabelled: ['pickup', 'name', 'email', 'phone', 'note', 'consent'].filter((x) => !document.querySelector(`label[for="${x}"]`)),
          consent: document.getElementById('consent')?.type,
        };
      }, product.id);
      check('basket: one line, the product, quantity 2', b.lines === 1 && b.name === product.name && b.quantity === '2',
        JSON.stringify({ lines: b.lines, name: b.name, quantity: b.quantity }));
      check(`basket: the total is 2 × ${product.price} = ${frenchAmount(2 * price)}`, b.total.includes(frenchAmount(2 * price)), b.total);
      check('basket: #pickup, #name, #email, #phone, #note and checkbox #consent, each with its label',
        b.missing.length === 0 && b.unlabelled.length === 0 && b.consent === 'checkbox',
        `missing ${JSON.stringify(b.missing)}, unlabelled ${JSON.stringify(b.unlabelled)}, #consent type ${b.consent}`);
      return check('basket: select#pickup offers slots', b.slots.length > 0 && b.slots[0] !== '',
        `${b.slots.length} slot(s)${b.slots.length ? `, first ${b.slots[0]}` : ''}`);
    });
    if (!inBasket) return;

    // 3. Bad input: the basket sent without consent.
    await step('basket-error: sent without consent', async () => {
      const { page } = customer;
      const first = await page.$eval('#pickup', (s) => s.options[0].value);
      await page.select('#pickup', first);
      await page.type('#name', CUSTOMER.name);
      await page.type('#email', CUSTOMER.email);
      const valid = await page.$eval(sendForm, (f) => f.checkValidity());
      check('basket-error: the browser itself holds the form back without consent (#consent required)', !valid);
      // A browser that does not check forms (or a hand-made POST) reaches the node: it must refuse too.
      await page.$eval(sendForm, (f) => { f.noValidate = true; });
      const res = await tapAndWait(customer, await page.$(`${sendForm} button[type=submit]`),
        { status: 422, mainUrl: abs('/basket/send') });
      const e = await page.evaluate(() => ({
        errors: (document.querySelector('main .errors')?.textContent || '').replace(/[\s\u00a0\u202f]+/g, ' ').trim(),
        role: document.querySelector('main .errors')?.getAttribute('role') ?? null,
        name: document.getElementById('name')?.value ?? null,
        email: document.getElementById('email')?.value ?? null,
        lines: document.querySelectorAll('main ul.basket > li').length,
      }));
      check('basket-error: comes back with an error box (.errors)', e.errors, e.errors || 'no .errors');
      check('basket-error: the error box is announced (role=alert)', e.role === 'alert', `role=${e.role}`);
      check('basket-error: the error names the consent', /cochez|case|consent/i.test(e.errors), e.errors);
      check('basket-error: the typed name and e-mail are kept', e.name === CUSTOMER.name && e.email === CUSTOMER.email,
        JSON.stringify({ name: e.name, email: e.email }));
      check('basket-error: the basket still holds its line', e.lines === 1, `${e.lines} line(s)`);
      await audit(customer, 'basket-error', res, { status: 422 });
      await noSideways(customer, 'basket-error');
    });

    // 1 (end). The first slot, name, e-mail, consent: sent.
    await step('reservation-sent: send the basket', async () => {
      const { page } = customer;
      if (!(await page.$(sendForm))) await visit(customer, '/basket');
      const first = await page.$eval('#pickup', (s) => s.options[0].value);
      await page.select('#pickup', first);
      for (const [id, value] of [['name', CUSTOMER.name], ['email', CUSTOMER.email]]) {
        if ((await page.$eval(`#${id}`, (i) => i.value)) !== value) {
          await page.$eval(`#${id}`, (i) => { i.value = ''; });
          await page.type(`#${id}`, value);
        }
      }
      const box = await page.$('#consent');
      await box.tap().catch(() => box.click());
      if (!(await box.evaluate((c) => c.checked))) await box.click();
      check('reservation-sent: the consent box is ticked', await box.evaluate((c) => c.checked));
      check('reservation-sent: the form is now valid for the browser', await page.$eval(sendForm, (f) => f.checkValidity()));
      const res = await tapAndWait(customer, await page.$(`${sendForm} button[type=submit]`));
      const m = new URL(page.url()).pathname.match(/^\/reservations\/([A-Za-z0-9_-]+)$/);
      if (!check('reservation-sent: sending leads to /reservations/{id}', m, page.url())) {
        const errors = await page.$eval('main .errors', (x) => x.textContent.replace(/\s+/g, ' ').trim()).catch(() => '');
        if (errors) note(`the basket page says: ${errors}`);
        return;
      }
      reservationId = m[1];
      statusPath = m[0];
      await audit(customer, 'reservation-sent', res);
      await noSideways(customer, 'reservation-sent');
      const f = await statusFacts(page);
      check('reservation-sent: an ol.steps whose current step (li[aria-current=step]) says "envoyée"',
        f.current.length === 1 && f.current[0].toLowerCase().includes('envoyée'), JSON.stringify({ steps: f.steps, current: f.current }));
      check('reservation-sent: the page says the reservation is sent ("envoyée")', f.sentence.toLowerCase().includes('envoyée'), f.sentence);
      check('reservation-sent: <meta name="robots" content="noindex">', f.robots.includes('noindex'), JSON.stringify(f.robots));
      check('reservation-sent: a cancel button (form posting to …/cancel)', f.cancel);
      check('reservation-sent: lists the product, 2 units', f.lines.length === 1 && f.lines[0].includes(product.name) && /\b2\b/.test(f.lines[0]),
        JSON.stringify(f.lines));
      const basketCookie = (await page.cookies(abs('/basket'))).find((c) => c.name === 'etal_basket');
      check('reservation-sent: the basket is emptied (no etal_basket cookie left)', !basketCookie, basketCookie ? basketCookie.value : '');
    });
    if (!reservationId) return;

    // 2. The shop.
    if (!check('res-owner: the owner\'s account is known (from the owner journey)', ownerEmail,
      ownerEmail || 'the owner journey did not sign in; the shop\'s side of click & collect is skipped')) return;
    const { page } = shop;
    const listPath = `/dashboard/shops/${slug}/reservations`;
    const signedIn = await step('res-owner: sign in', async () => {
      await visit(shop, '/login');
      await page.type('#email', ownerEmail);
      await page.type('#password', PASSWORD);
      await tapAndWait(shop, await page.$('main form button[type=submit]'));
      return check('res-owner: the owner signs in with the login form', new URL(page.url()).pathname.startsWith('/dashboard'), page.url());
    });
    if (!signedIn) return;

    const onList = await step('res-badge: visit /dashboard', async () => {
      const res = await visit(shop, '/dashboard');
      await audit(shop, 'res-badge', res);
      const f = await page.evaluate(() => ({
        title: document.title,
        href: document.querySelector('a.badge[href]')?.getAttribute('href') ?? null,
        text: (document.querySelector('a.badge')?.textContent || '').replace(/\s+/g, ' ').trim(),
      }));
      check('res-badge: the page title starts with "(1)"', f.title.startsWith('(1)'), JSON.stringify(f.title));
      if (!check('res-badge: a .badge link to the new reservation', f.href, JSON.stringify(f))) return false;
      check('res-badge: the badge says 1 new reservation', /^1\b/.test(f.text) && /réservation/.test(f.text), f.text);
      const res2 = await tapAndWait(shop, await page.$('a.badge[href]'));
      return check(`res-list-new: the badge leads to ${listPath}`, new URL(page.url()).pathname === listPath, page.url())
        && res2;
    });
    if (!onList) return;

    const actionPath = (what) => `${listPath}/${reservationId}/${what}`;
    const button = (what) => page.$(`main form[method=post][action="${actionPath(what)}"] button[type=submit]`);
    const press = async (name, what, label) => {
      const b = await button(what);
      if (!check(`${name}: a "${label}" button for the reservation`, b, b ? '' : `no form posting to ${actionPath(what)}`)) return false;
      const text = await b.evaluate((x) => x.textContent.replace(/\s+/g, ' ').trim());
      check(`${name}: the button reads "${label}"`, text.startsWith(label), text);
      const res = await tapAndWait(shop, b);
      const at = new URL(page.url());
      check(`${name}: "${label}" leads back to the list (?done=saved)`,
        at.pathname === listPath && at.searchParams.get('done') === 'saved', page.url());
      await audit(shop, name, res);
      return true;
    };

    await step('res-list-new: the list', async () => {
      await audit(shop, 'res-list-new', onList);
      const f = await page.evaluate((id) => {
        const form = document.querySelector(`main form[action$="/reservations/${id}/accept"]`);
        const card = form?.closest('article.reservation');
        return {
          cards: document.querySelectorAll('main article.reservation').length,
          card: card ? card.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : null,
          settings: Boolean(document.querySelector('main a[href$="/reservations/settings"]')),
          current: document.querySelector('nav.tabs a[aria-current=page]')?.getAttribute('href') ?? null,
        };
      }, reservationId);
      check('res-list-new: the new reservation is listed with the customer\'s name, e-mail and the product',
        f.card && f.card.includes(CUSTOMER.name) && f.card.includes(CUSTOMER.email) && f.card.includes(product.name),
        f.card ? f.card.slice(0, 200) : `${f.cards} card(s), none for ${reservationId}`);
      check('res-list-new: its tab is marked aria-current=page', f.current === listPath, `current=${f.current}`);
      check('res-list-new: links to the settings (owner)', f.settings);
    });

    if (await step('res-list-accepted: "Tout accepter"', () => press('res-list-accepted', 'accept', 'Tout accepter'))) {
      const after = await page.evaluate(() => ({ title: document.title, badge: Boolean(document.querySelector('a.badge')) }));
      check('res-list-accepted: no badge left, the title no longer starts with "(1)"', !after.badge && !after.title.startsWith('('),
        JSON.stringify(after));
      await step('reservation-accepted: status page', () => statusShows(customer, 'reservation-accepted', statusPath, 'acceptée'));
    }
    if (await step('res-list-ready: "Prête"', () => press('res-list-ready', 'ready', 'Prête'))) {
      await step('reservation-ready: status page', () => statusShows(customer, 'reservation-ready', statusPath, 'prête'));
    }
    if (await step('res-list-collected: "Retirée"', () => press('res-list-collected', 'collected', 'Retirée'))) {
      check('res-list-collected: no answer left to give (accept, ready, collected buttons gone)',
        !(await button('accept')) && !(await button('ready')) && !(await button('collected')));
      await step('reservation-collected: status page', async () => {
        const f = await statusShows(customer, 'reservation-collected', statusPath, 'retirée');
        check('reservation-collected: no cancel button any more', !f.cancel);
        check('reservation-collected: the last step is the current one', f.steps.length > 0 && f.current[0] === f.steps[f.steps.length - 1],
          JSON.stringify(f.steps));
      });
    }

    await step('res-settings: visit', async () => {
      const link = await page.$('main a[href$="/reservations/settings"]');
      const res = link ? await tapAndWait(shop, link) : await visit(shop, `${listPath}/settings`);
      check(`res-settings: URL is ${listPath}/settings`, new URL(page.url()).pathname === `${listPath}/settings`, page.url());
      await audit(shop, 'res-settings', res);
      const f = await page.evaluate((id) => ({
        enabled: document.getElementById('enabled')?.checked ?? null,
        numbers: ['preparation_minutes', 'slot_minutes', 'slot_capacity', 'grace_minutes'].filter((x) => !document.getElementById(x)),
        product: document.getElementById(`p-${id}`)?.checked ?? null,
      }), product.id);
      check('res-settings: reservations on (#enabled ticked), the four numbers, the reserved product ticked',
        f.enabled === true && f.numbers.length === 0 && f.product === true, JSON.stringify(f));
    });
  } finally {
    await customerContext.close().catch(() => {});
    await shopContext.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Town vouchers (#22), on the phone. The node admin (signed in with the password chosen in
// admin()) creates a campaign of 10,00 € gift vouchers, one per e-mail address, inviting the
// dashboard's shop; its owner (signed in with the login form) takes part ("Participer"). A
// resident without an account opens the campaign's public page, asks with an e-mail address;
// the confirmation link (no SMTP server: the node writes the mail to its log) gives the
// voucher: its page with the QR code, the code, the balance and where to spend it. The shop
// types the code, takes 6,40 €; reads the QR code from a photo of the resident's screen (the
// file field); 5 € more is refused (3,60 € left). The resident's page then says 3,60 € and
// lists the spending; the admin's campaign page shows 6,40 € spent and owed to the shop, and
// the accountant's CSV export answers.

const NODE_LOG = process.env.ETAL_NODE_LOG || path.join(OUT, 'node.log');
const VOUCHER_CODE = /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]$/;

/** A day as YYYY-MM-DD in the node's time zone (Europe/Paris, the default), `days` from today. */
function parisDay(days = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(Date.now() + days * 86400000));
}

/** The last link to `/vouchers/confirm/…` the node logged in a mail to `to` (no SMTP server). */
async function mailedConfirmLink(to, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const log = (await readFile(NODE_LOG, 'utf8').catch(() => '')).replace(/\x1b\[[0-9;]*m/g, '');
    const links = log.split('no SMTP server set').slice(1)
      .filter((mail) => mail.includes(`to="${to}"`))
      .flatMap((mail) => [...mail.matchAll(/https?:\/\/[^\s"]+\/vouchers\/confirm\/[A-Za-z0-9_-]+/g)].map((m) => m[0]));
    if (links.length) return links[links.length - 1];
    if (Date.now() > until) return null;
    await sleep(250);
  }
}

/** Signs a tab in with the login form. */
async function signIn(tab, email) {
  await visit(tab, '/login');
  await tab.page.type('#email', email);
  await tab.page.type('#password', PASSWORD);
  await tapAndWait(tab, await tab.page.$('main form button[type=submit]'));
  return new URL(tab.page.url()).pathname.startsWith('/dashboard');
}

/** What the shop's "Encaisser un bon" page shows. */
function shopVoucherFacts(page) {
  return page.evaluate(() => {
    const t = (e) => (e ? e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : '');
    return {
      read: t(document.querySelector('main #read-title')),
      balance: t(document.querySelector('main section[aria-labelledby=read-title] .bigprice')),
      amount: Boolean(document.querySelector('main form #amount')),
      taken: t(document.querySelector('main .flash[role=status]')),
      errors: t(document.querySelector('main .errors')),
      errorsRole: document.querySelector('main .errors')?.getAttribute('role') ?? null,
      typed: document.querySelector('main #code')?.value ?? null,
    };
  });
}

/** What the resident's voucher page shows. */
function holderFacts(page) {
  return page.evaluate(() => {
    const t = (e) => (e ? e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : '');
    const items = (ul) => (ul && ul.tagName === 'UL' ? [...ul.querySelectorAll(':scope > li')].map((li) => ({
      text: t(li), href: li.querySelector('a')?.getAttribute('href') ?? null,
    })) : []);
    const listAfter = (word) => items([...document.querySelectorAll('main h2')].find((x) => t(x) === word)?.nextElementSibling);
    const qr = document.querySelector('main .voucher .qr');
    const svg = qr?.querySelector('svg');
    const box = svg?.getBoundingClientRect();
    return {
      qr: Boolean(svg),
      qrRole: qr?.getAttribute('role') ?? null,
      qrLabel: qr?.getAttribute('aria-label') ?? null,
      qrBox: box ? [Math.round(box.width), Math.round(box.height)] : null,
      code: t(document.querySelector('main code#code')),
      balance: t(document.querySelector('main .voucher .bigprice')),
      spent: listAfter('Dépenses'),
      // The participating shops: the list under the map (ul#places), or a plain list.
      shops: document.querySelector('main ul#places') ? items(document.querySelector('main ul#places')) : listAfter('Où le dépenser'),
      robots: [...document.querySelectorAll('meta[name="robots"]')].map((m) => m.getAttribute('content')),
    };
  });
}

async function townVouchers(browser, ownerEmail, adminEmail, slug) {
  if (!check('vch: a shop to invite', slug, slug || 'no shop slug')) return;
  if (!check('vch: the admin\'s account is known (from the admin journey)', adminEmail,
    adminEmail || 'the admin journey did not sign in; the vouchers journey is skipped')) return;
  if (!check('vch: the owner\'s account is known (from the owner journey)', ownerEmail,
    ownerEmail || 'the owner journey did not sign in; the vouchers journey is skipped')) return;

  const campaignName = `Bon d'achat de Noël ${stamp}`;
  const residentEmail = `habitant.${stamp}@commune.example`;
  const shopPath = `/dashboard/shops/${slug}/vouchers`;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'etal-vch-'));
  const qrFile = path.join(tmp, 'qr.png');
  const adminContext = await browser.createBrowserContext();
  const shopContext = await browser.createBrowserContext();
  const residentContext = await browser.createBrowserContext();
  const admin = await openTab(adminContext, 'vch-admin');
  const shop = await openTab(shopContext, 'vch-shop');
  const resident = await openTab(residentContext, 'vch-resident');
  let campaignId = null;
  let holderPath = null;
  let code = null;
  let shopName = null;
  try {
    // 1. The admin creates the campaign.
    const adminIn = await step('vch-admin: sign in', async () =>
      check('vch-admin: the admin signs in with the login form', await signIn(admin, adminEmail), admin.page.url()));
    if (!adminIn) return;
    await step('vch-admin-new: create a campaign', async () => {
      const { page } = admin;
      const link = await page.$('nav.tabs a[href="/dashboard/admin/vouchers"]');
      const res = link ? await tapAndWait(admin, link) : await visit(admin, '/dashboard/admin/vouchers');
      check('vch-admin-list: URL is /dashboard/admin/vouchers', new URL(page.url()).pathname === '/dashboard/admin/vouchers', page.url());
      await audit(admin, 'vch-admin-list', res);
      await noSideways(admin, 'vch-admin-list');
      const f = await page.evaluate(() => {
        const ids = ['name', 'face_value', 'price', 'quantity', 'issue_from', 'issue_until', 'valid_until', 'eligibility', 'postal_codes', 'merchants'];
        return {
          missing: ids.filter((x) => !document.getElementById(x)),
          unlabelled: ids.filter((x) => !document.querySelector(`label[for="${x}"]`)),
          dates: ['issue_from', 'issue_until', 'valid_until'].map((x) => document.getElementById(x)?.type),
          csrf: Boolean(document.querySelector('main form[action="/dashboard/admin/vouchers"] input[name=_csrf]')?.value),
        };
      });
      check('vch-admin-list: the new campaign form has its ten fields, each labelled, dates as type=date, a CSRF token',
        !f.missing.length && !f.unlabelled.length && f.dates.every((t) => t === 'date') && f.csrf, JSON.stringify(f));

      const form = 'main form[action="/dashboard/admin/vouchers"]';
      await page.type('#name', campaignName);
      await page.type('#face_value', '10,00');
      await page.$eval('#price', (i) => { i.value = ''; });
      await page.type('#price', '0');
      await page.type('#quantity', '50');
      const today = parisDay(0);
      const later = parisDay(365);
      for (const [id, value] of [['issue_from', today], ['issue_until', later], ['valid_until', later]]) {
        await page.$eval(`#${id}`, (i, v) => {
          i.value = v;
          i.dispatchEvent(new Event('input', { bubbles: true }));
          i.dispatchEvent(new Event('change', { bubbles: true }));
        }, value);
      }
      await page.select('#eligibility', 'one_per_email');
      await page.type('#merchants', slug);
      check('vch-admin-new: the form is valid for the browser', await page.$eval(form, (x) => x.checkValidity()));
      const created = await tapAndWait(admin, await page.$(`${form} button[type=submit]`));
      const at = new URL(page.url());
      const m = at.pathname.match(/^\/dashboard\/admin\/vouchers\/([0-9a-f-]{36})$/);
      if (!check('vch-campaign: creating leads to /dashboard/admin/vouchers/{id}', m, page.url())) {
        const errors = await page.$eval('main .errors', (x) => x.textContent.replace(/\s+/g, ' ').trim()).catch(() => '');
        if (errors) note(`the page says: ${errors}`);
        return;
      }
      campaignId = m[1];
      check('vch-campaign: ?done=created, with a status message', at.searchParams.get('done') === 'created'
        && await page.$('main .flash[role=status]'), page.url());
      await audit(admin, 'vch-campaign', created);
      await noSideways(admin, 'vch-campaign');
      const c = await page.evaluate(() => {
        const t = (e) => (e ? e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : '');
        return {
          h1: t(document.querySelector('main h1')),
          figures: [...document.querySelectorAll('main dl.figures dt')].map((dt) => [t(dt), t(dt.nextElementSibling)]),
          links: [...document.querySelectorAll('main a[href]')].map((a) => a.getAttribute('href')),
        };
      });
      check('vch-campaign: the heading is the campaign\'s name', c.h1 === campaignName, c.h1);
      const fig = Object.fromEntries(c.figures);
      check('vch-campaign: dl.figures: 0 vouchers issued, 0,00 € spent, 50 left in the budget',
        fig['Bons émis'] === '0' && fig['Dépensé'] === '0,00 €' && fig['Bons restant au budget'] === '50', JSON.stringify(c.figures));
      check(`vch-campaign: links to the public page ${ORIGIN}/vouchers/${campaignId}`,
        c.links.includes(`${ORIGIN}/vouchers/${campaignId}`), c.links.filter((l) => l.includes('vouchers')).join(', '));
    });
    if (!campaignId) return;

    // 2. The shop's owner takes part.
    const shopIn = await step('vch-shop: sign in', async () =>
      check('vch-shop: the owner signs in with the login form', await signIn(shop, ownerEmail), shop.page.url()));
    if (!shopIn) return;
    const taking = await step('vch-shop-invited: "Participer"', async () => {
      const { page } = shop;
      const link = await page.$(`nav.tabs a[href="${shopPath}"]`);
      const res = link ? await tapAndWait(shop, link) : await visit(shop, shopPath);
      check(`vch-shop-invited: the shop's "Bons d'achat" tab leads to ${shopPath}`, new URL(page.url()).pathname === shopPath, page.url());
      await audit(shop, 'vch-shop-invited', res);
      await noSideways(shop, 'vch-shop-invited');
      const accept = `main form[method=post][action="${shopPath}/campaigns/${campaignId}/accept"] button[type=submit]`;
      const row = await page.evaluate((sel) => {
        const b = document.querySelector(sel);
        return b && { li: b.closest('li').textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim(), button: b.textContent.replace(/\s+/g, ' ').trim() };
      }, accept);
      if (!check('vch-shop-invited: the Campaigns list has the campaign, "invitée", with a "Participer" button', row
        && row.li.includes(campaignName) && row.li.includes('invitée') && row.button.startsWith('Participer'), JSON.stringify(row))) return false;
      const res2 = await tapAndWait(shop, await page.$(accept));
      const at = new URL(page.url());
      check('vch-shop-taking-part: "Participer" leads back to the page (?done=saved)',
        at.pathname === shopPath && at.searchParams.get('done') === 'saved', page.url());
      await audit(shop, 'vch-shop-taking-part', res2);
      const after = await page.evaluate((id) => {
        const b = document.querySelector(`main form[action$="/campaigns/${id}/leave"] button`);
        return b && b.closest('li').textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim();
      }, campaignId);
      return check('vch-shop-taking-part: the campaign now says "participe", with a "Quitter" button', after && after.includes('participe'),
        String(after));
    });
    if (!taking) return;

    // 3. The resident asks for a voucher, confirms by the mailed link, and sees it.
    const asked = await step('vch-public: ask for a voucher', async () => {
      const { page } = resident;
      const res = await visit(resident, `/vouchers/${campaignId}`);
      await audit(resident, 'vch-public', res);
      await noSideways(resident, 'vch-public');
      const p = await page.evaluate(() => {
        const t = (e) => (e ? e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : '');
        return {
          og: document.querySelector('meta[property="og:title"]')?.getAttribute('content') ?? null,
          h1: t(document.querySelector('main h1')),
          offer: t(document.querySelector('main .bigprice')),
          shops: [...document.querySelectorAll('main ul li > a:first-child')].map((a) => [t(a), a.getAttribute('href')]),
          label: Boolean(document.querySelector('label[for=email]')),
        };
      });
      check('vch-public: og:title is the campaign\'s name', p.og === campaignName, JSON.stringify(p.og));
      check('vch-public: the heading is the campaign\'s name', p.h1 === campaignName, p.h1);
      check('vch-public: the offer says 10,00 € offered', p.offer.includes('10,00 €') && p.offer.includes('offert'), p.offer);
      const listed = p.shops.find(([, href]) => href === `${ORIGIN}/shops/${slug}`);
      check(`vch-public: lists the participating shop (a link to /shops/${slug})`, listed, JSON.stringify(p.shops));
      if (listed) shopName = listed[0];
      const form = `main form[action="/vouchers/${campaignId}"][method=post]`;
      if (!check('vch-public: a form with a labelled #email', await page.$(`${form} input#email[type=email]`) && p.label)) return false;
      await page.type('#email', residentEmail);
      const button = await page.$(`${form} button[type=submit]`);
      check('vch-public: the button reads "Recevoir mon bon"', (await button.evaluate((b) => b.textContent.trim())) === 'Recevoir mon bon');
      const sent = await tapAndWait(resident, button);
      await audit(resident, 'vch-public-sent', sent);
      await noSideways(resident, 'vch-public-sent');
      const notice = await page.$eval('main .notice[role=status]', (e) => e.textContent.replace(/\s+/g, ' ').trim()).catch(() => '');
      check('vch-public-sent: the page says it was sent (.notice[role=status])', /envoyé/i.test(notice), notice || 'no .notice[role=status]');
      check('vch-public-sent: the form is gone', !(await page.$(`${form} #email`)));
      return true;
    });
    if (!asked) return;

    await step('vch-confirm: the mailed link', async () => {
      const { page } = resident;
      const link = await mailedConfirmLink(residentEmail);
      if (!check(`vch-confirm: the node logged a mail to ${residentEmail} with a /vouchers/confirm/… link`, link,
        link ? link.replace(/confirm\/.*/, 'confirm/…') : `nothing in ${NODE_LOG}`)) return;
      check('vch-confirm: the link is on the node', sameOrigin(link), link.replace(/confirm\/.*/, 'confirm/…'));
      const res = await visit(resident, link);
      await audit(resident, 'vch-confirm', res);
      await noSideways(resident, 'vch-confirm');
      const robots = await page.$$eval('meta[name="robots"]', (l) => l.map((m) => m.getAttribute('content')));
      check('vch-confirm: <meta name="robots" content="noindex">', robots.includes('noindex'), JSON.stringify(robots));
      const button = await page.$(`main form[method=post][action="${new URL(link).pathname}"] button[type=submit]`);
      if (!check('vch-confirm: a "Recevoir mon bon" button (opening the link alone gives nothing)', button
        && (await button.evaluate((b) => b.textContent.trim())) === 'Recevoir mon bon')) return;
      const mine = await tapAndWait(resident, button);
      const m = new URL(page.url()).pathname.match(/^\/vouchers\/mine\/[A-Za-z0-9_-]+$/);
      if (!check('vch-voucher: the button leads to /vouchers/mine/{secret}', m, page.url())) return;
      holderPath = m[0];
      await audit(resident, 'vch-voucher', mine);
      await noSideways(resident, 'vch-voucher');
      const h = await holderFacts(page);
      check('vch-voucher: an inline SVG QR code in .voucher .qr, announced as an image with its label',
        h.qr && h.qrRole === 'img' && /QR/.test(h.qrLabel || ''), JSON.stringify({ qr: h.qr, role: h.qrRole, label: h.qrLabel, box: h.qrBox }));
      check('vch-voucher: the QR code is drawn at least 200 px wide', h.qrBox && h.qrBox[0] >= 200 && h.qrBox[0] <= PHONE.width,
        JSON.stringify(h.qrBox));
      check('vch-voucher: code#code reads XXXX-XXXX-XXXX-XXXX-X', VOUCHER_CODE.test(h.code), h.code);
      if (VOUCHER_CODE.test(h.code)) code = h.code;
      check('vch-voucher: the QR code\'s label carries the same code', Boolean(h.qrLabel && code && h.qrLabel.includes(code)), h.qrLabel);
      check('vch-voucher: "Reste à dépenser : 10,00 €"', h.balance === 'Reste à dépenser : 10,00 €', h.balance);
      check(`vch-voucher: lists the participating shop (a link to /shops/${slug})`,
        h.shops.some((s) => s.href === `${ORIGIN}/shops/${slug}`), JSON.stringify(h.shops));
      check('vch-voucher: nothing spent yet (no "Dépenses" list)', h.spent.length === 0, JSON.stringify(h.spent));
      check('vch-voucher: <meta name="robots" content="noindex">', h.robots.includes('noindex'), JSON.stringify(h.robots));
      // What the shop's phone camera would see: the QR code on the resident's screen.
      const qr = await page.$('main .voucher .qr');
      await qr.evaluate((e) => e.scrollIntoView({ block: 'center' }));
      await qr.screenshot({ path: qrFile });
      check('vch-voucher: a photo of the QR code is taken (PNG)', true, qrFile);
      // The link used once gives nothing more.
      const again = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: ORIGIN, 'Accept-Language': 'fr' } });
      await again.arrayBuffer();
      check('vch-confirm: the link works once (a second POST answers 409)', again.status === 409, `HTTP ${again.status}`);
    });
    if (!code) return;

    // 4. The shop types the code, takes 6,40 €; then reads the QR code from the photo.
    await step('vch-shop-read: type the code', async () => {
      const { page } = shop;
      await visit(shop, shopPath);
      await page.type('#code', code);
      const res = await tapAndWait(shop, await page.$('main form#code-form button[type=submit]'));
      const at = new URL(page.url());
      check('vch-shop-read: "Vérifier le bon" leads to ?code=…', at.pathname === shopPath && at.searchParams.get('code') === code, page.url());
      await audit(shop, 'vch-shop-read', res);
      await noSideways(shop, 'vch-shop-read');
      const f = await shopVoucherFacts(page);
      check('vch-shop-read: shows the code and "Solde : 10,00 €"', f.read === code && f.balance === 'Solde : 10,00 €', JSON.stringify(f));
      if (!check('vch-shop-read: a labelled #amount field to take the sale', f.amount && await page.$('label[for=amount]'))) return;
      await page.type('#amount', '6,40');
      const button = await page.$('main form input[name=amount] ~ button[type=submit], main form #amount ~ button[type=submit]');
      check('vch-shop-read: the button reads "Encaisser"', button && (await button.evaluate((b) => b.textContent.trim())) === 'Encaisser');
      const taken = await tapAndWait(shop, button);
      await audit(shop, 'vch-shop-taken', taken);
      await noSideways(shop, 'vch-shop-taken');
      const t = await shopVoucherFacts(page);
      check('vch-shop-taken: "Encaissé : 6,40 €. Reste sur le bon : 3,60 €."', t.taken.startsWith('Encaissé : 6,40 €. Reste sur le bon : 3,60 €.'),
        t.taken || 'no .flash[role=status]');
      check('vch-shop-taken: a button to cancel it', await page.$('main .flash form[action*="/redemptions/"][action$="/cancel"] button'));
    });

    await step('vch-shop-scan: the QR code from a photo', async () => {
      const { page } = shop;
      const form = `main form[method=post][action="${shopPath}/scan"][enctype="multipart/form-data"]`;
      const input = await page.$(`${form} input#photo[type=file]`);
      if (!check('vch-shop-scan: a second form with a labelled file field #photo (camera)', input && await page.$('label[for=photo]'))) return;
      const accept = await input.evaluate((i) => ({ accept: i.getAttribute('accept'), capture: i.getAttribute('capture') }));
      check('vch-shop-scan: #photo takes images from the rear camera', accept.accept === 'image/*' && accept.capture === 'environment',
        JSON.stringify(accept));
      await input.uploadFile(qrFile);
      const button = await page.$(`${form} button[type=submit]`);
      check('vch-shop-scan: the button reads "Lire le QR code"', (await button.evaluate((b) => b.textContent.trim())) === 'Lire le QR code');
      const res = await tapAndWait(shop, button);
      const at = new URL(page.url());
      check('vch-shop-scan: reading the photo leads to ?code= the voucher\'s code', at.pathname === shopPath && at.searchParams.get('code') === code,
        page.url());
      await audit(shop, 'vch-shop-scan', res);
      await noSideways(shop, 'vch-shop-scan');
      const f = await shopVoucherFacts(page);
      check('vch-shop-scan: shows the voucher again, "Solde : 3,60 €"', f.read === code && f.balance === 'Solde : 3,60 €', JSON.stringify(f));

      // 5 € more than the 3,60 € left: refused, and nothing taken.
      if (!check('vch-shop-short: the amount field is there', f.amount)) return;
      await page.type('#amount', '5');
      const short = await tapAndWait(shop, await page.$('main form #amount ~ button[type=submit]'), { status: 409, mainUrl: abs(shopPath) });
      const e = await shopVoucherFacts(page);
      check('vch-shop-short: an error box (.errors[role=alert])', e.errors && e.errorsRole === 'alert', JSON.stringify({ errors: e.errors, role: e.errorsRole }));
      check('vch-shop-short: the error says what is left (3,60 €)', /3[,.]60/.test(e.errors), e.errors);
      if (/\bamount\b|\bleft\b/.test(e.errors)) note(`the French page says the error in English, with the field's raw name: ${e.errors}`);
      check('vch-shop-short: nothing is said to be taken', !e.taken.startsWith('Encaissé'), e.taken);
      check('vch-shop-short: the code is kept in #code', e.typed === code, JSON.stringify(e.typed));
      await audit(shop, 'vch-shop-short', short, { status: 409 });
      await noSideways(shop, 'vch-shop-short');
    });

    // 5. The resident's page follows.
    await step('vch-voucher-spent: reload', async () => {
      const res = await visit(resident, holderPath);
      await audit(resident, 'vch-voucher-spent', res);
      await noSideways(resident, 'vch-voucher-spent');
      const h = await holderFacts(resident.page);
      check('vch-voucher-spent: "Reste à dépenser : 3,60 €"', h.balance === 'Reste à dépenser : 3,60 €', h.balance);
      const name = shopName || slug;
      check(`vch-voucher-spent: the "Dépenses" list has one line, ${name}, 6,40 €`,
        h.spent.length === 1 && h.spent[0].text.includes(name) && h.spent[0].text.includes('6,40 €'), JSON.stringify(h.spent));
      check('vch-voucher-spent: the same code', h.code === code, h.code);
    });

    // 6. The admin's figures, what the town owes the shop, the CSV.
    await step('vch-campaign-spent: the admin\'s campaign page', async () => {
      const { page } = admin;
      const res = await visit(admin, `/dashboard/admin/vouchers/${campaignId}`);
      await audit(admin, 'vch-campaign-spent', res);
      await noSideways(admin, 'vch-campaign-spent');
      const c = await page.evaluate(() => {
        const t = (e) => (e ? e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim() : '');
        return {
          figures: [...document.querySelectorAll('main dl.figures dt')].map((dt) => [t(dt), t(dt.nextElementSibling)]),
          rows: [...document.querySelectorAll('main table tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => {
            const copy = td.cloneNode(true);
            copy.querySelectorAll('form').forEach((f) => f.remove());
            return t(copy);
          })),
          headers: [...document.querySelectorAll('main table thead th')].map(t),
          csv: document.querySelector('main a[href$="/export.csv"]')?.getAttribute('href') ?? null,
        };
      });
      const box = await page.evaluate(() => {
        const table = document.querySelector('main table');
        const wide = table.getBoundingClientRect().width > document.documentElement.clientWidth;
        const scroller = table.closest('.scrollx');
        return { wide, scroller: Boolean(scroller), tabindex: scroller?.getAttribute('tabindex') ?? null,
          name: scroller ? (scroller.getAttribute('aria-label') || document.getElementById(scroller.getAttribute('aria-labelledby') || '')?.textContent || '') : '' };
      });
      check('vch-campaign-spent: the table, wider than the phone, scrolls in its own named box that the keyboard reaches',
        !box.wide || (box.scroller && box.tabindex === '0' && box.name.trim()), JSON.stringify(box));
      const fig = Object.fromEntries(c.figures);
      check('vch-campaign-spent: dl.figures: 1 voucher issued, 10,00 € issued, 6,40 € spent, 3,60 € left',
        fig['Bons émis'] === '1' && fig['Montant émis'] === '10,00 €' && fig['Dépensé'] === '6,40 €' && fig['Reste sur les bons'] === '3,60 €',
        JSON.stringify(c.figures));
      const name = shopName || slug;
      const row = c.rows.find((r) => r[0] === name);
      check(`vch-campaign-spent: the reimbursements table: ${name}, 1 redemption, 6,40 €, 0,00 € reimbursed, 6,40 € due`,
        row && row[1] === '1' && row[2] === '6,40 €' && row[3] === '0,00 €' && row[4] === '6,40 €',
        JSON.stringify({ headers: c.headers, rows: c.rows }));
      if (!check('vch-campaign-spent: a link to the CSV export', c.csv === `/dashboard/admin/vouchers/${campaignId}/export.csv`, String(c.csv))) return;
      const csv = await page.evaluate(async (href) => {
        const r = await fetch(href, { credentials: 'same-origin' });
        return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
      }, c.csv);
      check('vch-campaign-spent: the CSV export answers 200 with text/csv', csv.status === 200 && /^text\/csv\b/.test(csv.type || ''),
        `HTTP ${csv.status}, ${csv.type}`);
      const lines = csv.body.trim().split(/\r?\n/);
      // The export shows the code's last groups only: enough to tell vouchers apart, not to spend one.
      const masked = `****-****-****-${code.slice(15)}`;
      check('vch-campaign-spent: the CSV has a header and one line: the shop, the voucher’s masked code, 6,40',
        lines.length === 2 && lines[1].includes(name) && lines[1].includes(masked) && !lines[1].includes(code) && /6[.,]40/.test(lines[1]), lines.slice(0, 3).join(' / ').slice(0, 300));
    });

    await step('vch-admin-list-spent: the campaigns list', async () => {
      const { page } = admin;
      const link = await page.$('nav.tabs a[href="/dashboard/admin/vouchers"]');
      const res = link ? await tapAndWait(admin, link) : await visit(admin, '/dashboard/admin/vouchers');
      await audit(admin, 'vch-admin-list-spent', res);
      await noSideways(admin, 'vch-admin-list-spent');
      const row = await page.evaluate((id) => {
        const a = document.querySelector(`main table a[href="/dashboard/admin/vouchers/${id}"]`);
        return a && [...a.closest('tr').querySelectorAll('td')].map((td) => td.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim());
      }, campaignId);
      check('vch-admin-list-spent: the campaign\'s row: 10,00 € issued, 6,40 € spent, 3,60 € left, 49 left in the budget',
        row && row[0] === campaignName && row[1] === '10,00 €' && row[2] === '6,40 €' && row[3] === '3,60 €' && row[4] === '49',
        JSON.stringify(row));
    });
  } finally {
    await adminContext.close().catch(() => {});
    await shopContext.close().catch(() => {});
    await residentContext.close().catch(() => {});
    await rm(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The node admin.

async function admin(browser) {
  const context = await browser.createBrowserContext();
  const tab = await openTab(context, 'admin');
  const { page } = tab;
  const out = { email: '' };
  try {
    let landed = null;
    let email = '';
    await step('admin-welcome: admin invitation', async () => {
      ({ email, landed } = await welcome(tab, 'admin-welcome', adminLink));
    });
    if (!landed) {
      check('admin: signed in', false, 'the welcome step failed; the admin checks are skipped');
      return out;
    }
    out.email = email;
    check('admin: lands on /dashboard', new URL(page.url()).pathname === '/dashboard', page.url());
    await audit(tab, 'admin-home', landed);

    const pagesToSee = [
      ['admin-shops', '/dashboard/admin', () => document.querySelectorAll('main .rows li a[href^="/dashboard/shops/"]').length > 0],
      ['admin-people', '/dashboard/admin/people', () => Boolean(document.querySelector('main form #email'))],
      ['admin-blocks', '/dashboard/admin/blocks', () => Boolean(document.querySelector('main form #host'))],
      ['admin-moderation', '/dashboard/admin/moderation', () => true],
    ];
    // Any other page of the admin menu (read on each admin page) gets the same page checks.
    const moreFromMenu = async () => {
      const menu = await page.$$eval('nav.tabs a[href^="/dashboard/admin"]', (l) => l.map((a) => a.getAttribute('href'))).catch(() => []);
      for (const href of menu) {
        if (pagesToSee.some(([, where]) => where === href)) continue;
        note(`the admin menu also has ${href}`);
        pagesToSee.push([`admin-${href.split('/').pop().replace(/[^a-z0-9]+/gi, '-')}`, href, () => true]);
      }
    };
    await moreFromMenu();
    for (let i = 0; i < pagesToSee.length; i++) {
      const [name, where, looksRight] = pagesToSee[i];
      await step(`${name}: visit`, async () => {
        const link = await page.$(`a[href="${where}"]`);
        const res = link ? await tapAndWait(tab, link) : await visit(tab, where);
        check(`${name}: URL is ${where}`, new URL(page.url()).pathname === where, page.url());
        await audit(tab, name, res);
        check(`${name}: shows its content`, await page.evaluate(looksRight));
        if (name === 'admin-moderation') {
          const reply = await page.evaluate(() => document.querySelector('main')?.textContent.includes('Il en reste pour samedi'));
          check('admin-moderation: lists alice\'s reply', reply);
        }
        await moreFromMenu();
      });
    }
  } finally {
    await context.close();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await mkdir(OUT, { recursive: true });
  console.log(`Checking the dashboard of ${ORIGIN} with ${CHROMIUM}; screenshots and report in ${OUT}`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'etal-dash-'));
  let alice = null;
  let browser = null;
  try {
    const photo = await step('photo: download a demo photo to upload', async () => {
      const p = await downloadPhoto(tmp);
      check('photo: a demo product photo is a JPEG', true, `${p.bytes} bytes from ${p.from}`);
      return p;
    });
    alice = await startFollower({ log: (line) => process.env.ETAL_BROWSER_VERBOSE && note(line) });
    note(`fake follower at ${alice.actorId}`);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });

    await step('signed out', () => signedOut(browser));
    let ownerOut = null;
    if (photo) ownerOut = await step('owner', () => owner(browser, alice, photo));
    else check('owner: a photo to upload', false, 'the owner journey needs one');
    await step('click & collect', () => clickAndCollect(browser, ownerOut?.email || '', ownerOut?.slug || shopArg || null));
    const adminOut = await step('admin', () => admin(browser));
    await step('town vouchers', () => townVouchers(browser, ownerOut?.email || '', adminOut?.email || '', ownerOut?.slug || shopArg || null));
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (alice) {
      await writeFile(path.join(OUT, 'fediverse-received.json'), JSON.stringify(
        { actor: alice.actorId, requests: alice.requests, received: alice.received }, null, 2) + '\n').catch(() => {});
      await alice.close();
    }
    await rm(tmp, { recursive: true, force: true });
  }

  const failed = checks.filter((c) => !c.ok).length;
  const passed = checks.length - failed;
  await writeFile(path.join(OUT, 'dashboard-report.json'), JSON.stringify({
    node: ORIGIN,
    chromium: CHROMIUM,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    product: PRODUCT_NAME,
    passed,
    failed,
    checks,
    pages,
  }, null, 2) + '\n');
  if (failed) {
    // The same problem on many pages reads better once, with the pages it was seen on.
    const groups = new Map();
    for (const c of checks.filter((x) => !x.ok)) {
      const m = /^([a-z-]+): (.*)$/.exec(c.name);
      const [what, where] = m ? [m[2], m[1]] : [c.name, ''];
      if (!groups.has(what)) groups.set(what, []);
      if (where) groups.get(what).push(where);
    }
    console.log('\nfailed checks:');
    for (const [what, where] of groups) console.log(`  ${what}${where.length ? ` — ${where.join(', ')}` : ''}`);
  }
  console.log(`\ndashboard: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
