// The text form's inputs by API field, and the labels of the fields only it
// has, for errors.js to point at the right input (a leaf module: errors.js and
// text-mode.js both need these, and neither may need the other to load).

export const TEXT_NUMBERS = [
  ['letter_size', 'text-letter'], ['batch_size', 'text-batch'], ['seq_length', 'text-window'],
  ['val_fraction', 'text-val-fraction'], ['val_interval', 'text-val-interval'], ['learning_rate', 'text-lr'],
  ['lr_decay', 'text-decay'], ['dropout', 'text-dropout'], ['max_ticks', 'text-ticks'],
  ['warmup_ticks', 'text-warmup'], ['early_stop', 'text-early-stop'],
];

export const TEXT_INPUTS = Object.fromEntries([
  ...TEXT_NUMBERS,
  ['generator', 'text-generator'], ['hidden_sizes', 'text-hidden'], ['optimizer', 'text-optimizer'],
  ['lr_schedule', 'text-schedule'], ['precision', 'text-precision'],
  ['name', 'text-name'], ['text', 'text-corpus'],
]);

export const TEXT_LABELS = {
  batch_size: 'Batch size', seq_length: 'Window length', val_fraction: 'Validation fraction',
  val_interval: 'Validate every', lr_decay: 'Decay per pass', dropout: 'Dropout', max_ticks: 'Stop after',
  optimizer: 'Optimizer', lr_schedule: 'Rate schedule', warmup_ticks: 'Warm-up', early_stop: 'Early stop',
  precision: 'Products',
};

export function textMode() { return document.getElementById('input-card')?.dataset.mode === 'text'; }
