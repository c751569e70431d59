// The page's one mutable state. main.js creates it once and passes it to every
// function that reads or changes it; no module keeps state of its own, so what
// the page knows is all here and can be read in one place.

export function createState() {
  return {
    generation: 0,        // bumps on every attach, so late answers for an old model are dropped
    model: null,          // the attached model, as GET /api/models/{id} shows it
    metrics: [],          // the metric points: [{step, median_perplexity, mean_loss, validation_loss, time}]
    validations: new Map(), // step → validation loss, from the event stream (between metric points)
    limits: null,         // the server's limits (GET /api/health), once read
    upload: null,         // a large text file sent on its own: { name, controller, corpus } (large-upload.js)
    estimateRound: 0,     // the latest memory estimate asked for (older answers are dropped)
    estimateTimer: null,
    bestURL: null,        // the downloaded best model's object URL
    // Compare runs: the picked model ids, and their model and metric points once read.
    compare: { picked: new Set(), runs: new Map(), busy: false, again: false },
    lastStep: -1,
    sampleCursor: null,   // samples id cursor for polling; null until known
    stream: null,         // AbortController of the event stream
    streamRetry: null,
    pollTimer: null,
    defaultCorpus: null,
    evaluation: null,     // perplexity of a loaded model on the input sentences
    lastStatus: null,     // the shown model's status when last drawn (to notice a failure)
    downloadURL: null,
    modelList: [],        // the models of the last GET /api/models
    modelsBusy: false,    // a model list request is under way
    samplesBusy: false,   // fresh samples are being asked for
    // Work put off to coalesce bursts: a flag or timer for each kind.
    drawPending: false,   // a graph redraw waits for the next animation frame
    statsPending: false,  // a stats redraw waits (progress events come fast)
    refreshTimer: null,   // re-reading the model after a status event
    predictTimer: null,   // the try-it box's next-character request after typing
    samplingTimer: null,  // fresh samples after an advanced sampling setting changed
    learningRateTimer: null,
    temperatureTimer: null,
    // Slider changes go to the server one request at a time (see sliders.js).
    learningRateQueue: { busy: false, pending: false, wanted: undefined },
    temperatureQueue: { busy: false, pending: false, wanted: undefined },
  };
}
