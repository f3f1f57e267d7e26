// valkey-queue dashboard: one hand-written ES module, no framework, no build step. Every value
// from the server is rendered as text (textContent via h()), never parsed as HTML.
const base = document.querySelector('meta[name="vq-base"]').content;
const main = document.getElementById('main');
const notice = document.getElementById('notice');
const live = document.getElementById('live');
let config = { readOnly: true, csrfHeader: 'x-vq-csrf', history: false };
let snapshot; // the last live snapshot
let onSnapshot; // the current page's live update, if any

/** An element: h('td', { className: 'num', onclick }, 'text', child). Strings become text nodes. */
function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'className') element.className = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

async function api(path, options = {}) {
  const init = { headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (options.method) {
    init.method = options.method;
    init.headers['content-type'] = 'application/json';
    init.headers[config.csrfHeader] = '1';
    init.body = JSON.stringify(options.body ?? {});
  }
  const response = await fetch(`${base}/api${path}`, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new Error(
      body.message ? `${body.message}${body.reason ? ` — ${body.reason}` : ''}` : response.statusText,
    );
  return body;
}

const post = (path, body) => api(path, { method: 'POST', body });
const q = (name) => encodeURIComponent(name);
const fmt = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString());
const when = (value) => (value ? new Date(value).toLocaleString() : '–');
const ago = (value) =>
  value ? `${Math.max(0, Math.round((Date.now() - new Date(value).getTime()) / 1000))} s ago` : '–';

function say(text, error = false) {
  notice.replaceChildren(h('p', { className: error ? 'error' : '' }, text));
}

/** Runs an action, reports its outcome, then re-renders the page. */
async function act(label, run) {
  try {
    const result = await run();
    say(`${label}: ${JSON.stringify(result)}`);
  } catch (error) {
    say(`${label} failed: ${error.message}`, true);
  }
  await route();
}

function actionButton(text, run, className) {
  if (config.readOnly) return null;
  return h('button', { type: 'button', className, onclick: () => act(text, run) }, text);
}

function sparkline(values, kind) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', `spark ${kind}`);
  svg.setAttribute('viewBox', '0 0 100 22');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${kind} over the last minutes`);
  const points = values ?? [];
  if (points.length > 1) {
    const max = Math.max(1, ...points);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute(
      'points',
      points
        .map((v, i) => `${((i / (points.length - 1)) * 100).toFixed(1)},${(21 - (v / max) * 20).toFixed(1)}`)
        .join(' '),
    );
    svg.append(line);
  }
  return svg;
}

const NUMERIC = new Set([
  'Waiting',
  'Pending',
  'Delayed',
  'Dead',
  'Consumers',
  'Lag',
  'In/s',
  'Out/s',
  'Attempt',
  'Attempts',
  'Runs',
  'Fencing token',
]);

function table(headers, rows) {
  return h(
    'table',
    null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((title) => h('th', { scope: 'col', className: NUMERIC.has(title) ? 'num' : '' }, title)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.length
        ? rows
        : h('tr', null, h('td', { colspan: headers.length, className: 'muted' }, 'Nothing here.')),
    ),
  );
}

/** Replaces the page's content (null and false children are left out). */
function show(...nodes) {
  main.replaceChildren(...nodes.flat().filter(Boolean));
}

/** A message's labels as `key=value` chips. */
const labelChips = (labels) =>
  Object.entries(labels ?? {}).map(([k, v]) => h('span', { className: 'chip' }, `${k}=${v}`));

const num = (field, value) => h('td', { className: 'num', 'data-field': field }, fmt(value));

// ---------------------------------------------------------------- overview
function overviewRow(row) {
  const history = snapshot?.history?.[row.name];
  // Per priority only when some message waits above priority 0; highest first.
  const byPriority = Object.entries(row.waitingByPriority ?? {}).sort(([a], [b]) => Number(b) - Number(a));
  const priorities = byPriority.some(([p]) => p !== '0')
    ? h(
        'div',
        { className: 'priorities' },
        byPriority.map(([p, n]) =>
          h('span', { className: 'chip', title: `priority ${p}` }, `p${p}: ${fmt(n)}`),
        ),
      )
    : null;
  return h(
    'tr',
    { 'data-queue': row.name, className: row.paused ? 'paused' : '' },
    h('td', null, h('a', { href: `#/queue/${q(row.name)}` }, row.name)),
    h('td', null, row.transport),
    h('td', { className: 'num' }, h('span', { 'data-field': 'waiting' }, fmt(row.waiting)), priorities),
    num('pending', row.pending),
    num('delayed', row.delayed),
    h(
      'td',
      { className: 'num', 'data-field': 'dead' },
      row.dead ? h('a', { href: `#/queue/${q(row.name)}/dead` }, fmt(row.dead)) : '0',
    ),
    num('consumers', row.consumers),
    num('lag', row.lag),
    num('in', row.rates?.in),
    num('out', row.rates?.out),
    h('td', null, sparkline(history?.out, 'out')),
    h('td', null, sparkline(history?.lag, 'lag')),
  );
}

async function overview(cursor) {
  const page = await api(`/queues?limit=100${cursor ? `&cursor=${q(cursor)}` : ''}`);
  const headers = [
    'Queue',
    'Transport',
    'Waiting',
    'Pending',
    'Delayed',
    'Dead',
    'Consumers',
    'Lag',
    'In/s',
    'Out/s',
    'Throughput',
    'Lag trend',
  ];
  const render = (rows) => table(headers, rows.map(overviewRow));
  let current = render(page.items);
  show(
    h('h1', null, `Queues (${fmt(page.total)})`),
    current,
    page.nextCursor
      ? h('p', null, h('button', { type: 'button', onclick: () => overview(page.nextCursor) }, 'Next page'))
      : null,
  );
  const names = new Set(page.items.map((row) => row.name));
  onSnapshot = (data) => {
    const rows = data.queues.filter((row) => names.has(row.name));
    if (rows.length === 0) return;
    const next = render(rows);
    current.replaceWith(next);
    current = next;
  };
}

// ---------------------------------------------------------------- one queue
function cards(row) {
  const card = (label, value, field) =>
    h('div', { className: 'card' }, h('b', { 'data-field': field }, fmt(value)), h('span', null, label));
  return h(
    'div',
    { className: 'cards', id: 'cards' },
    card('waiting', row.waiting, 'waiting'),
    card('pending', row.pending, 'pending'),
    card('delayed', row.delayed, 'delayed'),
    card('dead letters', row.dead, 'dead'),
    card('consumers', row.consumers, 'consumers'),
    card('lag', row.lag, 'lag'),
    card('processed', row.processed, 'processed'),
    card('in/s', row.rates?.in, 'in'),
    card('out/s', row.rates?.out, 'out'),
  );
}

function messageRows(items) {
  return items.map((m) =>
    h(
      'tr',
      { 'data-message': m.id ?? m.entryId },
      h('td', null, m.id ?? '–', m.entryId ? h('div', { className: 'muted' }, m.entryId) : null),
      h(
        'td',
        null,
        m.state,
        m.consumer
          ? h('div', { className: 'muted' }, `${m.consumer}, idle ${fmt(m.idleMs)} ms, ${m.deliveries}×`)
          : null,
        m.dueAt ? h('div', { className: 'muted' }, `due ${when(m.dueAt)}`) : null,
      ),
      h('td', { className: 'num' }, m.attempt),
      h('td', null, labelChips(m.labels)),
      h(
        'td',
        null,
        h(
          'details',
          null,
          h('summary', null, (m.payloadText ?? '').slice(0, 60) || '(no payload)'),
          h(
            'pre',
            null,
            JSON.stringify(
              { payload: m.payload ?? m.payloadText, headers: m.headers, createdAt: m.createdAt, raw: m.raw },
              null,
              2,
            ),
          ),
        ),
      ),
    ),
  );
}

async function queuePage(name) {
  const detail = await api(`/queues/${q(name)}`);
  const browser = h('div', { id: 'browser' });
  let state = 'waiting';
  const tabs = h('div', { className: 'tabs', role: 'group', 'aria-label': 'Messages' });
  const showMessages = async (cursor) => {
    const page = await api(
      `/queues/${q(name)}/messages?state=${state}&limit=25${cursor ? `&cursor=${q(cursor)}` : ''}`,
    );
    browser.replaceChildren(
      table(['Id', 'State', 'Attempt', 'Labels', 'Payload'], messageRows(page.items)),
      page.nextCursor
        ? h('button', { type: 'button', onclick: () => showMessages(page.nextCursor) }, 'More')
        : '',
    );
  };
  const renderTabs = () =>
    tabs.replaceChildren(
      ...['waiting', 'pending', 'delayed'].map((s) =>
        h(
          'button',
          {
            type: 'button',
            'aria-pressed': String(s === state),
            onclick: () => {
              state = s;
              renderTabs();
              showMessages();
            },
          },
          s,
        ),
      ),
    );
  renderTabs();
  const findInput = h('input', { name: 'id', placeholder: 'message id', 'aria-label': 'Message id' });
  const found = h('div');
  const find = h(
    'form',
    {
      className: 'toolbar',
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const message = await api(`/queues/${q(name)}/messages/${q(findInput.value.trim())}`);
          found.replaceChildren(
            table(['Id', 'State', 'Attempt', 'Labels', 'Payload'], messageRows([message])),
          );
        } catch (error) {
          found.replaceChildren(h('p', { className: 'bad' }, error.message));
        }
      },
    },
    h('label', null, 'Find by id', findInput),
    h('button', { type: 'submit' }, 'Find'),
  );
  let figures = cards(detail);
  show(
    h(
      'h1',
      null,
      name,
      detail.paused
        ? h('span', { className: 'chip', id: 'state' }, 'paused')
        : h('span', { className: 'chip', id: 'state' }, 'running'),
    ),
    h(
      'div',
      { className: 'toolbar' },
      detail.paused
        ? actionButton('Resume', () => post(`/queues/${q(name)}/resume`), 'primary')
        : actionButton('Pause', () => post(`/queues/${q(name)}/pause`)),
      h('a', { href: `#/queue/${q(name)}/dead` }, `Dead letters (${fmt(detail.dead)})`),
      h('a', { href: `#/queue/${q(name)}/delayed` }, `Delayed (${fmt(detail.delayed)})`),
    ),
    figures,
    h('h2', null, 'Consumer groups'),
    table(
      ['Group', 'Consumers', 'Pending', 'Lag', 'Last delivered'],
      detail.groups.map((g) =>
        h(
          'tr',
          null,
          h('td', null, g.name),
          h('td', { className: 'num' }, g.consumers.length),
          h('td', { className: 'num' }, fmt(g.pending)),
          h('td', { className: 'num' }, fmt(g.lag)),
          h('td', null, g.lastDeliveredId),
        ),
      ),
    ),
    h('h2', null, 'Consumers'),
    table(
      ['Consumer', 'Group', 'Pending', 'Idle'],
      detail.groups.flatMap((g) =>
        g.consumers.map((c) =>
          h(
            'tr',
            null,
            h('td', null, c.name),
            h('td', null, g.name),
            h('td', { className: 'num' }, fmt(c.pending)),
            h('td', { className: 'num' }, `${fmt(c.idleMs)} ms`),
          ),
        ),
      ),
    ),
    detail.parkedOrderingKeys.length
      ? [
          h('h2', null, 'Parked ordering keys'),
          table(
            ['Ordering key', 'Parked', ''],
            detail.parkedOrderingKeys.map((p) =>
              h(
                'tr',
                { 'data-parked': p.orderingKey },
                h('td', null, p.orderingKey),
                h('td', null, ago(p.parkedAt)),
                h(
                  'td',
                  null,
                  actionButton('Release', () =>
                    post(`/queues/${q(name)}/ordering/release`, { key: p.orderingKey }),
                  ),
                ),
              ),
            ),
          ),
        ]
      : null,
    h('h2', null, 'Messages'),
    find,
    found,
    tabs,
    browser,
  );
  await showMessages();
  onSnapshot = (data) => {
    const row = data.queues.find((r) => r.name === name);
    if (!row) return;
    const next = cards(row);
    figures.replaceWith(next);
    figures = next;
  };
}

// ---------------------------------------------------------------- filter forms
/** Text, label and time filters, shared by the dead-letter and history pages. */
const COMMON_FILTERS = [
  { key: 'text', label: 'Text' },
  { key: 'label', label: 'Label (key=value)' },
  { key: 'from', label: 'From', type: 'datetime-local' },
  { key: 'to', label: 'To', type: 'datetime-local' },
];

/**
 * A filter form over `fields` ({ key, label, options?, type? }), filled from `params`. On submit it
 * calls `search` with the new query: `label` as `label.<key>=<value>`, times as ISO strings.
 */
function filterForm(params, fields, submitText, search) {
  const control = ({ key, options, type }) =>
    options
      ? h(
          'select',
          { name: key },
          ['', ...options].map((o) => h('option', { value: o, selected: params.get(key) === o }, o || 'any')),
        )
      : h('input', { name: key, value: params.get(key) ?? '', type });
  const form = h(
    'form',
    {
      className: 'toolbar',
      onsubmit: (event) => {
        event.preventDefault();
        const next = new URLSearchParams();
        for (const [key, value] of new FormData(form)) {
          if (!value) continue;
          if (key === 'label') {
            const [k, ...v] = String(value).split('=');
            next.set(`label.${k}`, v.join('='));
          } else if (key === 'from' || key === 'to') next.set(key, new Date(String(value)).toISOString());
          else next.set(key, String(value));
        }
        search(next);
      },
    },
    fields.map((field) => h('label', null, field.label, control(field))),
    h('button', { type: 'submit' }, submitText),
  );
  return form;
}

// ---------------------------------------------------------------- dead letters
async function deadPage(name, params = new URLSearchParams()) {
  const page = await api(`/queues/${q(name)}/dead-letters?${params}`);
  const selected = new Set();
  const filters = filterForm(
    params,
    [{ key: 'reason', label: 'Reason', options: ['dead', 'broken', 'expired'] }, ...COMMON_FILTERS],
    'Filter',
    (next) => deadPage(name, next).catch(fail),
  );
  const filterBody = () => {
    const filter = {};
    for (const [key, value] of params) {
      if (key.startsWith('label.')) (filter.labels ??= {})[key.slice(6)] = value;
      else if (key !== 'cursor' && key !== 'limit') filter[key] = value;
    }
    return { filter };
  };
  const rows = page.items.map((d) =>
    h(
      'tr',
      { 'data-dead': d.id ?? d.entryId },
      config.readOnly
        ? null
        : h(
            'td',
            null,
            h('input', {
              type: 'checkbox',
              'aria-label': `select ${d.id ?? d.entryId}`,
              onchange: (e) =>
                e.target.checked ? selected.add(d.id ?? d.entryId) : selected.delete(d.id ?? d.entryId),
            }),
          ),
      h('td', null, d.id ?? '–'),
      h('td', null, d.reason),
      h('td', { className: 'bad' }, d.error),
      h('td', { className: 'num' }, d.attempts),
      h('td', null, labelChips(d.labels)),
      h('td', null, ago(d.failedAt)),
      h(
        'td',
        null,
        h(
          'details',
          null,
          h('summary', null, (d.payloadText ?? '').slice(0, 40) || '(raw)'),
          h(
            'pre',
            null,
            JSON.stringify({ payload: d.payload ?? d.payloadText, headers: d.headers, raw: d.raw }, null, 2),
          ),
        ),
      ),
      config.readOnly
        ? null
        : h(
            'td',
            null,
            d.id && d.redrivable
              ? actionButton(
                  'Redrive',
                  () => post(`/queues/${q(name)}/dead-letters/redrive`, { ids: [d.id] }),
                  'primary',
                )
              : null,
            actionButton(
              'Delete',
              () => post(`/queues/${q(name)}/dead-letters/delete`, { ids: [d.id ?? d.entryId] }),
              'danger',
            ),
          ),
    ),
  );
  show(
    h('h1', null, 'Dead letters of ', h('a', { href: `#/queue/${q(name)}` }, name)),
    filters,
    h(
      'div',
      { className: 'toolbar' },
      actionButton('Redrive selected', () =>
        post(`/queues/${q(name)}/dead-letters/redrive`, { ids: [...selected] }),
      ),
      actionButton(
        'Delete selected',
        () => post(`/queues/${q(name)}/dead-letters/delete`, { ids: [...selected] }),
        'danger',
      ),
      actionButton('Redrive all matching', () =>
        post(`/queues/${q(name)}/dead-letters/redrive`, filterBody()),
      ),
      actionButton(
        'Delete all matching',
        () => post(`/queues/${q(name)}/dead-letters/delete`, filterBody()),
        'danger',
      ),
    ),
    table(
      [
        config.readOnly ? null : '',
        'Id',
        'Reason',
        'Error',
        'Attempts',
        'Labels',
        'Failed',
        'Payload',
        config.readOnly ? null : 'Actions',
      ].filter((x) => x !== null),
      rows,
    ),
    page.nextCursor
      ? h(
          'button',
          {
            type: 'button',
            onclick: () => {
              params.set('cursor', page.nextCursor);
              deadPage(name, params).catch(fail);
            },
          },
          'Next page',
        )
      : null,
  );
}

// ---------------------------------------------------------------- delayed
async function delayedPage(name, cursor) {
  const page = await api(
    `/queues/${q(name)}/messages?state=delayed&limit=50${cursor ? `&cursor=${cursor}` : ''}`,
  );
  show(
    h('h1', null, 'Delayed messages of ', h('a', { href: `#/queue/${q(name)}` }, name)),
    table(
      ['Id', 'Due', 'Attempt', 'Labels', 'Actions'],
      page.items.map((m) =>
        h(
          'tr',
          { 'data-delayed': m.id },
          h('td', null, m.id),
          h('td', null, when(m.dueAt)),
          h('td', { className: 'num' }, m.attempt),
          h('td', null, labelChips(m.labels)),
          h(
            'td',
            null,
            actionButton(
              'Promote now',
              () => post(`/queues/${q(name)}/delayed/${q(m.id)}/promote`),
              'primary',
            ),
            actionButton('Cancel', () => post(`/queues/${q(name)}/delayed/${q(m.id)}/cancel`), 'danger'),
          ),
        ),
      ),
    ),
    page.nextCursor
      ? h(
          'button',
          { type: 'button', onclick: () => delayedPage(name, page.nextCursor).catch(fail) },
          'Next page',
        )
      : null,
  );
}

// ---------------------------------------------------------------- schedules, ownership, history
async function schedulesPage() {
  const { items } = await api('/schedules');
  const path = (s, action) => `/schedules/${q(s.name)}/${action}`;
  show(
    h('h1', null, 'Schedules'),
    table(
      ['Name', 'Queue', 'Timing', 'Catch-up', 'Runs', 'Last', 'Next', 'Actions'],
      items.map((s) =>
        h(
          'tr',
          { 'data-schedule': s.name },
          h('td', null, s.name, s.paused ? h('span', { className: 'chip' }, 'paused') : null),
          h(
            'td',
            { 'data-field': 'target' },
            h('a', { href: `#/queue/${q(s.queue)}` }, s.queue),
            s.priority > 0 ? h('span', { className: 'chip', title: 'priority' }, `p${s.priority}`) : null,
            s.orderingKey
              ? h('span', { className: 'chip', title: 'ordering key' }, `key ${s.orderingKey}`)
              : null,
            labelChips(s.labels),
          ),
          h('td', null, s.cron ? `cron ${s.cron} (${s.timezone})` : `every ${fmt(s.every)} ms`),
          h('td', null, s.catchUp),
          h('td', { className: 'num', 'data-field': 'runs' }, fmt(s.runs)),
          h('td', null, when(s.lastRunAt)),
          h('td', null, s.paused ? 'paused' : when(s.nextRunAt)),
          h(
            'td',
            null,
            s.paused
              ? actionButton('Resume', () => post(path(s, 'resume')))
              : actionButton('Pause', () => post(path(s, 'pause'))),
            actionButton('Trigger now', () => post(path(s, 'trigger')), 'primary'),
            actionButton(
              'Remove',
              () => confirm(`Remove schedule ${s.name}?`) && post(path(s, 'remove')),
              'danger',
            ),
          ),
        ),
      ),
    ),
  );
}

async function ownershipPage() {
  const own = await api('/ownership');
  show(
    h('h1', null, 'Stream ownership'),
    own.configured
      ? table(
          ['Stream', 'Holder', 'Fencing token', 'Lease expires'],
          own.streams.map((s) =>
            h(
              'tr',
              null,
              h('td', null, s.stream),
              h('td', null, s.owner ?? h('span', { className: 'muted' }, 'none')),
              h('td', { className: 'num' }, fmt(s.token)),
              h('td', null, when(s.leaseExpiresAt)),
            ),
          ),
        )
      : h(
          'p',
          { className: 'muted' },
          'Stream ownership is not configured in this app (ValkeyQueueOptions.ownership).',
        ),
  );
}

const HISTORY_STATES = ['waiting', 'delayed', 'active', 'succeeded', 'retrying', 'dead', 'broken', 'expired'];

/** Task history search (PostgreSQL): filters in the query string, newest first, a cursor per page. */
async function historyPage(params = new URLSearchParams()) {
  if (!params.has('limit')) params.set('limit', '50');
  let page;
  try {
    page = await api(`/history?${params}`);
  } catch (error) {
    show(h('h1', null, 'History'), h('p', { className: 'muted' }, error.message));
    return;
  }
  const form = filterForm(
    params,
    [
      { key: 'queue', label: 'Queue' },
      { key: 'state', label: 'State', options: HISTORY_STATES },
      { key: 'id', label: 'Message id' },
      ...COMMON_FILTERS,
    ],
    'Search',
    (next) => historyPage(next).catch(fail),
  );
  const rows = page.items.map((r) =>
    h(
      'tr',
      { 'data-history': r.id },
      h('td', null, h('a', { href: `#/history/${q(r.id)}` }, r.id)),
      h('td', null, r.queue),
      h('td', null, h('span', { className: `chip state-${r.state}` }, r.state)),
      h('td', { className: 'num' }, r.priority),
      h('td', { className: 'num' }, r.attempts),
      h('td', null, labelChips(r.labels)),
      h('td', { className: 'bad' }, r.error ?? ''),
      h('td', null, when(r.updatedAt)),
    ),
  );
  const next = () => {
    const more = new URLSearchParams(params);
    more.set('cursor', page.nextCursor);
    historyPage(more).catch(fail);
  };
  show(
    h('h1', null, 'History'),
    form,
    h(
      'table',
      null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Message', 'Queue', 'State', 'Priority', 'Attempts', 'Labels', 'Last error', 'Updated'].map((c) =>
            h('th', null, c),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.length ? rows : h('tr', null, h('td', { colspan: 8, className: 'muted' }, 'No messages match.')),
      ),
    ),
    page.nextCursor ? h('p', null, h('button', { onclick: next }, 'Next page')) : null,
  );
}

/** One message's life: its row and every event in order. */
async function historyRecordPage(id) {
  const record = await api(`/history/${q(id)}`);
  show(
    h('h1', null, 'Message ', id),
    h(
      'dl',
      { className: 'facts' },
      [
        ['Queue', record.queue],
        ['State', record.state],
        ['Priority', record.priority],
        ['Attempts', record.attempts],
        ['Created', when(record.createdAt)],
        ['Updated', when(record.updatedAt)],
        ['Duration', record.durationMs === undefined ? '–' : `${record.durationMs} ms`],
        ['Last error', record.error ?? '–'],
      ].flatMap(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
    ),
    h('h2', null, 'Timeline'),
    h(
      'table',
      null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['When', 'Event', 'Attempt', 'Consumer', 'Error'].map((c) => h('th', null, c)),
        ),
      ),
      h(
        'tbody',
        null,
        record.events.map((e) =>
          h(
            'tr',
            { 'data-event': e.type },
            h('td', null, when(e.at)),
            h('td', null, e.type),
            h('td', { className: 'num' }, e.attempt ?? ''),
            h('td', null, e.consumer ?? ''),
            h('td', { className: 'bad' }, e.error ?? ''),
          ),
        ),
      ),
    ),
    record.payload === undefined
      ? null
      : h('details', null, h('summary', null, 'Payload'), h('pre', null, record.payload)),
  );
}

// ---------------------------------------------------------------- routing and live updates
function fail(error) {
  show(h('h1', null, 'Something went wrong'), h('p', { className: 'bad' }, error.message));
}

async function route() {
  onSnapshot = undefined;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  try {
    if (parts[0] === 'queue' && parts[1] && parts[2] === 'dead') await deadPage(parts[1]);
    else if (parts[0] === 'queue' && parts[1] && parts[2] === 'delayed') await delayedPage(parts[1]);
    else if (parts[0] === 'queue' && parts[1]) await queuePage(parts[1]);
    else if (parts[0] === 'schedules') await schedulesPage();
    else if (parts[0] === 'ownership') await ownershipPage();
    else if (parts[0] === 'history' && parts[1]) await historyRecordPage(parts[1]);
    else if (parts[0] === 'history') await historyPage();
    else await overview();
    document.body.dataset.ready = location.hash || '#/';
  } catch (error) {
    fail(error);
  }
}

function connect() {
  const events = new EventSource(`${base}/api/events`);
  events.onmessage = (event) => {
    snapshot = JSON.parse(event.data);
    live.textContent = snapshot.error
      ? `refresh failed: ${snapshot.error}`
      : `live · ${new Date(snapshot.at).toLocaleTimeString()}`;
    document.body.dataset.snapshot = String(snapshot.at);
    onSnapshot?.(snapshot);
  };
  events.onerror = () => (live.textContent = 'reconnecting…');
}

config = await api('/config').catch(() => config);
if (config.readOnly) document.body.classList.add('read-only');
window.addEventListener('hashchange', route);
await route();
connect();
