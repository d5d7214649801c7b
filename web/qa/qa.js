// Review page for aligned (context → chat message) pairs. Talks to the JSON API of web/qa/qa-server.ts.
const $ = (id) => document.getElementById(id);
const state = { items: [], index: 0, data: null };
const filters = { tier: $('f-tier'), label: $('f-label'), reason: $('f-reason') };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

const clock = (ms) => {
  if (ms === null || ms === undefined) return '—';
  const s = Math.max(0, ms) / 1000;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = (s % 60).toFixed(1).padStart(4, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};
const secs = (ms) => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const tierBadge = (item) => el('span', { class: `tier tier-${item.kind === 'reject' ? 'x' : item.tier}`, title: item.kind === 'reject' ? item.reject_reason : `tier ${item.tier}` }, item.kind === 'reject' ? '×' : String(item.tier));
function verdictMark(item) {
  if (item.pending) return el('span', { class: 'verdict-pending', title: `saving ${item.pending}` }, '…');
  const { review } = item;
  return review ? el('span', { class: `verdict-${review.verdict}`, title: review.verdict }, review.verdict === 'accept' ? '✓' : '✗') : el('span');
}

function setStatus(text, isError = false) {
  const node = $('status');
  node.textContent = text;
  node.className = isError ? 'error' : '';
}

function query() {
  const params = new URLSearchParams();
  for (const [name, select] of Object.entries(filters)) params.set(name, select.value);
  return params;
}

async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error || `${res.status}`);
  return body;
}

async function load(keepId) {
  const params = query();
  history.replaceState(null, '', `?${params}`);
  try {
    const data = await api(`/api/pairs?${params}`);
    state.data = data;
    state.items = data.items;
    const at = keepId ? state.items.findIndex((i) => i.item_id === keepId) : -1;
    state.index = at >= 0 ? at : 0;
    renderHeader();
    renderList();
    renderDetail();
    setStatus('');
  } catch (error) {
    setStatus(String(error.message || error), true);
  }
}

function renderHeader() {
  const { data } = state;
  const t = data.totals;
  $('vod').textContent = `${data.vod_id} · ${data.align_id} · reviewer ${data.reviewer}`;
  const tiers = ['0', '1', '2'].map((k) => `tier ${k}: ${t.tiers[k] ?? 0}`).join(', ');
  const labels = Object.entries(t.labels).map(([k, v]) => `${k} ${v}`).join(', ');
  $('summary').textContent = `${t.pairs} pairs (${tiers}; ${labels || 'no labels'}) · ${t.rejects} rejected`;
  const reason = filters.reason;
  const chosen = reason.value;
  for (const option of [...reason.options]) if (option.value && option.value !== 'any') option.remove();
  for (const [name, n] of Object.entries(t.reasons).sort()) reason.append(el('option', { value: name }, `${name} (${n})`));
  reason.value = chosen;
  updateProgress();
}

function updateProgress() {
  const reviewable = state.items.filter((i) => i.kind === 'pair');
  const done = reviewable.filter((i) => i.review).length;
  $('progress').textContent = state.items.length ? `${state.index + 1} / ${state.items.length} shown · ${done} of ${reviewable.length} reviewed` : 'nothing matches';
}

function listRow(item, i) {
  return el('li', { dataset: { id: item.item_id }, class: i === state.index ? 'current' : '', onclick: () => select(i) },
    tierBadge(item), el('span', { class: 'text', title: item.text }, item.text), verdictMark(item));
}

function renderList() {
  const list = $('list');
  list.replaceChildren(...state.items.map(listRow));
}

function select(i) {
  if (!state.items.length) return;
  state.index = Math.min(Math.max(i, 0), state.items.length - 1);
  const list = $('list');
  [...list.children].forEach((li, k) => li.classList.toggle('current', k === state.index));
  list.children[state.index]?.scrollIntoView({ block: 'nearest' });
  renderDetail();
  updateProgress();
}

function renderDetail() {
  const detail = $('detail');
  const item = state.items[state.index];
  if (!item) {
    detail.replaceChildren(el('p', { class: 'muted' }, 'No pair matches these filters.'));
    return;
  }
  const isPair = item.kind === 'pair';
  const words = item.transcript.length
    ? item.transcript.flatMap((w) => [el('span', { class: `w-${w.role}`, title: clock(w.start_ms) }, w.word), ' '])
    : [el('span', { class: 'muted' }, '(no transcript words in this window)')];
  const facts = [
    ['tier', isPair ? `${item.tier} (${item.label})` : '—'],
    ['reject reason', item.reject_reason ?? '—'],
    ['score', item.score === null ? '—' : `${item.score.toFixed(3)}  (lexical ${item.lexical?.toFixed(2)}, association ${item.association?.toFixed(2)}, time ${item.time_prior?.toFixed(2)})`],
    ['lag', secs(item.lag_ms)],
    ['message at', `${clock(item.offset_ms)} by ${item.author_login ?? 'unknown'}`],
    ['context', `${clock(item.context_start_ms)} – ${clock(item.context_end_ms)}${isPair ? '' : ' (estimated from the chat lag)'}`],
    ['latest verdict', item.review ? `${item.review.verdict} by ${item.review.reviewer} at ${item.review.reviewed_at}${item.review.note ? ` — “${item.review.note}”` : ''}` : '—'],
  ];
  const note = el('textarea', { id: 'note', placeholder: isPair ? 'note (optional)' : 'rejected messages are browsed, not reviewed', rows: '2' });
  if (!isPair) note.disabled = true;
  const accept = el('button', { class: 'accept', id: 'accept', onclick: () => review('accept') }, 'Accept (a)');
  const reject = el('button', { class: 'reject', id: 'reject', onclick: () => review('reject') }, 'Reject (r)');
  accept.disabled = reject.disabled = !isPair;
  detail.replaceChildren(
    el('div', { class: 'message', id: 'message' }, item.text),
    el('audio', { id: 'clip', controls: '', preload: 'metadata', src: `/api/clip/${encodeURIComponent(item.item_id)}` }),
    el('div', { class: 'transcript', id: 'transcript' }, ...words),
    el('dl', {}, ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('div', { class: 'actions' }, note, accept, reject),
  );
}

// Saving takes a lake commit (most of a second), so the page moves on at once and marks the row
// when the server confirms; only the newest verdict given for a pair is shown.
const issued = new Map();

function refreshRow(itemId) {
  const i = state.items.findIndex((it) => it.item_id === itemId);
  if (i < 0) return;
  $('list').children[i]?.replaceWith(listRow(state.items[i], i));
  if (i === state.index) renderDetail();
  updateProgress();
}

async function review(verdict) {
  const item = state.items[state.index];
  if (!item || item.kind !== 'pair') return;
  const note = $('note')?.value.trim() || null;
  const seq = (issued.get(item.item_id) ?? 0) + 1;
  issued.set(item.item_id, seq);
  item.pending = verdict;
  refreshRow(item.item_id);
  if (state.index < state.items.length - 1) select(state.index + 1);
  try {
    const saved = await api('/api/reviews', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pair_id: item.pair_id, verdict, note }),
    });
    if (issued.get(item.item_id) !== seq) return;
    const review = { review_id: saved.review_id, verdict: saved.verdict, note: saved.note, reviewer: saved.reviewer, reviewed_at: saved.reviewed_at };
    // The list may have been reloaded meanwhile: update whichever object now stands for the pair.
    for (const it of [item, state.items.find((it) => it.item_id === item.item_id)]) if (it) Object.assign(it, { review, pending: null });
    setStatus(`saved: ${verdict} ${item.pair_id}`);
  } catch (error) {
    if (issued.get(item.item_id) === seq) item.pending = null;
    setStatus(`could not save ${verdict} of “${item.text}”: ${error.message || error}`, true);
  }
  refreshRow(item.item_id);
}

function togglePlay() {
  const audio = $('clip');
  if (!audio) return;
  if (audio.paused) audio.play().catch((error) => setStatus(`clip: ${error.message}`, true));
  else audio.pause();
}

function setTier(tier) {
  filters.tier.value = filters.tier.value === tier ? '' : tier;
  filters.reason.value = '';
  load(state.items[state.index]?.item_id);
}

document.addEventListener('keydown', (event) => {
  const target = event.target;
  const typing = target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
  if (typing) {
    if (event.key === 'Escape') target.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  // A focused player handles space itself; toggling here too would undo it.
  if (event.key === ' ' && target instanceof HTMLMediaElement) return;
  const actions = {
    j: () => select(state.index + 1),
    k: () => select(state.index - 1),
    a: () => review('accept'),
    r: () => review('reject'),
    ' ': togglePlay,
    n: () => $('note')?.focus(),
    0: () => setTier('0'),
    1: () => setTier('1'),
    2: () => setTier('2'),
  };
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

// A select keeps focus after a change, which would swallow the shortcuts: hand focus back to the page.
filters.tier.addEventListener('change', () => { filters.reason.value = ''; filters.tier.blur(); load(); });
filters.label.addEventListener('change', () => { filters.reason.value = ''; filters.label.blur(); load(); });
filters.reason.addEventListener('change', () => {
  if (filters.reason.value) filters.tier.value = filters.label.value = '';
  filters.reason.blur();
  load();
});

const initial = new URLSearchParams(location.search);
for (const [name, select] of Object.entries(filters)) {
  const value = initial.get(name);
  if (value === null) continue;
  if (name === 'reason' && value && value !== 'any') select.append(el('option', { value }, value));
  select.value = value;
}
load();
