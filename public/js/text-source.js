// Where a text-mode corpus comes from: a file (picked or dropped) or a paste.
// A file is checked before it reaches the text box (empty, not text), and
// every refusal is said in plain words. The box then shows the text's size,
// its distinct characters and what validation will hold out, counted as the
// server counts them. A file larger than a JSON body may carry goes to the
// server on its own (large-upload.js) and never into the box.

import { $, setText } from './dom.js';
import { byteSize, integer } from './format.js';
import { forgetUpload, uploadLargeFile } from './large-upload.js';

// The server's limits until /api/health says otherwise (its documented defaults).
const DEFAULT_CORPUS_LIMIT = 10_000_000;
const DEFAULT_UPLOAD_LIMIT = 1 << 30;

export function corpusLimit(state) { return state.limits?.max_corpus_bytes ?? DEFAULT_CORPUS_LIMIT; }
export function uploadLimit(state) { return state.limits?.max_upload_bytes ?? DEFAULT_UPLOAD_LIMIT; }

export { byteSize };

export function showLimit(state) {
  const limit = corpusLimit(state);
  setText('text-limit', `This server takes texts of up to ${byteSize(limit)} (${integer(limit)} bytes of UTF-8) in the box, `
    + `and files of up to ${byteSize(uploadLimit(state))} uploaded on their own.`);
}

export function refuse(message) {
  setText('text-refusal', message);
}

/** The figures of a text as the server reads it: characters are Unicode
 * scalars, and validation holds out the last ⌊n × fraction⌋ of them. */
export function textFigures(text, fraction) {
  const characters = new Set();
  let count = 0;
  for (const character of text) { characters.add(character); count += 1; }
  const held = Number.isFinite(fraction) && fraction >= 0 && fraction < 1 ? Math.floor(count * fraction) : 0;
  return { bytes: new TextEncoder().encode(text).length, count, distinct: characters.size, held };
}

// The line under the text box; `fraction` is the validation fraction field's.
export function describeText(state) {
  if (state.upload?.corpus) {
    const { corpus, name } = state.upload;
    const fraction = Number($('text-val-fraction').value);
    const held = Number.isFinite(fraction) && fraction >= 0 && fraction < 1 ? Math.floor(corpus.characters * fraction) : 0;
    setText('text-info', `“${name}”, uploaded: ${byteSize(corpus.bytes)} (${integer(corpus.characters)} characters) · `
      + `${integer(corpus.vocabulary.length)} distinct characters · `
      + (held > 0 ? `the last ${integer(held)} characters held out for validation, ${integer(corpus.characters - held)} to train on.`
        : 'nothing held out for validation.'));
    return;
  }
  const text = $('text-corpus').value;
  if (!text) {
    setText('text-info', 'No text yet.');
    return;
  }
  const fraction = Number($('text-val-fraction').value);
  const figures = textFigures(text, fraction);
  const parts = [`${byteSize(figures.bytes)} (${integer(figures.count)} characters)`,
    `${integer(figures.distinct)} distinct characters`];
  parts.push(figures.held > 0
    ? `the last ${integer(figures.held)} characters (${Number((fraction * 100).toPrecision(3))}%) held out for validation, ${integer(figures.count - figures.held)} to train on`
    : 'nothing held out for validation');
  setText('text-info', `${parts.join(' · ')}.`);
  if (figures.bytes > corpusLimit(state)) {
    refuse(`This text is ${byteSize(figures.bytes)}, more than the ${byteSize(corpusLimit(state))} this server takes. Shorten it before you start.`);
  } else if (!$('text-refusal').dataset.file) {
    refuse('');
  }
}

/** A file's text, or null after saying in words why it is refused. */
async function readTextFile(state, file) {
  const name = `“${file.name}”`;
  if (file.size === 0) {
    refuse(`${name} is empty: there is no text in it to train on.`);
    return null;
  }
  const limit = corpusLimit(state);
  if (file.size > uploadLimit(state)) {
    refuse(`${name} is ${byteSize(file.size)}, more than the ${byteSize(uploadLimit(state))} this server takes. Use a shorter text, or a part of this one.`);
    return null;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.includes(0)) {
    refuse(`${name} does not look like text: it holds zero bytes, as images, archives and other binary files do. Choose a plain-text file (UTF-8).`);
    return null;
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    refuse(`${name} is not UTF-8 text: some of its bytes are not characters. Save it as plain text in UTF-8 and try again.`);
    return null;
  }
  if (!text.trim()) {
    refuse(`${name} holds only spaces and line breaks: there is no text in it to train on.`);
    return null;
  }
  if (new TextEncoder().encode(text).length > limit) {
    refuse(`${name} is more than the ${byteSize(limit)} this server takes. Use a shorter text.`);
    return null;
  }
  return text;
}

// A picked or dropped file goes into the text box when it passes the checks;
// a refused one leaves the box as it was.
export async function takeFile(state, file, changed) {
  if (!file) return;
  $('text-refusal').dataset.file = '1';
  refuse('');
  if (file.size > corpusLimit(state) + 3 && file.size <= uploadLimit(state)) { // + a byte-order mark
    await uploadLargeFile(state, file, () => { describeText(state); changed(); });
    return;
  }
  const text = await readTextFile(state, file);
  if (text === null) return;
  delete $('text-refusal').dataset.file;
  forgetUpload(state);
  $('text-corpus').value = text;
  $('text-corpus').dataset.source = file.name;
  if (!$('text-name').value.trim()) $('text-name').value = file.name.replace(/\.[^.]*$/, '').slice(0, 200);
  describeText(state);
  $('text-corpus').dispatchEvent(new Event('change'));
}

export function listenForText(state, changed) {
  $('text-file').addEventListener('change', async (event) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    await takeFile(state, file, changed);
  });
  const zone = $('text-drop');
  for (const name of ['dragenter', 'dragover']) {
    zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add('over'); });
  }
  for (const name of ['dragleave', 'drop']) zone.addEventListener(name, () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    const files = event.dataTransfer?.files;
    if (files?.length > 1) refuse('Drop one file at a time: the first is used.');
    takeFile(state, files?.[0], changed);
  });
  // Typing or pasting: the figures follow once typing rests (a book is long).
  let timer = null;
  $('text-corpus').addEventListener('input', () => {
    forgetUpload(state);
    delete $('text-refusal').dataset.file;
    delete $('text-corpus').dataset.source;
    clearTimeout(timer);
    timer = setTimeout(() => { describeText(state); changed(); }, 250);
  });
  $('text-corpus').addEventListener('change', changed);
}
