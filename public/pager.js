// Server-side paging for every table of the inbox and the console, through the CREST query
// parameters the API speaks: _queryFilter, _sortKeys, _pageSize, _pagedResultsCookie and
// _totalPagedResultsPolicy=EXACT. The server filters, sorts and counts; the page holds one page.
//
// A Pager remembers the cookies of the pages before the current one, so "Previous" re-reads the
// page it came from (CREST cookies only go forward).
import * as api from '/api.js';
import { h, replace } from '/dom.js';

export class Pager {
  /**
   * path: the collection ("/workflow/taskinstance"); opts: { pageSize, sortKeys, filter, fields }.
   * sortKeys is CREST's form: "-createTime" is newest first.
   */
  constructor(path, { pageSize = 50, sortKeys = '-_id', filter = 'true', fields } = {}) {
    this.path = path;
    this.pageSize = pageSize;
    this.sortKeys = sortKeys;
    this.filter = filter;
    this.fields = fields;
    this.cookies = [null]; // cookies[i] reads page i
    this.index = 0;
    this.total = -1;
    this.next = null;
    this.rows = [];
    this.etag = null;
    this.text = undefined;
  }

  /** Starts again at the first page (a new filter or sort). */
  reset({ filter, sortKeys } = {}) {
    if (filter !== undefined) this.filter = filter;
    if (sortKeys !== undefined) this.sortKeys = sortKeys;
    this.cookies = [null];
    this.index = 0;
    this.etag = null;
  }

  /** The query URL of the current page. */
  url() {
    return this.path + api.qs({
      _queryFilter: this.filter,
      _sortKeys: this.sortKeys,
      _pageSize: this.pageSize,
      _pagedResultsCookie: this.cookies[this.index] ?? undefined,
      _totalPagedResultsPolicy: 'EXACT',
      _fields: this.fields,
    });
  }

  /** Reads the current page; resolves to its rows. */
  async load() {
    const r = await api.getIfChanged(this.url());
    this.accept(r);
    // A page emptied by others' work (tasks completed meanwhile): step back to one that has rows.
    if (!this.rows.length && this.index > 0) {
      this.index -= 1;
      return this.load();
    }
    return this.rows;
  }

  /**
   * Re-reads the current page for live updates, with If-None-Match: resolves to true when the
   * page changed (rows, total or next cookie), false on 304 or an identical answer.
   */
  async poll() {
    const r = await api.getIfChanged(this.url(), this.etag);
    if (!r.changed) return false;
    if (r.text === this.text) {
      this.etag = r.etag || null;
      return false;
    }
    this.accept(r);
    if (!this.rows.length && this.index > 0) {
      this.index -= 1;
      await this.load();
    }
    return true;
  }

  accept(r) {
    const res = r.body || {};
    this.etag = r.etag || null;
    this.text = r.text;
    this.rows = res.result || [];
    this.total = typeof res.totalPagedResults === 'number' ? res.totalPagedResults : -1;
    this.next = res.pagedResultsCookie || null;
  }

  hasPrevious() { return this.index > 0; }
  hasNext() { return !!this.next; }

  async forward() {
    if (!this.next) return this.rows;
    this.cookies[this.index + 1] = this.next;
    this.cookies.length = this.index + 2;
    this.index += 1;
    return this.load();
  }

  async back() {
    if (!this.index) return this.rows;
    this.index -= 1;
    return this.load();
  }

  /** "1–50 of 1,234" (or "none" when empty). */
  rangeText() {
    if (!this.rows.length) return 'none';
    const first = this.index * this.pageSize + 1;
    const last = first + this.rows.length - 1;
    const of = this.total >= 0 ? ` of ${this.total.toLocaleString('en')}` : '';
    return `${first.toLocaleString('en')}–${last.toLocaleString('en')}${of}`;
  }
}

/**
 * Renders the pager's controls into `el`: the range and Previous / Next buttons. `label` names
 * the table for screen readers ("tasks"); onChange(rows) is called after a move; onError(error),
 * when given, gets a failed move (else it is rethrown).
 */
export function renderPager(el, pager, label, onChange, onError) {
  const move = (fn) => async () => {
    let rows;
    try {
      rows = await fn();
    } catch (e) {
      if (onError) return onError(e);
      throw e;
    }
    return onChange(rows);
  };
  replace(el,
    h('span', { class: 'pager-range', role: 'status', 'aria-live': 'polite', tabindex: '-1' }, `${label}: ${pager.rangeText()}`),
    h('button', { type: 'button', class: 'pager-prev', disabled: !pager.hasPrevious(), 'aria-label': `Previous page of ${label}`, onclick: move(() => pager.back()) }, 'Previous'),
    h('button', { type: 'button', class: 'pager-next', disabled: !pager.hasNext(), 'aria-label': `Next page of ${label}`, onclick: move(() => pager.forward()) }, 'Next'));
}
