// The loss history of a model as chart series: the training loss of each
// metric point (mean over its 100 ticks) and the validation losses. A metric
// point carries the latest validation loss, measured at the last multiple of
// the model's val_interval, so that is the step it is drawn at; the event
// stream's `validation` events add the validations between metric points.

/** Milliseconds since the epoch of an API time, or NaN. */
function when(time) { return time ? Date.parse(time) : NaN; }

// Seconds after `start` at `step`, interpolated between the metric points
// around it (validations are not timed by the API).
function secondsAt(timed, step, start) {
  if (!timed.length) return 0;
  let before = timed[0], after = timed[timed.length - 1];
  for (const point of timed) {
    if (point.step <= step) before = point;
    if (point.step >= step) { after = point; break; }
  }
  const share = after.step === before.step ? 0 : (step - before.step) / (after.step - before.step);
  return Math.max(0, (before.time + share * (after.time - before.time) - start) / 1000);
}

/**
 * `metrics`: the API's metric points; `validations`: Map step → loss from the
 * event stream; `model`: the model (its config, created_at, best fields).
 * Answers { training, validation, best, start } with points { step, seconds, loss }.
 */
export function lossSeries(model, metrics, validations = new Map()) {
  const timed = metrics.map((point) => ({ step: point.step, time: when(point.time) })).filter((point) => Number.isFinite(point.time));
  const created = when(model?.created_at);
  const start = Number.isFinite(created) ? Math.min(created, timed[0]?.time ?? created) : timed[0]?.time ?? 0;
  const point = (step, loss) => ({ step, loss, seconds: secondsAt(timed, step, start) });

  const training = metrics.filter((entry) => Number.isFinite(entry.mean_loss)).map((entry) => point(entry.step, entry.mean_loss));
  const interval = model?.config?.val_interval;
  const byStep = new Map();
  for (const entry of metrics) {
    if (!Number.isFinite(entry.validation_loss)) continue;
    const step = interval > 0 ? Math.floor(entry.step / interval) * interval : entry.step;
    if (!byStep.has(step)) byStep.set(step, entry.validation_loss);
  }
  for (const [step, loss] of validations) byStep.set(step, loss);
  let best = null;
  if (Number.isFinite(model?.best_step) && Number.isFinite(model?.best_validation_loss)) {
    best = point(model.best_step, model.best_validation_loss);
    byStep.set(best.step, best.loss);
  }
  const validation = [...byStep].sort((a, b) => a[0] - b[0]).map(([step, loss]) => point(step, loss));
  return { training, validation, best };
}
