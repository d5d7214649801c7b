// Replay page: the VOD playing, real chat on the left and generated chat on the right, both shown
// up to the playhead; the transcript marks what chat is reacting to (playhead − estimated lag).
// Talks to web/replay/replay-server.ts (GET /api/replay, GET /media with Range requests).
const byId = (id) => document.getElementById(id);
/** Messages kept on screen per column: enough to fill it, few enough to rebuild on every seek. */
const SHOWN = 80;

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

const clock = (ms) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};

/** How many items start at or before `t` (items sorted by start). */
function countUpTo(starts, t) {
  let lo = 0, hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The lag segment in force at chat time `t` (segments span chat time); the nearest one outside them. */
function lagAt(lag, t) {
  if (lag.length === 0) return null;
  return lag.find((s) => t >= s.from_ms && t < s.to_ms) ?? (t < lag[0].from_ms ? lag[0] : lag[lag.length - 1]);
}

function setStatus(text, isError = false) {
  const status = byId('status');
  status.textContent = text;
  status.className = isError ? 'error' : '';
}

function makeColumn(column) {
  const root = byId(`col-${column.id}`);
  root.querySelector('.label').textContent = column.label;
  const list = root.querySelector('.messages');
  const starts = column.messages.map((m) => m[0]);
  let shown = -1;
  return {
    starts,
    render(t) {
      const n = countUpTo(starts, t);
      if (n === shown) return;
      shown = n;
      root.dataset.shown = String(n);
      root.querySelector('.count').textContent = `${n} / ${starts.length}`;
      const items = column.messages.slice(Math.max(0, n - SHOWN), n).map(([offset, author, text]) => {
        const li = node('li');
        li.dataset.offsetMs = String(offset);
        li.append(node('time', '', clock(offset)), node('span', 'author', author || '(anonymous)'), node('span', 'text', text));
        return li;
      });
      list.replaceChildren(...items);
      list.scrollTop = list.scrollHeight;
    },
  };
}

function makeTranscript(lines) {
  const list = byId('transcript');
  const items = lines.map((line) => {
    const li = node('li');
    li.append(node('time', '', clock(line.start_ms)), document.createTextNode(line.text));
    return li;
  });
  list.replaceChildren(...items);
  if (lines.length === 0) list.append(node('li', '', 'no transcript'));
  const starts = lines.map((l) => l.start_ms);
  let marked = { now: -1, reacted: -1 };
  const mark = (cls, index) => {
    if (marked[cls] >= 0) items[marked[cls]]?.classList.remove(cls);
    if (index >= 0) items[index]?.classList.add(cls);
    marked = { ...marked, [cls]: index };
  };
  return {
    render(t, reactedAt) {
      const now = countUpTo(starts, t) - 1;
      const reacted = reactedAt === null ? -1 : countUpTo(starts, reactedAt) - 1;
      if (now === marked.now && reacted === marked.reacted) return;
      mark('now', now);
      mark('reacted', reacted);
      const target = items[reacted >= 0 ? reacted : now];
      if (target) list.scrollTop = target.offsetTop - list.clientHeight / 2;
    },
  };
}

function makeTimeline(canvas, columns, durationMs, seek) {
  // Chat per bucket, real above the middle and generated below; buckets follow the known duration.
  let counts = null, bucketMs = 0, peak = 1;
  const count = (duration) => {
    bucketMs = Math.max(1000, Math.ceil(duration / 200));
    const buckets = Math.max(1, Math.ceil(duration / bucketMs));
    counts = columns.map((c) => {
      const out = new Array(buckets).fill(0);
      for (const start of c.starts) out[Math.min(buckets - 1, Math.floor(start / bucketMs))]++;
      return out;
    });
    peak = Math.max(1, ...counts.flat());
    counts.duration = duration;
  };
  canvas.addEventListener('click', (event) => {
    const box = canvas.getBoundingClientRect();
    seek(((event.clientX - box.left) / box.width) * durationMs());
  });
  return {
    render(t, reactedAt) {
      const duration = durationMs();
      if (!counts || counts.duration !== duration) count(duration);
      const width = (canvas.width = canvas.clientWidth * devicePixelRatio);
      const height = (canvas.height = canvas.clientHeight * devicePixelRatio);
      const ctx = canvas.getContext('2d');
      const half = height / 2;
      const w = (bucketMs / duration) * width;
      ['#4c7bd9', '#c0569a'].forEach((color, side) => {
        ctx.fillStyle = color;
        counts[side].forEach((n, i) => {
          const h = (n / peak) * (half - 2);
          ctx.fillRect(i * w, side === 0 ? half - h : half, Math.max(1, w - 1), h);
        });
      });
      const x = (ms) => (ms / duration) * width;
      if (reactedAt !== null) {
        ctx.fillStyle = '#e0b000';
        ctx.fillRect(x(reactedAt) - 1, 0, 2 * devicePixelRatio, height);
      }
      ctx.fillStyle = '#111';
      ctx.fillRect(x(t) - 1, 0, 2 * devicePixelRatio, height);
    },
  };
}

async function main() {
  const res = await fetch('/api/replay');
  if (!res.ok) throw new Error(`loading the replay failed: ${res.status}`);
  const data = await res.json();
  byId('vod').textContent = `${data.vod_id}${data.title ? ` · ${data.title}` : ''}`;
  byId('sources').textContent = `real: ${data.columns[0].source} · generated: ${data.columns[1].source || '—'} · lag from ${data.align ?? 'no alignment'}`;

  const media = document.createElement(data.media.kind);
  media.src = data.media.url;
  media.controls = true;
  media.preload = 'auto';
  byId('player').append(media);

  const columns = data.columns.map(makeColumn);
  const transcript = makeTranscript(data.transcript);
  const lastMessage = Math.max(0, ...columns.map((c) => c.starts.at(-1) ?? 0));
  const durationMs = () => (Number.isFinite(media.duration) && media.duration > 0 ? media.duration * 1000 : data.duration_ms ?? lastMessage + 1000);
  const seek = (ms) => {
    media.currentTime = Math.max(0, Math.min(ms, durationMs())) / 1000;
    render();
  };
  const timeline = makeTimeline(byId('timeline'), columns, durationMs, seek);
  const lagBadge = byId('lag');

  function render() {
    const t = media.currentTime * 1000;
    const segment = lagAt(data.lag, t);
    const reactedAt = segment ? Math.max(0, t - segment.lag_ms) : null;
    for (const column of columns) column.render(t);
    transcript.render(t, reactedAt);
    timeline.render(t, reactedAt);
    byId('clock').textContent = `${clock(t)} / ${clock(durationMs())}`;
    if (segment) {
      lagBadge.dataset.lagMs = String(segment.lag_ms);
      lagBadge.textContent = `chat lag ≈ ${(segment.lag_ms / 1000).toFixed(1)} s (${segment.method}, confidence ${segment.confidence.toFixed(2)})`;
    } else lagBadge.textContent = 'chat lag: unknown (no alignment)';
  }

  let frame = 0;
  const loop = () => {
    render();
    frame = media.paused ? 0 : requestAnimationFrame(loop);
  };
  media.addEventListener('play', () => { if (!frame) frame = requestAnimationFrame(loop); });
  for (const event of ['seeked', 'timeupdate', 'loadedmetadata', 'pause']) media.addEventListener(event, render);
  media.addEventListener('error', () => setStatus(`the media cannot be played here (${data.media.content_type})`, true));
  window.addEventListener('resize', render);
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target === media) return;
    if (event.key === ' ') {
      event.preventDefault();
      if (media.paused) void media.play();
      else media.pause();
    } else if (event.key === 'ArrowLeft') seek(media.currentTime * 1000 - 5000);
    else if (event.key === 'ArrowRight') seek(media.currentTime * 1000 + 5000);
  });
  render();
  document.body.dataset.ready = 'true';
}

main().catch((error) => setStatus(error.message, true));
