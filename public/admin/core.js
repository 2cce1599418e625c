// What every tab of the admin console shares: the session state, error handling (guard), table
// cells, dialogs (confirm, prompt, return of focus) and PagedTable, a server-paged, sortable,
// searchable, live table built on the shared CREST Pager (/pager.js).
import * as api from '/api.js';
import { $, h, replace, status } from '/dom.js';
import { Pager, renderPager } from '/pager.js';

export const state = {
  session: null,
  tab: null,
};

/** Set by admin.js: what a 401 does (back to the sign-in form). */
export const hooks = { signedOut: (_message) => {} };

/** Runs fn; 401 → sign in again; any other error is shown in the given status line. */
export async function guard(fn, where = '#page-status', { keepStatus = false } = {}) {
  try {
    if (!keepStatus) status($(where), '');
    return await fn();
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) hooks.signedOut('Your session has ended. Please sign in again.');
    else status($(where), api.errorMessage(e), 'error');
    return undefined;
  }
}

export const cell = (label, ...children) => h('td', { 'data-label': label }, ...children);
export const none = () => h('span', { class: 'muted' }, h('span', { 'aria-hidden': 'true' }, '—'), h('span', { class: 'sr-only' }, 'none'));
export const linkButton = (text, onclick, attrs = {}) => h('button', { type: 'button', class: 'link', onclick, ...attrs }, text);

/**
 * A business key as a short label: the source id (and the mapping, shortened) instead of
 * "mapping: …, sourceId: …, targetId: , reconId: …"; the full key goes in the title.
 */
export function shortKey(key) {
  if (!key) return none();
  const s = String(key);
  const parts = Object.fromEntries([...s.matchAll(/(\w+):\s*([^,]*)/g)].map((m) => [m[1], m[2].trim()]));
  let text = s;
  if (parts.sourceId || parts.targetId) {
    const mapping = parts.mapping ? `${parts.mapping.length > 18 ? `${parts.mapping.slice(0, 17)}…` : parts.mapping} / ` : '';
    text = mapping + (parts.sourceId || parts.targetId);
  } else if (s.length > 40) text = `${s.slice(0, 39)}…`;
  return h('span', { class: 'bkey', title: s, 'data-testid': 'business-key' }, text);
}

/**
 * After an action re-read a table, focus the same control of the same row again (the acting
 * button was disabled while busy, which drops focus, and the re-render replaced it).
 */
export function refocus(tableSel, key, focusName) {
  const tr = [...document.querySelectorAll(`${tableSel} tbody tr`)].find((r) => r.dataset.key === String(key));
  const el = tr && tr.querySelector(`[data-focus="${focusName}"]`);
  if (el) el.focus({ preventScroll: true });
}

// ---------- dialogs ----------

/**
 * Opens a <dialog> modally next to the user's place (it is centred in the viewport, never at the
 * page's end); Escape closes it and focus goes back to `opener`, or to the element matching
 * `openerSelector` when a live update replaced the opener meanwhile.
 */
export function openDialog(dlg, opener = document.activeElement, openerSelector = null) {
  dlg.returnTo = { el: opener, selector: openerSelector };
  if (!dlg.open) dlg.showModal();
  if (!dlg.dataset.wired) {
    dlg.dataset.wired = '1';
    dlg.addEventListener('close', () => {
      const r = dlg.returnTo || {};
      const el = r.el && r.el.isConnected ? r.el : r.selector ? document.querySelector(r.selector) : null;
      if (el && typeof el.focus === 'function') el.focus();
      dlg.dispatchEvent(new Event('closed'));
    });
  }
}

/** A modal yes/no question; resolves to true only for the confirming button. */
export function confirmAction(message, { ok = 'Confirm', danger = true } = {}) {
  const dlg = $('#confirm-dialog');
  $('#confirm-text').textContent = message;
  const okButton = $('#confirm-ok');
  okButton.textContent = ok;
  okButton.className = danger ? 'danger' : 'primary';
  return new Promise((resolve) => {
    const done = () => {
      dlg.removeEventListener('closed', done);
      resolve(dlg.returnValue === 'ok');
    };
    dlg.returnValue = '';
    dlg.addEventListener('closed', done);
    openDialog(dlg);
    $('#confirm-cancel').focus();
  });
}

/** A modal one-field question (a user id); resolves to the text, or null when canceled. */
export function askValue({ title, label, value = '', ok = 'OK', hint = '' }) {
  const dlg = $('#prompt-dialog');
  $('#prompt-title').textContent = title;
  $('#prompt-label').textContent = label;
  $('#prompt-hint').textContent = hint;
  const input = $('#prompt-input');
  input.value = value;
  $('#prompt-ok').textContent = ok;
  return new Promise((resolve) => {
    const done = () => {
      dlg.removeEventListener('closed', done);
      resolve(dlg.returnValue === 'ok' ? input.value.trim() : null);
    };
    dlg.returnValue = '';
    dlg.addEventListener('closed', done);
    openDialog(dlg);
    input.focus();
    input.select();
  });
}

// ---------- paged tables ----------

/**
 * A table paged, sorted, searched and counted by the server. `columns`: [{ label, sort?, desc? }]
 * (sort: the CREST sort key; desc: the first click sorts descending). `row(item)` returns a <tr>
 * with data-key set; focusable elements in it carry data-focus, so a live update puts focus back
 * on the same control of the same row.
 */
export class PagedTable {
  constructor({ name, label, path, columns, sortKeys, pageSize = 50, fields, filter = () => 'true', row, empty, statusSel }) {
    this.name = name;
    this.label = label;
    this.columns = columns;
    this.filter = filter;
    this.row = row;
    this.empty = empty;
    this.statusSel = statusSel || `#${name}-status`;
    this.table = $(`#${name}-table`);
    this.pagerEl = $(`#${name}-pager`);
    this.pager = new Pager(path, { pageSize, sortKeys, filter: filter(), fields });
    this.renderHead();
  }

  get rows() { return this.pager.rows; }

  renderHead() {
    const current = this.pager.sortKeys.split(',')[0];
    const key = current.replace(/^[-+]/, '');
    const desc = current.startsWith('-');
    replace($('thead', this.table), h('tr', {}, this.columns.map((c) => {
      if (!c.sort) return h('th', { scope: 'col' }, c.hidden ? h('span', { class: 'sr-only' }, c.label) : c.label);
      const sorted = c.sort === key;
      return h('th', { scope: 'col', 'aria-sort': sorted ? (desc ? 'descending' : 'ascending') : 'none' },
        h('button', {
          type: 'button', class: 'sort', 'data-sort': c.sort,
          onclick: () => guard(() => this.sortBy(c), this.statusSel),
        }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, sorted ? (desc ? ' ▼' : ' ▲') : '')));
    })));
  }

  async sortBy(c) {
    const current = this.pager.sortKeys.split(',')[0];
    const same = current.replace(/^[-+]/, '') === c.sort;
    const desc = same ? !current.startsWith('-') : !!c.desc;
    this.pager.reset({ sortKeys: `${desc ? '-' : ''}${c.sort}` });
    this.renderHead();
    await this.load();
    $(`thead button[data-sort="${c.sort}"]`, this.table)?.focus();
  }

  /** A new filter (search box, scope): back to page 1. */
  async search() {
    this.pager.reset({ filter: this.filter() });
    await this.load();
  }

  /** Reads the current page again (Refresh, and after an action). */
  async load() {
    await this.pager.load();
    this.render();
  }

  /** Live update: re-renders only when the page changed (If-None-Match), keeping focus and page. */
  async poll() {
    if (await this.pager.poll()) this.render();
  }

  render() {
    const tbody = $('tbody', this.table);
    const active = document.activeElement;
    let focusKey = null;
    if (active && tbody.contains(active)) {
      const tr = active.closest('tr');
      focusKey = tr && tr.dataset.key ? [tr.dataset.key, active.dataset.focus || ''] : null;
    }
    const rows = this.pager.rows.map((item) => this.row(item));
    replace(tbody, rows.length ? rows : h('tr', {}, h('td', { colspan: this.columns.length, class: 'muted' }, this.empty)));
    if (focusKey) {
      const tr = [...tbody.rows].find((r) => r.dataset.key === focusKey[0]);
      const target = tr && (focusKey[1] ? tr.querySelector(`[data-focus="${focusKey[1]}"]`) : null);
      if (target) target.focus({ preventScroll: true });
      else this.pagerEl.querySelector('.pager-range')?.focus?.();
    }
    this.table.dataset.total = String(this.pager.total);
    this.table.dataset.renders = String(Number(this.table.dataset.renders || 0) + 1);
    renderPager(this.pagerEl, this.pager, this.label, () => {
      const which = document.activeElement && document.activeElement.classList.contains('pager-prev') ? '.pager-prev' : '.pager-next';
      this.render();
      const b = this.pagerEl.querySelector(which);
      (b && !b.disabled ? b : this.pagerEl.querySelector('.pager-prev:not(:disabled), .pager-next:not(:disabled)'))?.focus();
    }, (e) => guard(() => { throw e; }, this.statusSel));
  }
}
