// Builds node/data/communes.tsv, the table of French communes, from Etalab's
// npm package @etalab/decoupage-administratif, version 6.0.0 (millésime 2026),
// https://github.com/etalab/decoupage-administratif. Data: Licence Ouverte /
// Open Licence 2.0 (see node/data/communes.LICENCE.md).
//
// Usage (Node 20+, no dependency other than the data package):
//
//   cd scripts/communes && npm ci && node build.mjs
//
// To move to a newer millésime: change the exact version in package.json,
// run `npm install` (updates package-lock.json), then `node build.mjs`, and
// update the version in this comment and in node/data/communes.LICENCE.md.
//
// Output: UTF-8, LF line endings, one header line
//   insee<TAB>name<TAB>postal_codes<TAB>population<TAB>departement
// then one line per current commune (type "commune-actuelle") and per
// municipal arrondissement of Paris, Lyon and Marseille (type
// "arrondissement-municipal"), sorted by INSEE code (plain code-unit order).
// postal_codes: sorted, distinct, separated by one space (empty if none);
// population: integer, empty if unknown; departement: the département code
// ("78", "2A", "971"; the collectivity code for the overseas COM, e.g. "987").
// Same input gives byte-identical output; any field that would break the
// format makes the script fail.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@etalab/decoupage-administratif';
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const outFile = join(repoRoot, 'node', 'data', 'communes.tsv');
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

// The installed version must be the one pinned in package.json.
const pinned = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies[PACKAGE];
let installed;
try {
  installed = JSON.parse(readFileSync(require.resolve(`${PACKAGE}/package.json`), 'utf8')).version;
} catch {
  fail(`${PACKAGE} is not installed: run \`npm ci\` in scripts/communes first`);
}
if (installed !== pinned) {
  fail(`${PACKAGE} ${installed} is installed but package.json pins ${pinned}: run \`npm ci\``);
}

const communes = JSON.parse(readFileSync(require.resolve(`${PACKAGE}/data/communes.json`), 'utf8'));
if (!Array.isArray(communes)) fail('communes.json is not an array');

const KEPT = new Set(['commune-actuelle', 'arrondissement-municipal']);
const INSEE = /^[0-9][0-9AB][0-9]{3}$/;
const POSTAL = /^[0-9]{5}$/;
const DEPARTEMENT = /^(?:[0-9]{2}|2A|2B|[0-9]{3})$/;

function field(value, what, code) {
  const text = value == null ? '' : String(value);
  // Tabs and line breaks would break the TSV; other control characters have
  // no place in these fields either.
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(text)) {
    fail(`${code}: ${what} contains a tab, line break or control character: ${JSON.stringify(text)}`);
  }
  return text;
}

const rows = [];
const seen = new Set();
const counts = { 'commune-actuelle': 0, 'arrondissement-municipal': 0 };
for (const c of communes) {
  if (!KEPT.has(c.type)) continue;
  const code = field(c.code, 'INSEE code', c.code);
  if (!INSEE.test(code)) fail(`bad INSEE code ${JSON.stringify(code)}`);
  if (seen.has(code)) fail(`${code}: INSEE code appears twice`);
  seen.add(code);

  const name = field(c.nom, 'name', code);
  if (name.trim() === '' || name !== name.trim()) fail(`${code}: empty or padded name ${JSON.stringify(name)}`);

  const postal = [...new Set(c.codesPostaux ?? [])].sort();
  for (const p of postal) {
    if (!POSTAL.test(field(p, 'postal code', code))) fail(`${code}: bad postal code ${JSON.stringify(p)}`);
  }

  let population = '';
  if (c.population != null) {
    if (!Number.isSafeInteger(c.population) || c.population < 0) {
      fail(`${code}: population is not a non-negative integer: ${JSON.stringify(c.population)}`);
    }
    population = String(c.population);
  }

  const departement = field(c.departement, 'département', code);
  if (!DEPARTEMENT.test(departement)) fail(`${code}: bad département code ${JSON.stringify(departement)}`);
  if (!code.startsWith(departement.slice(0, 2))) fail(`${code}: département ${departement} does not match the INSEE code`);

  counts[c.type] += 1;
  rows.push([code, name, postal.join(' '), population, departement]);
}

rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

const header = ['insee', 'name', 'postal_codes', 'population', 'departement'];
const text = [header, ...rows].map((r) => r.join('\t') + '\n').join('');

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, text, 'utf8');

const bytes = Buffer.byteLength(text, 'utf8');
console.log(`${PACKAGE} ${installed}: ${communes.length} entries in communes.json`);
console.log(`communes (commune-actuelle): ${counts['commune-actuelle']}`);
console.log(`municipal arrondissements (Paris, Lyon, Marseille): ${counts['arrondissement-municipal']}`);
console.log(`wrote ${rows.length} lines + header to ${relative(repoRoot, outFile)} (${bytes} bytes)`);
