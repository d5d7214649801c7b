// Blind judge page: one context, two replies (the real one and the adapter's), pick the real one,
// then rate the generated one. Talks to the JSON API of web/judge/judge-server.ts, which withholds
// the answer until a pick is recorded.
const $ = (id) => document.getElementById(id);
const state = { data: null, items: [], index: 0, busy: false };
const RATINGS = ['obviously a model', 'mostly off', 'passable', 'good', 'could be chat'];

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error || `${res.status}`);
  return body;
}
const post = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const firstOpen = () => {
  const i = state.items.findIndex((item) => !item.judgment);
  return i < 0 ? state.items.length : i;
};

async function load() {
  try {
    state.data = await api('/api/items');
    state.items = state.data.items;
    state.index = firstOpen();
    render();
  } catch (error) {
    setStatus(String(error.message || error), true);
  }
}

function renderHeader() {
  const { data } = state;
  const judged = state.items.filter((i) => i.judgment).length;
  const saving = state.items.filter((i) => i.pending).length;
  $('eval').textContent = `${data.eval_id}${data.run_id ? ` · run ${data.run_id}` : ''} · reviewer ${data.reviewer}`;
  const at = state.index < state.items.length ? `item ${state.index + 1} of ${state.items.length}` : `${state.items.length} items`;
  $('progress').textContent = `${at} · ${judged} judged${saving ? ` (${saving} saving)` : ''} (sample of ${data.total})`;
  const s = data.summary;
  $('score').textContent = s.judged
    ? `correct picks ${Math.round(s.correct_share * s.judged)} of ${s.judged} (${Math.round(s.correct_share * 100)} %) · mean rating ${s.mean_rating.toFixed(1)}`
    : 'correct picks: none judged yet';
}

function replyCard(item, k) {
  const pick = item.pick;
  const classes = ['reply'];
  if (pick) classes.push(k === pick.real_index ? 'real' : 'generated', k === pick.picked ? 'picked' : 'other');
  const tag = pick ? el('span', { class: 'tag' }, k === pick.real_index ? 'real' : 'generated', k === pick.picked ? ' · your pick' : '') : null;
  return el('button', { class: classes.join(' '), id: `reply-${k + 1}`, disabled: Boolean(pick), onclick: () => choose(k) },
    el('span', { class: 'key' }, String(k + 1)), el('span', { class: 'text' }, item.replies[k]), tag);
}

function render() {
  renderHeader();
  const main = $('item');
  const item = state.items[state.index];
  if (!item) {
    const s = state.data.summary;
    main.replaceChildren(el('section', { class: 'done', id: 'done' },
      el('h2', {}, 'All items judged'),
      el('p', {}, s.judged ? `You picked the real reply ${Math.round(s.correct_share * 100)} % of the time (50 % is chance); the generated replies rated ${s.mean_rating.toFixed(2)} on average.` : 'Nothing judged.')));
    return;
  }
  const pick = item.pick;
  const parts = [
    el('div', { class: 'label muted' }, 'context'),
    el('pre', { class: 'context', id: 'context' }, item.context || '(no context)'),
    el('div', { class: 'label muted' }, pick ? 'replies' : 'which reply is the real chat message?'),
    el('div', { class: 'replies' }, replyCard(item, 0), replyCard(item, 1)),
  ];
  if (pick) {
    const right = pick.picked === pick.real_index;
    parts.push(el('p', { class: `verdict ${right ? 'right' : 'wrong'}`, id: 'verdict' },
      right ? `Right: reply ${pick.real_index + 1} was real.` : `Wrong: reply ${pick.real_index + 1} was real; you picked the generated one.`));
    const rated = item.judgment?.rating ?? item.pending;
    parts.push(el('div', { class: 'rating', id: 'rating' },
      el('span', { class: 'muted' }, `Rate the generated reply (${2 - pick.real_index}):`),
      ...RATINGS.map((label, i) => el('button', { class: `rate${rated === i + 1 ? ' chosen' : ''}`, dataset: { rating: String(i + 1) }, disabled: Boolean(item.judgment || item.pending), onclick: () => rate(i + 1) },
        el('span', { class: 'key' }, String(i + 1)), ` ${label}`))));
  }
  main.replaceChildren(...parts);
}

async function choose(k) {
  const item = state.items[state.index];
  if (!item || item.pick || state.busy) return;
  state.busy = true;
  try {
    const saved = await post('/api/picks', { pair_id: item.pair_id, picked: k });
    item.pick = { picked: saved.picked, real_index: saved.real_index };
    setStatus('');
  } catch (error) {
    setStatus(`could not record the pick: ${error.message || error}`, true);
  } finally {
    state.busy = false;
  }
  render();
}

// Saving may take a lake commit (a second or two with --lake), so the page moves on at once and
// updates the score when the server confirms; the pick is already recorded, so nothing is lost.
async function rate(rating) {
  const item = state.items[state.index];
  if (!item || !item.pick || item.judgment || item.pending || state.busy) return;
  item.pending = rating;
  const next = state.items.findIndex((it, i) => i > state.index && !it.judgment && !it.pending);
  state.index = next >= 0 ? next : state.items.findIndex((it) => !it.judgment && !it.pending);
  if (state.index < 0) state.index = state.items.length;
  render();
  try {
    const saved = await post('/api/judgments', { pair_id: item.pair_id, rating });
    item.judgment = { picked_real: saved.judgment.picked_real, rating: saved.judgment.rating, judged_at: saved.judgment.judged_at };
    state.data.summary = saved.summary;
    setStatus(saved.lake_error ? `saved to judgments.jsonl, not to the lake: ${saved.lake_error}` : `saved: ${item.pair_id}`, Boolean(saved.lake_error));
  } catch (error) {
    setStatus(`could not save the rating of ${item.pair_id} (← to go back): ${error.message || error}`, true);
  } finally {
    item.pending = null;
  }
  // Redraw only what changed under the reviewer: the header, or the item if it is on screen.
  if (state.items[state.index] === item || state.index >= state.items.length) render();
  else renderHeader();
}

function move(step) {
  state.index = Math.min(Math.max(state.index + step, 0), state.items.length);
  render();
}

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const item = state.items[state.index];
  if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
    event.preventDefault();
    move(event.key === 'ArrowLeft' ? -1 : 1);
    return;
  }
  if (!item || !/^[1-5]$/.test(event.key)) return;
  const n = Number(event.key);
  event.preventDefault();
  if (!item.pick) {
    if (n <= 2) choose(n - 1);
  } else if (!item.judgment && !item.pending) rate(n);
});

load();
