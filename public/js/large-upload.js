// A text file larger than a JSON body may carry (the server's corpus limit)
// goes to the server on its own, streamed from disk by the browser
// (POST /api/corpora through corpus-upload.js), with its progress shown and
// a button to cancel it; the text mode then trains on it by `corpus_id`.
// The text box stays empty: typing there, or taking another file, forgets
// the upload (the stored corpus stays on the server until deleted).

import { uploadCorpus } from './corpus-upload.js';
import { $, setText } from './dom.js';
import { plainWords } from './errors.js';
import { byteSize } from './format.js';

const BOX_PLACEHOLDER = '…or paste the text here.';

function showProgress(name, { loaded, total, fraction }) {
  $('text-upload-bar').value = fraction;
  setText('text-upload-status',
    `Uploading “${name}”: ${Math.floor(fraction * 100)}% (${byteSize(loaded)} of ${byteSize(total)})`);
}

/** Uploads `file`; on success `state.upload.corpus` is the stored corpus and
 * `done()` runs. A refusal or a cancel is said in plain words. */
export async function uploadLargeFile(state, file, done) {
  forgetUpload(state);
  const controller = new AbortController();
  const upload = { name: file.name, controller, corpus: null };
  state.upload = upload;
  $('text-upload').hidden = false;
  $('text-upload-cancel').hidden = false;
  $('text-upload-cancel').onclick = () => controller.abort();
  showProgress(file.name, { loaded: 0, total: file.size, fraction: 0 });
  try {
    const corpus = await uploadCorpus(file, { signal: controller.signal, onProgress: (step) => showProgress(file.name, step) });
    if (state.upload !== upload) return; // another file or a paste took its place
    upload.corpus = corpus;
    upload.controller = null;
    $('text-corpus').value = '';
    $('text-corpus').placeholder = `“${file.name}” is on the server (corpus ${corpus.id}). Type or paste here to train on another text instead.`;
    $('text-upload-cancel').hidden = true;
    setText('text-upload-status', `Uploaded “${file.name}”: corpus ${corpus.id}, ${byteSize(corpus.bytes)}.`);
    delete $('text-refusal').dataset.file;
    if (!$('text-name').value.trim()) $('text-name').value = file.name.replace(/\.[^.]*$/, '').slice(0, 200);
    done();
  } catch (error) {
    if (state.upload !== upload) return;
    state.upload = null;
    $('text-upload').hidden = true;
    setText('text-refusal', error.code === 'aborted'
      ? `The upload of “${file.name}” was cancelled; the server kept nothing of it.`
      : plainWords(error, `Uploading “${file.name}”`));
  }
}

/** Forgets the uploaded (or uploading) file: the text box is the source again. */
export function forgetUpload(state) {
  if (!state.upload) return;
  state.upload.controller?.abort();
  state.upload = null;
  $('text-upload').hidden = true;
  $('text-corpus').placeholder = BOX_PLACEHOLDER;
}
