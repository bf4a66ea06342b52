/* dangan search page (classic script: no modules, no fetch, no WASM, so that it
 * works from file:// as well as over HTTP).
 *
 * Index shards are scripts under _search/ that call DANGAN_SEARCH_SHARD(name, ...);
 * a query inserts <script> tags for the shards it needs only. Normalization and
 * hashing mirror src/search/normalize.rs and src/search/layout.rs exactly; the bit
 * formats are described in src/search/postings.rs and src/search/meta.rs.
 */
(function () {
  "use strict";

  var BASE = (window.DANGAN_ROOT || "") + "_search/";
  var PAGE = 20;
  var UNIT_BASE = 0x3000;
  // Space-like characters (normalize.rs is_space); \s lacks U+0085 and has U+FEFF.
  var SPACE = /[\s\u0085\u200b-\u200d\u2060\x00-\x1f\x7f-\x9f]/;
  var SPACES = /[\s\u0085\u200b-\u200d\u2060\x00-\x1f\x7f-\x9f]+/;
  var SPACE_G = /[\s\u0085\u200b-\u200d\u2060\x00-\x1f\x7f-\x9f]/g;
  var CLUSTER = /\P{M}\p{M}*|\p{M}+/gu;

  /* ---- normalization (normalize.rs) ---- */

  function normCluster(c) {
    if (c.length === 1) {
      var u = c.charCodeAt(0);
      if (u < 0x80) return SPACE.test(c) ? " " : c.toLowerCase();
      if (u >= 0x4e00 && u <= 0x9fff) return c;
    }
    return c.normalize("NFKC").toLowerCase().replace(SPACE_G, " ");
  }

  /* Characters that normalize to themselves and are no combining mark: most of a report. */
  function plain(u) { return (u >= 0x4e00 && u <= 0x9fff) || (u < 0x80 && !(u >= 0x41 && u <= 0x5a) && u > 0x20); }

  /* Normalized text with, per UTF-16 unit of it, the span of display text it came from. */
  function normMap(s) {
    var n = [], from = [], to = [], i = 0, m;
    while (i < s.length) {
      var u = s.charCodeAt(i);
      if (plain(u) && (i + 1 === s.length || plain(s.charCodeAt(i + 1)))) {
        n.push(s[i]); from.push(i); to.push(i + 1); i++;
        continue;
      }
      CLUSTER.lastIndex = i;
      m = CLUSTER.exec(s);
      var c = normCluster(m[0]);
      for (var j = 0; j < c.length; j++) { from.push(i); to.push(i + m[0].length); }
      n.push(c);
      i += m[0].length;
    }
    return { n: n.join(""), from: from, to: to };
  }

  function queryTerms(q) {
    var n = normMap(q).n.split(SPACES), out = [];
    for (var i = 0; i < n.length; i++) if (n[i] && out.indexOf(n[i]) < 0) out.push(n[i]);
    return out;
  }

  /* ---- shard loading ---- */

  var shards = Object.create(null), waiting = Object.create(null), tick = 0;

  window.DANGAN_SEARCH_SHARD = function (name) {
    var sh = Array.prototype.slice.call(arguments, 1), size = 0;
    sh.forEach(function (a) { if (typeof a === "string") size += a.length; });
    sh.size = size;
    sh.used = ++tick;
    shards[name] = sh;
  };

  /* A page left open all day must not keep every file it ever loaded: past
   * this many UTF-16 units of shard text (decoded positions and texts take
   * about as much again), the least recently used shards that the current
   * query does not need are dropped, and loaded again if a later query does. */
  var KEEP_UNITS = 16 * 1024 * 1024;

  function trimShards(keep) {
    var budget = window.DANGAN_SEARCH_KEEP_UNITS || KEEP_UNITS, total = 0, old = [];
    Object.keys(shards).forEach(function (n) {
      total += shards[n].size;
      if (n !== "meta" && !keep[n]) old.push(n);
    });
    old.sort(function (a, b) { return shards[a].used - shards[b].used; });
    for (var i = 0; i < old.length && total > budget; i++) {
      total -= shards[old[i]].size;
      delete shards[old[i]];
    }
  }

  function load(name, cb) {
    if (name in shards) {
      shards[name].used = ++tick;
      return cb(true);
    }
    if (waiting[name]) return void waiting[name].push(cb);
    waiting[name] = [cb];
    var s = document.createElement("script");
    function done() {
      var cbs = waiting[name];
      delete waiting[name];
      if (s.parentNode) s.parentNode.removeChild(s);
      for (var i = 0; i < cbs.length; i++) cbs[i](name in shards);
    }
    s.onload = done;
    s.onerror = done;
    s.src = BASE + name + ".js";
    document.head.appendChild(s);
  }

  function loadAll(names, cb) {
    var left = names.length, ok = true;
    if (!left) return cb(true);
    names.forEach(function (n) {
      load(n, function (good) { ok = ok && good; if (--left === 0) cb(ok); });
    });
  }

  /* ---- bit streams (codec.rs) ---- */

  /* Reads MSB-first bits from 15-bit units (U+3000 + value). The low `n` bits of
   * `acc` are the next bits (at most 30, so that it stays a small integer);
   * past the end of the string it reads zeros. */
  function Bits(s, pos) { this.s = s; this.seek(pos || 0); }
  Bits.prototype.seek = function (pos) {
    this.i = Math.floor(pos / 15);
    this.acc = 0;
    this.n = 0;
    var skip = pos % 15;
    if (skip) { this.fill(); this.n -= skip; }
  };
  Bits.prototype.fill = function () {
    while (this.n <= 15) {
      var c = this.s.charCodeAt(this.i++);
      this.acc = ((this.acc & 0x7fff) << 15) | (c === c ? c - UNIT_BASE : 0);
      this.n += 15;
    }
  };
  Bits.prototype.pos = function () { return this.i * 15 - this.n; };
  Bits.prototype.bit = function () {
    if (this.n === 0) this.fill();
    return (this.acc >>> --this.n) & 1;
  };
  Bits.prototype.bits = function (k) {
    var v = 0;
    while (k > 15) { v = v * 32768 + this.bits(15); k -= 15; }
    if (this.n < k) this.fill();
    this.n -= k;
    return v * (1 << k) + ((this.acc >>> this.n) & ((1 << k) - 1));
  };
  /* Ones up to the next zero (consumed): their count. */
  Bits.prototype.unary = function () {
    var q = 0;
    for (;;) {
      if (this.n === 0) this.fill();
      var zeros = ~this.acc & ((1 << this.n) - 1);
      if (zeros === 0) { q += this.n; this.n = 0; continue; }
      var at = 31 - Math.clz32(zeros);
      q += this.n - 1 - at;
      this.n = at;
      return q;
    }
  };
  Bits.prototype.gamma = function () {
    var nb = 0;
    for (;;) {
      if (this.n === 0) this.fill();
      var ones = this.acc & ((1 << this.n) - 1);
      if (ones === 0) { nb += this.n; this.n = 0; continue; }
      var at = 31 - Math.clz32(ones);
      nb += this.n - 1 - at;
      this.n = at;
      return Math.pow(2, nb) + this.bits(nb);
    }
  };
  /* codec.rs rice_k: floor(log2(max(1, floor(sum * 11 / (count * 16))))), at most 31. */
  function riceK(sum, count) {
    var b = Math.max(1, Math.floor(sum * 11 / (count * 16))), k = 0;
    while (b >= 2 && k < 31) { b = Math.floor(b / 2); k++; }
    return k;
  }
  Bits.prototype.rice = function (k) { var q = this.unary(); return q * Math.pow(2, k) + this.bits(k); };

  /* ---- meta ---- */

  var meta = null; // {blocks, buckets, chunk, units, kinds, ymin, ymax, docs arrays, blockStart}

  function parseMeta(h, bits) {
    var r = new Bits(bits), n = 0, b, i;
    for (b = 0; b < h.counts.length; b++) n += h.counts[b];
    var m = {
      blocks: h.blocks, buckets: h.buckets, chunk: h.chunk, kinds: h.kinds,
      units: h.units.map(function (u) { return { name: u[0], parent: u[1] }; }),
      block: new Int32Array(n), unit: new Int32Array(n), kind: new Int32Array(n), year: new Int32Array(n),
      date: new Int32Array(n), tlen: new Int32Array(n), len: new Int32Array(n), alen: new Int32Array(n), name: [], blockStart: [], ymin: h.ymin, ymax: h.ymin,
      heavy: (h.heavy || []).map(function (pairs) {
        var cs = Array.from(pairs), set = new Set();
        for (var j = 0; j + 1 < cs.length; j += 2) set.add("b" + cs[j] + cs[j + 1]);
        return set;
      })
    };
    var d = 0;
    for (b = 0; b < h.counts.length; b++) {
      m.blockStart.push(d);
      for (i = 0; i < h.counts[b]; i++, d++) {
        m.block[d] = b;
        m.unit[d] = r.bits(h.wu);
        m.kind[d] = r.bits(h.wk);
        m.year[d] = h.ymin + r.bits(h.wy);
        m.date[d] = m.year[d] * 10000 + r.bits(4) * 100 + r.bits(5);
        m.tlen[d] = r.gamma() - 1;
        m.len[d] = r.gamma() - 1;
        m.alen[d] = r.gamma() - 1;
        m.name.push(("0000000" + r.bits(32).toString(16)).slice(-8));
        if (m.year[d] > m.ymax) m.ymax = m.year[d];
      }
    }
    m.units.forEach(function (u, i) {
      var p = [], depth = 0, j;
      for (j = i; j >= 0; j = m.units[j].parent) { p.unshift(m.units[j].name); depth++; }
      u.path = p.join("/");
      u.depth = depth - 1;
    });
    return m;
  }

  function isUnder(u, ancestor) {
    for (; u >= 0; u = meta.units[u].parent) if (u === ancestor) return true;
    return false;
  }

  /* ---- postings (postings.rs) ---- */

  function keyHash(cps) {
    var h = 0x811c9dc5 | 0;
    for (var i = 0; i < cps.length; i++) h = Math.imul(h ^ cps[i], 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h >>> 0;
  }

  /* A heavy bigram has a file of its own (postings.rs); any other key is in its bucket's file. */
  function shardName(block, cps) {
    var heavy = meta.heavy[block];
    if (cps.length === 2 && heavy && heavy.has(keyString(cps)))
      return "p/" + block + "/k" + cps[0].toString(16) + "-" + cps[1].toString(16);
    return "p/" + block + "/" + (keyHash(cps) & (meta.buckets - 1));
  }

  function keyString(cps) { return (cps.length === 1 ? "u" : "b") + String.fromCodePoint.apply(null, cps); }

  /* Key → bit position of its postings, read once per shard. */
  function directory(name) {
    var sh = shards[name];
    if (sh.dir) return sh.dir;
    var r = new Bits(sh[0]), n = r.gamma() - 1, dir = new Map(), big0 = false, pf = 0, ps = 0;
    for (var i = 0; i < n; i++) {
      var big = r.bit() === 1, key;
      if (big !== big0) { big0 = big; pf = 0; ps = 0; }
      if (big) {
        var f = pf + r.gamma() - 1;
        ps = f === pf ? ps + r.gamma() : r.rice(12);
        pf = f;
        key = keyString([f, ps]);
      } else {
        pf += r.gamma();
        key = keyString([pf]);
      }
      var len = r.gamma() - 1;
      dir.set(key, r.pos());
      r.seek(r.pos() + len);
    }
    sh.dir = dir;
    return dir;
  }

  /* Postings of a key in a block: {d: locals, c: counts, p: positions (bigram) or title flags}. */
  function postings(block, cps) {
    var name = shardName(block, cps), sh = shards[name], key = keyString(cps);
    sh.cache = sh.cache || new Map();
    if (sh.cache.has(key)) return sh.cache.get(key);
    var at = directory(name).get(key), big = cps.length === 2;
    var r = at === undefined ? null : new Bits(sh[0], at), df = r ? r.gamma() : 0;
    // Per entry i: report d[i], count c[i]; a bigram's positions are
    // pos[off[i] .. off[i + 1]], a character's title flag is flag[i].
    var res = { d: new Int32Array(df), c: new Int32Array(df), off: null, pos: null, flag: null, at: null };
    if (big) { res.off = new Int32Array(df + 1); res.pos = new Int32Array(df ? 64 : 0); } else res.flag = new Uint8Array(df);
    if (r) {
      var kd = r.bits(5), base = meta.blockStart[block], d = -1, np = 0;
      for (var i = 0; i < df; i++) {
        d += r.rice(kd) + 1;
        var c = r.gamma();
        res.d[i] = d;
        res.c[i] = c;
        if (big) {
          if (np + c > res.pos.length) {
            var grown = new Int32Array(Math.max(2 * res.pos.length, np + c));
            grown.set(res.pos);
            res.pos = grown;
          }
          np = ricePositions(r, c, riceK(meta.len[base + d], c), res.pos, np);
          res.off[i + 1] = np;
        } else {
          res.flag[i] = r.bit();
        }
      }
    }
    sh.cache.set(key, res);
    return res;
  }

  /* Decodes `c` Rice-coded gaps (parameter k) from r as positions into out
   * from index np; returns the new end. Bits.rice, with the reader's state in
   * locals: this loop decodes every position a query loads. */
  function ricePositions(r, c, k, out, np) {
    var s = r.s, acc = r.acc, n = r.n, ui = r.i, p = -1, mask = (1 << k) - 1, cc;
    if (k > 15) {
      for (var j = 0; j < c; j++) { p += r.rice(k) + 1; out[np++] = p; }
      return np;
    }
    for (var i = 0; i < c; i++) {
      var q = 0;
      for (;;) {
        while (n <= 15) { cc = s.charCodeAt(ui++); acc = ((acc & 0x7fff) << 15) | (cc === cc ? cc - UNIT_BASE : 0); n += 15; }
        var zeros = ~acc & ((1 << n) - 1);
        if (zeros === 0) { q += n; n = 0; continue; }
        var at = 31 - Math.clz32(zeros);
        q += n - 1 - at;
        n = at;
        break;
      }
      while (n < k) { cc = s.charCodeAt(ui++); acc = ((acc & 0x7fff) << 15) | (cc === cc ? cc - UNIT_BASE : 0); n += 15; }
      n -= k;
      p += q * (mask + 1) + ((acc >>> n) & mask) + 1;
      out[np++] = p;
    }
    r.acc = acc; r.n = n; r.i = ui;
    return np;
  }

  /* Offsets of the bigrams covering a term of n >= 2 code points (reader.rs). */
  function covering(n) {
    var v = [];
    for (var o = 0; o + 1 < n; o += 2) v.push(o);
    if (n % 2 === 1) v.push(n - 2);
    return v;
  }

  function termKeys(cps) {
    if (cps.length === 1) return [{ o: 0, cps: cps }];
    return covering(cps.length).map(function (o) { return { o: o, cps: [cps[o], cps[o + 1]] }; });
  }

  /* Whether sorted[lo .. hi) holds x. */
  function has(sorted, lo, hi, x) {
    hi--;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (sorted[mid] === x) return true;
      if (sorted[mid] < x) lo = mid + 1; else hi = mid - 1;
    }
    return false;
  }

  /* Calls fn(local, titleHits, hits, firstOwnBodyPos, firstAttachedBodyPos, own) for each
   * report of the block containing the term; own: whether it is in the report itself,
   * not only in an attachment (positions -1 when not known). */
  function termInBlock(b, cps, fn) {
    var keys = termKeys(cps), base = meta.blockStart[b], i, k;
    if (cps.length === 1) {
      // Counts only: where a character is, the index does not say.
      var u = postings(b, cps);
      for (i = 0; i < u.d.length; i++) fn(u.d[i], u.flag[i], u.c[i], -1, -1, true);
      return;
    }
    var lists = keys.map(function (key) { return postings(b, key.cps); });
    // The key with the fewest positions drives; the others are looked up.
    var lead = 0;
    for (k = 1; k < lists.length; k++) if (lists[k].off[lists[k].d.length] < lists[lead].off[lists[lead].d.length]) lead = k;
    if (lead) {
      lists = [lists[lead]].concat(lists.slice(0, lead), lists.slice(lead + 1));
      keys = [keys[lead]].concat(keys.slice(0, lead), keys.slice(lead + 1));
    }
    var first = lists[0], o0 = keys[0].o;
    for (k = 1; k < lists.length; k++) {
      if (lists[k].at) continue;
      // Entry of each report in the list, -1 for none: built once, for lookups.
      var idx = new Int32Array(blockSize(b)).fill(-1);
      for (i = 0; i < lists[k].d.length; i++) idx[lists[k].d[i]] = i;
      lists[k].at = idx;
    }
    var los = new Int32Array(lists.length), his = new Int32Array(lists.length);
    outer: for (i = 0; i < first.d.length; i++) {
      var d = first.d[i];
      for (k = 1; k < lists.length; k++) {
        var at = lists[k].at[d];
        if (at < 0) continue outer;
        los[k] = lists[k].off[at];
        his[k] = lists[k].off[at + 1];
      }
      var tl = meta.tlen[base + d], oe = meta.len[base + d] - meta.alen[base + d];
      var t = 0, n = 0, fo = -1, fa = -1;
      for (var j = first.off[i]; j < first.off[i + 1]; j++) {
        var p = first.pos[j] - o0, ok = p >= 0;
        for (k = 1; k < lists.length && ok; k++) ok = has(lists[k].pos, los[k], his[k], p + keys[k].o);
        if (!ok) continue;
        n++;
        if (p < tl) t++;
        else if (p < oe) { if (fo < 0) fo = p - tl; }
        else if (fa < 0) fa = p - tl;
      }
      if (n) fn(d, t, n, fo, fa, t > 0 || fo >= 0);
    }
  }

  function blockSize(b) {
    return (b + 1 < meta.blockStart.length ? meta.blockStart[b + 1] : meta.unit.length) - meta.blockStart[b];
  }

  /* Appends the reports of block b containing every term to out: {doc, tt, ot, hits, fb};
   * ot: terms in the report itself; fb: the first match in its own text, else in an attachment. */
  function matchBlock(b, terms, out) {
    var n = blockSize(b);
    var tt = new Int32Array(n), ot = new Int32Array(n), hits = new Int32Array(n), seen = new Int32Array(n);
    var fo = new Int32Array(n).fill(-1), fa = new Int32Array(n).fill(-1);
    terms.forEach(function (cps) {
      termInBlock(b, cps, function (d, t, c, o, a, own) {
        seen[d]++;
        if (t) tt[d]++;
        if (own) ot[d]++;
        hits[d] += c;
        if (o >= 0 && (fo[d] < 0 || o < fo[d])) fo[d] = o;
        if (a >= 0 && (fa[d] < 0 || a < fa[d])) fa[d] = a;
      });
    });
    for (var d = 0; d < n; d++) {
      if (seen[d] === terms.length) {
        out.push({ doc: meta.blockStart[b] + d, tt: tt[d], ot: ot[d], hits: hits[d], fb: fo[d] >= 0 ? fo[d] : fa[d] });
      }
    }
  }

  /* Runs fn as a task of its own, soon: the page can handle a keystroke in between. */
  var soon = (function () {
    var ch = new MessageChannel(), queue = [];
    ch.port1.onmessage = function () { queue.shift()(); };
    return function (fn) { queue.push(fn); ch.port2.postMessage(0); };
  })();

  /* All reports containing every term, unranked, to cb; block by block, in
   * tasks of about SLICE_MS, so that typing stays responsive while a long
   * query is matched. A search superseded by the next keystroke stops. */
  var SLICE_MS = 25;
  function match(terms, my, cb) {
    var out = [], b = 0;
    (function step() {
      if (my !== gen) return;
      var t0 = performance.now();
      while (b < meta.blocks) {
        matchBlock(b++, terms, out);
        if (b < meta.blocks && performance.now() - t0 > SLICE_MS) return soon(step);
      }
      cb(out);
    })();
  }

  function rank(a, b) {
    return (b.tt - a.tt) || (b.ot - a.ot) || (b.hits - a.hits) || (meta.date[b.doc] - meta.date[a.doc]) || (a.doc - b.doc);
  }

  /* ---- page state and URL ---- */

  var el = {}, state = { q: "", unit: -1, from: 0, to: 0, type: -1 }, gen = 0, shown = 0, current = null;

  function readUrl() {
    var p = new URLSearchParams(location.search), i;
    state.q = p.get("q") || "";
    state.unit = -1;
    var up = p.get("unit");
    if (up) for (i = 0; i < meta.units.length; i++) if (meta.units[i].path === up) state.unit = i;
    state.from = parseInt(p.get("from"), 10) || 0;
    state.to = parseInt(p.get("to"), 10) || 0;
    state.type = p.has("type") ? meta.kinds.indexOf(p.get("type")) : -1;
  }

  function urlQuery() {
    var p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    if (state.unit >= 0) p.set("unit", meta.units[state.unit].path);
    if (state.from) p.set("from", state.from);
    if (state.to) p.set("to", state.to);
    if (state.type >= 0) p.set("type", meta.kinds[state.type]);
    var s = p.toString();
    return s ? "?" + s : "";
  }

  function writeUrl() {
    var q = urlQuery();
    if (q === location.search) return;
    try { history.replaceState(null, "", q || location.pathname); } catch (e) { /* some file:// setups refuse */ }
  }

  function status(text, st, count) {
    el.status.textContent = text;
    el.status.setAttribute("data-state", st);
    el.status.setAttribute("data-for", urlQuery());
    if (count === undefined) el.status.removeAttribute("data-count");
    else el.status.setAttribute("data-count", String(count));
  }

  /* ---- filters ---- */

  function passes(doc, skip) {
    if (skip !== "unit" && state.unit >= 0 && !isUnder(meta.unit[doc], state.unit)) return false;
    if (skip !== "year" && state.from && meta.year[doc] < state.from) return false;
    if (skip !== "year" && state.to && meta.year[doc] > state.to) return false;
    if (skip !== "type" && state.type >= 0 && meta.kind[doc] !== state.type) return false;
    return true;
  }

  function fillSelect(sel, items, value, allLabel) {
    var html = ['<option value="">' + esc(allLabel) + "</option>"];
    items.forEach(function (it) {
      html.push('<option value="' + esc(it.value) + '"' + (it.value === value ? " selected" : "") +
        (it.count || it.value === value ? "" : " disabled") + ">" + esc(it.label) + " (" + it.count + ")</option>");
    });
    sel.innerHTML = html.join("");
  }

  /* Facet counts: each filter counts the matches that pass the other filters. */
  function renderFilters(matches) {
    var units = new Int32Array(meta.units.length), kinds = new Int32Array(meta.kinds.length);
    var years = new Int32Array(meta.ymax - meta.ymin + 1);
    matches.forEach(function (m) {
      var d = m.doc;
      if (passes(d, "unit")) for (var u = meta.unit[d]; u >= 0; u = meta.units[u].parent) units[u]++;
      if (passes(d, "type")) kinds[meta.kind[d]]++;
      if (passes(d, "year")) years[meta.year[d] - meta.ymin]++;
    });
    fillSelect(el.unit, meta.units.map(function (u, i) {
      return { value: u.path, label: new Array(u.depth + 1).join("\u3000") + u.name, count: units[i] };
    }), state.unit >= 0 ? meta.units[state.unit].path : "", "全部单位");
    fillSelect(el.type, meta.kinds.map(function (k, i) { return { value: k, label: k, count: kinds[i] }; }),
      state.type >= 0 ? meta.kinds[state.type] : "", "全部类型");
    var ys = [];
    for (var y = meta.ymax; y >= meta.ymin; y--) ys.push({ value: String(y), label: String(y), count: years[y - meta.ymin] });
    fillSelect(el.from, ys, state.from ? String(state.from) : "", "不限");
    fillSelect(el.to, ys, state.to ? String(state.to) : "", "不限");
  }

  /* ---- results ---- */

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* Display text s with every occurrence of the terms marked, limited to [from, to) of s. */
  function highlight(s, terms, from, to, nm) {
    nm = nm || normMap(s);
    var spans = [];
    terms.forEach(function (t) {
      for (var i = nm.n.indexOf(t); i >= 0; i = nm.n.indexOf(t, i + 1)) spans.push([nm.from[i], nm.to[i + t.length - 1]]);
    });
    spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var out = [], at = from;
    spans.forEach(function (sp) {
      var a = Math.max(sp[0], at), b = Math.min(sp[1], to);
      if (a >= b) return;
      out.push(esc(s.slice(at, a)), "<mark>", esc(s.slice(a, b)), "</mark>");
      at = b;
    });
    out.push(esc(s.slice(at, to)));
    return out.join("");
  }

  /* UTF-16 index in s of its code point number c (s.length past the end). */
  function unitOf(s, c) {
    for (var u = 0; c > 0 && u < s.length; c--) u += s.codePointAt(u) > 0xffff ? 2 : 1;
    return u;
  }

  /* The text around the first term found; `more`: the text goes on after `text`.
   * null when no term is in this part of the text. With `parts` (where each
   * attachment's text starts, in body positions; `base`: the body position of
   * the start of `text`), the passage stays inside the part the term is in,
   * and snippet.part is that attachment's name (null for the report's own text). */
  function snippet(text, termStrs, more, parts, base) {
    var nm = normMap(text), first = -1;
    termStrs.forEach(function (t) {
      var i = nm.n.indexOf(t);
      if (i >= 0 && (first < 0 || i < first)) first = i;
    });
    snippet.part = null;
    if (first < 0 && more) return null;
    var at = first < 0 ? 0 : nm.from[first], lo = 0, hi = text.length;
    if (parts && first >= 0) {
      var pos = base + Array.from(nm.n.slice(0, first)).length, i = -1;
      while (i + 1 < parts.length && parts[i + 1][0] <= pos) i++;
      // Normalized code points (from the start of `text`) where the part begins and ends.
      var display = function (c) {
        var u = unitOf(nm.n, c);
        return u < nm.from.length ? nm.from[u] : text.length;
      };
      if (i >= 0) {
        snippet.part = parts[i][1];
        if (parts[i][0] > base) lo = display(parts[i][0] - base);
      }
      if (i + 1 < parts.length) hi = Math.min(hi, display(parts[i + 1][0] - base - 1));
    }
    var from = Math.max(lo, at - 40), to = Math.min(hi, from + 160);
    return (from > lo ? "…" : "") + highlight(text, termStrs, from, to, nm) + (to < hi || (more && hi === text.length) ? "…" : "");
  }

  /* The snippet of a result: its chunk decoded only as far as the first match
   * needs (its position is known from the postings), all of it if that misses;
   * led by the name of the attachment the passage is from, if it is from one. */
  function resultSnippet(m, sh, dict, termStrs) {
    var rel = m.fb < 0 ? 0 : m.fb % meta.chunk, limit = 2 * rel + 400, html = null;
    var parts = sh[0].parts, base = (m.fb < 0 ? 0 : Math.floor(m.fb / meta.chunk)) * meta.chunk;
    if (limit < sh[1] && sh.text === undefined) html = snippet(decodeText(sh, dict, limit), termStrs, true, parts, base);
    if (html === null) html = snippet(decodeText(sh, dict), termStrs, false, parts, base);
    return snippet.part === null ? html : '<span class="dg-part">附件：' + esc(snippet.part) + "</span> " + html;
  }

  /* ---- text shards (text.rs): canonical Huffman per block ---- */

  /* Codes of at most L bits decode by one look-up of the next L bits:
   * table[bits] = symbol index << 5 | code length, 0 for a longer code. */
  function huffTable(dict) {
    if (dict.table) return dict.table;
    var counts = dict[0], L = Math.min(counts.length, 11), t = new Int32Array(1 << L);
    for (var len = 1, code = 0, index = 0; len <= L; len++, code *= 2) {
      for (var j = 0; j < counts[len - 1]; j++, code++, index++) {
        for (var x = code << (L - len), hi = (code + 1) << (L - len); x < hi; x++) t[x] = (index << 5) | len;
      }
    }
    dict.table = { L: L, t: t };
    return dict.table;
  }

  /* The chunk's text, or its first `limit` characters. */
  function decodeText(sh, dict, limit) {
    if (sh.text !== undefined) return sh.text;
    var want = limit === undefined ? sh[1] : Math.min(limit, sh[1]);
    var counts = dict[0], syms = dict.syms || (dict.syms = Array.from(dict[1]));
    var tab = huffTable(dict), L = tab.L, T = tab.t, mask = (1 << L) - 1;
    var r = new Bits(sh[2]), out = [], parts = [];
    for (var i = 0; i < want; i++) {
      if (r.n < L) r.fill();
      var e = T[(r.acc >>> (r.n - L)) & mask];
      if (e) {
        r.n -= e & 31;
        out.push(syms[e >>> 5]);
      } else {
        var code = 0, first = 0, index = 0;
        for (var len = 0; len < counts.length; len++) {
          code += r.bit();
          var count = counts[len];
          if (code < first + count) { out.push(syms[index + code - first]); break; }
          index += count;
          first = (first + count) * 2;
          code *= 2;
        }
      }
      if (out.length === 4096) { parts.push(out.join("")); out = []; }
    }
    parts.push(out.join(""));
    var text = parts.join("");
    if (want === sh[1]) sh.text = text;
    return text;
  }

  function textName(m) {
    var h = meta.name[m.doc], k = m.fb < 0 ? 0 : Math.floor(m.fb / meta.chunk);
    return "t/" + h.slice(0, 2) + "/" + h.slice(2) + (k ? "-" + k : "");
  }

  function showMore(my) {
    var page = current.list.slice(shown, shown + PAGE), names = page.map(textName), dicts = {};
    page.forEach(function (m) { dicts["t/d" + meta.block[m.doc]] = 1; });
    loadAll(names.concat(Object.keys(dicts)), function () {
      if (my !== gen) return;
      var html = page.map(function (m, i) {
        var sh = shards[names[i]], dict = shards["t/d" + meta.block[m.doc]];
        if (!sh || !dict) return '<li class="dg-result">（无法读取索引文件 ' + esc(names[i]) + "）</li>";
        var f = sh[0], root = window.DANGAN_ROOT || "";
        return '<li class="dg-result"><a class="dg-title" href="' + esc(root + f.url) + '">' +
          highlight(f.title, current.termStrs, 0, f.title.length) + '</a><div class="dg-meta"><span class="dg-unit">' +
          esc(meta.units[meta.unit[m.doc]].name) + '</span><span class="dg-date">' + esc(f.date) +
          '</span><span class="dg-kind">' + esc(meta.kinds[meta.kind[m.doc]]) + '</span></div><p class="dg-snippet">' +
          resultSnippet(m, sh, dict, current.termStrs) + "</p></li>";
      });
      el.results.insertAdjacentHTML("beforeend", html.join(""));
      names.concat(Object.keys(dicts)).forEach(function (n) { current.keep[n] = 1; });
      trimShards(current.keep);
      shown += page.length;
      el.more.hidden = shown >= current.list.length;
      status("找到 " + current.list.length + " 篇报告" + (current.filtered ? "（已筛选）" : ""), "done", current.list.length);
    });
  }

  function run() {
    var my = ++gen;
    writeUrl();
    var termStrs = queryTerms(state.q);
    var terms = termStrs.map(function (t) { return Array.from(t).map(function (c) { return c.codePointAt(0); }); });
    el.results.innerHTML = "";
    el.more.hidden = true;
    shown = 0;
    if (!terms.length) {
      renderFilters([]);
      return status(state.q ? "" : "输入词句开始查找", "empty", 0);
    }
    var names = {};
    terms.forEach(function (cps) {
      termKeys(cps).forEach(function (k) {
        for (var b = 0; b < meta.blocks; b++) names[shardName(b, k.cps)] = 1;
      });
    });
    status("正在查找…", "loading");
    loadAll(Object.keys(names), function (ok) {
      if (my !== gen) return;
      if (!ok) return status("索引文件缺失，请重新生成网站。", "error");
      match(terms, my, function (matches) {
        renderFilters(matches);
        var list = matches.filter(function (m) { return passes(m.doc, ""); }).sort(rank);
        // The files this query uses (its postings, then the texts of the results
        // shown): kept when older ones are dropped.
        current = { list: list, termStrs: termStrs, filtered: list.length !== matches.length, keep: names };
        if (!list.length) {
          trimShards(current.keep);
          return status(matches.length ? "筛选条件下没有结果（共 " + matches.length + " 篇含有该词句）" :
            "没有找到包含“" + termStrs.join(" ") + "”的报告", "done", 0);
        }
        showMore(my);
      });
    });
  }

  function readFilters() {
    state.unit = -1;
    for (var i = 0; i < meta.units.length; i++) if (meta.units[i].path === el.unit.value) state.unit = i;
    state.type = el.type.value ? meta.kinds.indexOf(el.type.value) : -1;
    state.from = parseInt(el.from.value, 10) || 0;
    state.to = parseInt(el.to.value, 10) || 0;
  }

  function start() {
    ["q", "unit", "from", "to", "type", "status", "results", "more", "form"].forEach(function (id) {
      el[id] = document.getElementById("dg-" + id);
    });
    if (!el.q) return;
    status("正在载入索引…", "loading");
    load("meta", function (ok) {
      if (!ok) return status("找不到搜索索引（_search/meta.js）。", "error");
      meta = parseMeta(shards.meta[0], shards.meta[1]);
      readUrl();
      el.q.value = state.q;
      // With an input method, the box holds pinyin until a word is chosen:
      // search when it is committed, not on every keystroke of the spelling.
      el.q.addEventListener("input", function (e) { if (!e.isComposing) { state.q = el.q.value; run(); } });
      el.q.addEventListener("compositionend", function () { state.q = el.q.value; run(); });
      el.form.addEventListener("submit", function (e) { e.preventDefault(); state.q = el.q.value; run(); });
      [el.unit, el.from, el.to, el.type].forEach(function (s) {
        s.addEventListener("change", function () { readFilters(); run(); });
      });
      el.more.addEventListener("click", function () { showMore(gen); });
      run();
    });
  }

  window.DANGAN_SEARCH = {
    queryTerms: queryTerms, keyHash: keyHash, normMap: normMap,
    loaded: function () { return Object.keys(shards).sort(); },
    units: function () { return Object.keys(shards).reduce(function (t, n) { return t + shards[n].size; }, 0); }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
