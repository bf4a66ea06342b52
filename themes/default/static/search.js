/* dangan search page (classic script: no modules, no fetch, no WASM, so that it
 * works from file:// as well as over HTTP).
 *
 * Index files are scripts under _search/ that call DANGAN_SEARCH_SHARD(name, ...);
 * a query inserts <script> tags for the files it needs only. Every file but the
 * entry (_search/index.js) is named by the hash of its bytes, and found through
 * the entry and its leaves. Normalization, hashing and ranking mirror
 * src/search/normalize.rs, layout.rs and rank.rs exactly; the formats are
 * described in src/search/lists.rs, shards.rs, text.rs and manifest.rs, and src/search/reader.rs does in Rust what this file does.
 *
 * A query first loads the document list of each of its terms (a term of up
 * to four characters is one key; a longer one, its 4-grams): the reports
 * holding it, with what ranking needs; then the length classes of those
 * reports (along with the list when the query is one key with a file of its
 * own: thousands of reports, in every length shard), and the texts of the
 * results it shows. Work on many reports runs in slices of SLICE_MS, each a
 * task of its own, so that the page stays responsive. The count is exact at once
 * when every term is up to four characters long; otherwise the candidates
 * are checked on their texts, those shown first, up to BACKGROUND_TEXTS more
 * in the background. The filters' counts follow the facet files, loaded in
 * the background.
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
      // Punctuation (，。、“”…) comes again and again: NFKC once per character.
      var known = singles.get(c);
      if (known === undefined) singles.set(c, known = c.normalize("NFKC").toLowerCase().replace(SPACE_G, " "));
      return known;
    }
    return c.normalize("NFKC").toLowerCase().replace(SPACE_G, " ");
  }
  var singles = new Map();

  /* The length of the cluster (a character and its combining marks) at i of s. */
  function clusterAt(s, i) {
    var u = s.charCodeAt(i);
    // A character that is no surrogate, followed by a plain one (never a mark), is a cluster of its own.
    if ((u < 0xd800 || u > 0xdfff) && (i + 1 === s.length || plain(s.charCodeAt(i + 1)))) return 1;
    CLUSTER.lastIndex = i;
    return CLUSTER.exec(s)[0].length;
  }

  /* normMap(s).n without the spans: the normalized text alone, for checks. */
  function norm(s) {
    var out = [], start = 0, i = 0;
    while (i < s.length) {
      if (plain(s.charCodeAt(i)) && (i + 1 === s.length || plain(s.charCodeAt(i + 1)))) { i++; continue; }
      if (i > start) out.push(s.slice(start, i));
      var k = clusterAt(s, i);
      out.push(normCluster(s.substr(i, k)));
      i += k;
      start = i;
    }
    if (start < s.length) out.push(s.slice(start));
    return out.join("");
  }

  /* Characters that normalize to themselves and are no combining mark: most of a report. */
  function plain(u) { return (u >= 0x4e00 && u <= 0x9fff) || (u < 0x80 && !(u >= 0x41 && u <= 0x5a) && u > 0x20); }

  /* Normalized text with, per UTF-16 unit of it, the span of display text it came from. */
  function normMap(s) {
    var n = [], from = [], to = [], i = 0;
    while (i < s.length) {
      var u = s.charCodeAt(i);
      if (plain(u) && (i + 1 === s.length || plain(s.charCodeAt(i + 1)))) {
        n.push(s[i]); from.push(i); to.push(i + 1); i++;
        continue;
      }
      var k = clusterAt(s, i), c = normCluster(s.substr(i, k));
      for (var j = 0; j < c.length; j++) { from.push(i); to.push(i + k); }
      n.push(c);
      i += k;
    }
    return { n: n.join(""), from: from, to: to };
  }

  function queryTerms(q) {
    var n = norm(q).split(SPACES), out = [];
    for (var i = 0; i < n.length; i++) if (n[i] && out.indexOf(n[i]) < 0) out.push(n[i]);
    return out;
  }

  /* ---- loading index files ---- */

  var shards = Object.create(null), waiting = Object.create(null), tick = 0, taskStart = 0;

  window.DANGAN_SEARCH_SHARD = function (name) {
    var sh = Array.prototype.slice.call(arguments, 1), size = 0;
    sh.forEach(function (a) { if (typeof a === "string") size += a.length; });
    sh.size = size;
    sh.used = ++tick;
    shards[name] = sh;
  };
  // Files the page loaded before this script (search.html has the entry load alongside it).
  (window.DANGAN_SEARCH_EARLY || []).forEach(function (args) { window.DANGAN_SEARCH_SHARD.apply(null, args); });
  window.DANGAN_SEARCH_EARLY = null;

  /* A page left open all day must not keep every file it ever loaded: past
   * this many UTF-16 units of index text (decoded lists and texts take about
   * as much again), the least recently used files that the current query
   * does not need are dropped, and loaded again if a later query does. */
  var KEEP_UNITS = 16 * 1024 * 1024;

  function trimShards(keep) {
    var budget = window.DANGAN_SEARCH_KEEP_UNITS || KEEP_UNITS, total = 0, old = [];
    Object.keys(shards).forEach(function (n) {
      total += shards[n].size;
      if (n !== "index" && !keep[n]) old.push(n);
    });
    old.sort(function (a, b) { return shards[a].used - shards[b].used; });
    for (var i = 0; i < old.length && total > budget; i++) {
      total -= shards[old[i]].size;
      delete shards[old[i]];
    }
  }

  /* Loads the file registering `name`; cb(true) once it is there. Files a
   * query uses are noted in `using`, so that trimming keeps them. */
  var using = Object.create(null);
  function load(name, cb) {
    using[name] = 1;
    if (name in shards) {
      shards[name].used = ++tick;
      return cb(true);
    }
    if (waiting[name]) return void waiting[name].push(cb);
    waiting[name] = [cb];
    var s = document.createElement("script");
    function done() {
      taskStart = performance.now();
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

  /* Loads every name (duplicates and nulls skipped); cb(all there). */
  function loadAll(names, cb) {
    var seen = Object.create(null), list = [];
    names.forEach(function (n) { if (n && !seen[n]) { seen[n] = 1; list.push(n); } });
    var left = list.length, ok = true;
    if (!left) return cb(true);
    list.forEach(function (n) {
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
  Bits.prototype.rice = function (k) { var q = this.unary(); return q * Math.pow(2, k) + this.bits(k); };
  /* A 60-bit hash, as the 12 characters naming its file (codec.rs hash_name). */
  Bits.prototype.hash = function () {
    var s = "";
    for (var i = 0; i < 12; i++) s += this.bits(5).toString(32);
    return s;
  };

  /* Reads keys written by KeyDelta (codec.rs), as key strings. */
  function KeyReader() { this.n = 0; this.p = [0, 0, 0, 0]; }
  KeyReader.prototype.read = function (r) {
    var n = r.bits(2) + 1, p, c = [0, 0, 0, 0], same = true;
    if (n !== this.n) { this.n = n; this.p = [0, 0, 0, 0]; }
    p = this.p;
    for (var i = 0; i < n; i++) {
      if (same) {
        var d = r.gamma();
        c[i] = p[i] + (i + 1 === n ? d : d - 1);
        same = c[i] === p[i];
      } else c[i] = r.rice(12);
    }
    this.p = c;
    return keyString(c.slice(0, n));
  };

  function keyString(cps) { return cps.length + String.fromCodePoint.apply(null, cps); }

  function keyHash(cps) {
    var h = 0x811c9dc5 | 0;
    for (var i = 0; i < cps.length; i++) h = Math.imul(h ^ cps[i], 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h >>> 0;
  }

  /* Key → bit position of its body in a list file, read once per file. */
  function directory(name) {
    var sh = shards[name];
    if (sh.dir) return sh.dir;
    var r = new Bits(sh[0]), n = r.gamma() - 1, dir = new Map(), kr = new KeyReader();
    for (var i = 0; i < n; i++) {
      var key = kr.read(r), len = r.gamma() - 1;
      dir.set(key, r.pos());
      r.seek(r.pos() + len);
    }
    sh.dir = dir;
    return dir;
  }

  /* ---- the entry and its leaves (manifest.rs) ---- */

  var ix = null; // the entry's header, with the names of its leaves

  function parseEntry(h, bits) {
    var r = new Bits(bits), c = h.leaves, leaves = { mf: null, d: [] }, i;
    leaves.mf = "l/mf." + r.hash();
    for (i = 0; i < c[1]; i++) leaves.d.push("l/d" + i + "." + r.hash());
    h.leafNames = leaves;
    h.units = h.units.map(function (u) { return { name: u[0], parent: u[1] }; });
    h.units.forEach(function (u, i) {
      var p = [], depth = 0, j;
      for (j = i; j >= 0; j = h.units[j].parent) { p.unshift(h.units[j].name); depth++; }
      u.path = p.join("/");
      u.depth = depth - 1;
    });
    h.ymin = h.years.length ? h.years[0][0] : 0;
    h.ymax = h.years.length ? h.years[h.years.length - 1][0] : -1;
    return h;
  }

  /* The first number of `year` or of the first later year (n if none). */
  function yearStart(year) {
    for (var i = 0; i < ix.years.length; i++) if (ix.years[i][0] >= year) return ix.years[i][1];
    return ix.n;
  }

  function yearOf(num) {
    var y = ix.ymin;
    for (var i = 0; i < ix.years.length && ix.years[i][1] <= num; i++) y = ix.years[i][0];
    return y;
  }

  /* A lists leaf: per bucket its file's name (or null), and the keys with files of their own. */
  function listsLeaf(i) {
    var name = ix.leafNames.d[i], sh = shards[name];
    if (sh.leaf) return sh.leaf;
    var r = new Bits(sh[0]), buckets = [], heavy = new Map(), first = i * ix.leafSpan;
    for (var b = first; b < Math.min(first + ix.leafSpan, ix.dBuckets); b++) {
      buckets.push(r.bit() ? "d/" + b + "." + r.hash() : null);
    }
    var n = r.gamma() - 1, kr = new KeyReader();
    for (var k = 0; k < n; k++) {
      var key = kr.read(r), cps = Array.from(key.slice(1)).map(function (c) { return c.codePointAt(0); });
      heavy.set(key, "k/" + cps.map(function (c) { return c.toString(16); }).join("-") + "." + r.hash());
    }
    sh.leaf = { buckets: buckets, heavy: heavy };
    return sh.leaf;
  }

  /* Names of the m/ and f/ files, from l/mf. */
  function metaLeaf() {
    var sh = shards[ix.leafNames.mf];
    if (sh.leaf) return sh.leaf;
    var r = new Bits(sh[0]), k = Math.ceil(ix.n / ix.metaSpan), m = [], f = [], i;
    for (i = 0; i < k; i++) m.push("m/" + i + "." + r.hash());
    for (i = 0; i < k; i++) f.push("f/" + i + "." + r.hash());
    sh.leaf = { m: m, f: f };
    return sh.leaf;
  }

  /* ---- document lists (lists.rs) ---- */

  function listBucket(cps) { return keyHash(cps) & (ix.dBuckets - 1); }

  /* The file holding a key's list (its lists leaf loaded), or null. */
  function listFile(cps) {
    var b = listBucket(cps), leaf = listsLeaf(Math.floor(b / ix.leafSpan));
    return leaf.heavy.get(keyString(cps)) || leaf.buckets[b % ix.leafSpan];
  }

  /* A key's list: {num, tfc, title, own} typed arrays, numbers increasing;
   * own: in the report's title or body, not only in an attachment's text.
   * A generator (see `sliced`): a list of 100,000 reports takes a while. */
  function* list(cps) {
    var name = listFile(cps), key = keyString(cps), sh = name && shards[name];
    if (!sh) return { num: new Int32Array(0), tfc: new Uint8Array(0), title: new Uint8Array(0), own: new Uint8Array(0) };
    sh.lists = sh.lists || new Map();
    if (sh.lists.has(key)) return sh.lists.get(key);
    // Straight into typed arrays, grown segment by segment: a list of 100,000
    // reports pushed into plain arrays first kept the garbage collector busy.
    var at = directory(name).get(key), n = 0, cap = 0;
    var num = new Int32Array(0), tfc = new Uint8Array(0), title = new Uint8Array(0), own = new Uint8Array(0);
    if (at !== undefined) {
      var r = new Bits(sh[0], at), nseg = r.gamma(), b = -1;
      for (var s = 0; s < nseg; s++) {
        b += r.gamma();
        var df = r.gamma(), kd = r.bits(5), attached = r.bit(), local = -1, base = b * ix.block;
        if (n + df > cap) {
          cap = Math.max(2 * cap, n + df, 1024);
          var num2 = new Int32Array(cap), tfc2 = new Uint8Array(cap), title2 = new Uint8Array(cap), own2 = new Uint8Array(cap);
          num2.set(num); tfc2.set(tfc); title2.set(title); own2.set(own);
          num = num2; tfc = tfc2; title = title2; own = own2;
        }
        for (var i = 0; i < df; i++) {
          local += r.rice(kd) + 1;
          num[n] = base + local;
          tfc[n] = r.gamma() - 1;
          var t = r.bit();
          title[n] = t;
          own[n] = t || !attached || !r.bit() ? 1 : 0;
          if ((++n & 1023) === 0) yield;
        }
      }
    }
    var res = { num: num.slice(0, n), tfc: tfc.slice(0, n), title: title.slice(0, n), own: own.slice(0, n) };
    sh.lists.set(key, res);
    return res;
  }

  /* ---- ranking (rank.rs), in integers as there ---- */

  /* floor(a / b) for integers below 2^53, exactly. */
  function idiv(a, b) {
    var q = Math.floor(a / b);
    if (q * b > a) q--;
    else if ((q + 1) * b <= a) q++;
    return q;
  }

  /* The keys whose lists give a term's reports (rank.rs term_keys): the term
   * itself up to four characters, else its 4-grams. */
  function termKeys(cps) {
    if (cps.length <= 4) return [cps];
    var v = [];
    for (var i = 0; i + 4 <= cps.length; i++) v.push(cps.slice(i, i + 4));
    return v;
  }

  function idf(n, df) {
    df = Math.min(df, n);
    var ratio = idiv((2 * n + 2) * 65536, 2 * df + 1), e = 0;
    while (ratio >= 131072 * Math.pow(2, e)) e++;
    var m = Math.floor(ratio / Math.pow(2, e)), frac = 0;
    for (var i = 0; i < 4; i++) {
      m = Math.floor(m * m / 65536);
      frac *= 2;
      if (m >= 131072) { frac += 1; m = Math.floor(m / 2); }
    }
    return 16 * e + frac + 1;
  }

  function lenOfClass(q) {
    if (q < 8) return q;
    var b = q >> 2, r = q & 3;
    return (4 + r) * Math.pow(2, b - 2) + Math.floor(Math.pow(2, b - 2) / 2);
  }

  function tfPart(c, len, avg) {
    var tf2 = 3 * Math.pow(2, Math.min(c, 12)) - 1;
    avg = Math.min(Math.max(avg, 1), 1048576);
    len = Math.min(len, 2147483648);
    return idiv(1024 * tf2 * 22 * avg, 10 * tf2 * avg + 6 * avg + 18 * len);
  }

  /* ---- candidates ---- */

  /* Intersects sorted lists a and b (typed arrays {num, tfc, title, own}),
   * keeping the smaller class and the title and own flags of both. */
  function* intersect(a, b) {
    var num = [], tfc = [], title = [], own = [], i = 0, j = 0, steps = 0;
    while (i < a.num.length && j < b.num.length) {
      if ((++steps & 2047) === 0) yield;
      if (a.num[i] < b.num[j]) i++;
      else if (a.num[i] > b.num[j]) j++;
      else {
        num.push(a.num[i]);
        tfc.push(Math.min(a.tfc[i], b.tfc[j]));
        title.push(a.title[i] & b.title[j]);
        own.push(a.own[i] & b.own[j]);
        i++; j++;
      }
    }
    return { num: Int32Array.from(num), tfc: Uint8Array.from(tfc), title: Uint8Array.from(title), own: Uint8Array.from(own) };
  }

  /* The query's candidates: numbers holding every key of every term, with
   * per term its estimated class, title and own flags ({num, per: [{tfc, title, own}], df}). */
  function* candidates(terms) {
    var per = [], t;
    for (t = 0; t < terms.length; t++) {
      var keys = termKeys(terms[t]), l = yield* list(keys[0]);
      for (var k = 1; k < keys.length; k++) l = yield* intersect(l, yield* list(keys[k]));
      per.push(l);
    }
    // One term: its list is the candidates, flags and all.
    if (per.length === 1) return { num: per[0].num, per: per, df: [per[0].num.length] };
    var num = per[0].num;
    for (t = 1; t < per.length; t++) num = (yield* intersect({ num: num, tfc: num, title: num, own: num }, per[t])).num; // numbers only
    var out = { num: num, per: [], df: per.map(function (l) { return l.num.length; }) };
    for (t = 0; t < per.length; t++) {
      var l = per[t], tfc = new Uint8Array(num.length), title = new Uint8Array(num.length), own = new Uint8Array(num.length), j = 0;
      for (var i = 0; i < num.length; i++) {
        if ((i & 1023) === 1023) yield;
        while (l.num[j] < num[i]) j++;
        tfc[i] = l.tfc[j];
        title[i] = l.title[j];
        own[i] = l.own[j];
      }
      out.per.push({ tfc: tfc, title: title, own: own });
    }
    return out;
  }

  /* ---- text pieces (text.rs) ---- */

  /* The names of the n/ files of length shard i (m/<i>: the length classes
   * of its reports, 7 bits each, then the hash of each n/ file of its range). */
  function namesFiles(i) {
    var sh = shards[metaLeaf().m[i]];
    if (sh.nfiles) return sh.nfiles;
    var first = i * ix.metaSpan, k = Math.min(ix.metaSpan, ix.n - first), out = [];
    var r = new Bits(sh[0], 7 * k), s = first / ix.nameSpan;
    for (var end = Math.ceil((first + k) / ix.nameSpan); s < end; s++) out.push("n/" + s + "." + r.hash());
    sh.nfiles = out;
    return out;
  }

  function namesOf(num, cb) {
    var shard = Math.floor(num / ix.nameSpan), m = Math.floor(num / ix.metaSpan), mname = metaLeaf().m[m];
    loadAll([mname], function () {
      if (!shards[mname]) return cb(null);
      var name = namesFiles(m)[shard - m * ix.metaSpan / ix.nameSpan];
      loadAll([name], function () {
        var sh = shards[name];
        if (!sh) return cb(null);
        if (!sh.names) {
          var r = new Bits(sh[0]), all = [], first = shard * ix.nameSpan;
          for (var n = first; n < Math.min(first + ix.nameSpan, ix.n); n++) {
            var k = r.gamma() - 1, hs = [];
            for (var i = 0; i < k; i++) { var h = r.hash(); hs.push("t/" + h.slice(0, 2) + "/" + h.slice(2)); }
            all.push(hs);
          }
          sh.names = all;
        }
        cb(sh.names[num - shard * ix.nameSpan]);
      });
    });
  }

  /* A piece's text cut where its attachments' texts start (text.rs `parts`):
   * [{from, to, part}] in UTF-16 units; part is null for the report's own text. */
  function segments(fields, len) {
    var p = fields.parts;
    if (!p || !p.length) return [{ from: 0, to: len, part: null }];
    var out = [{ from: 0, to: Math.max(0, p[0][0] - 1), part: null }];
    for (var i = 0; i < p.length; i++) {
      out.push({ from: p[i][0], to: i + 1 < p.length ? Math.max(p[i][0], p[i + 1][0] - 1) : len, part: p[i][1] });
    }
    return out;
  }

  /* Checks candidate m ({num, i}) on its text: loads its pieces in turn
   * until every long term is found (in the title or the text) and the text
   * has a match for the snippet, or the pieces run out. The report's own
   * text comes before its attachments', so the first match is in its own
   * text when it has one there. cb({ok, titleTerms, ownTerms, fields, snip})
   * where snip ({text, from, to, part}) is the part of a piece to show. */
  function checkText(m, cur, cb) {
    namesOf(m.num, function (names) {
      if (!names || !names.length) return cb(null);
      var terms = cur.termStrs, need = [], found = [], own = [], body = [], i = 0;
      loadAll([names[0]], function () {
        var sh = shards[names[0]];
        if (!sh) return cb(null);
        var fields = sh[0], title = norm(fields.title), titleTerms = 0;
        terms.forEach(function (t, k) {
          var inTitle = title.indexOf(t) >= 0;
          if (inTitle) titleTerms++;
          found[k] = own[k] = inTitle;
          if (Array.from(t).length > 4) need.push(k);
        });
        var snip = null;
        (function next() {
          var piece = shards[names[i]];
          if (!piece) return cb(null);
          var text = piece[1];
          body.push(text.slice(0, piece[0].own));
          segments(piece[0], text.length).forEach(function (seg) {
            var n = norm(text.slice(seg.from, seg.to)), hit = false;
            terms.forEach(function (t, k) {
              if (n.indexOf(t) < 0) return;
              found[k] = hit = true;
              if (seg.part === null) own[k] = true;
            });
            if (hit && snip === null) snip = { text: text, from: seg.from, to: seg.to, part: seg.part };
          });
          var missing = need.filter(function (k) { return !found[k]; });
          if ((missing.length === 0 && snip) || ++i >= names.length) {
            if (missing.length && i >= names.length && names.length > 1) {
              // A long term may run across pieces: look in the whole text.
              var all = norm(body.join(""));
              missing = missing.filter(function (k) { return all.indexOf(terms[k]) < 0; });
            }
            if (missing.length) return cb({ ok: false });
            // Terms of up to four characters: their lists say exactly.
            var ownTerms = 0;
            terms.forEach(function (t, k) {
              if (need.indexOf(k) >= 0 ? own[k] : cur.per[k].own[m.i]) ownTerms++;
            });
            if (!snip) {
              var first = shards[names[0]];
              snip = { text: first[1], from: 0, to: segments(first[0], first[1].length)[0].to, part: null };
            }
            return cb({ ok: true, titleTerms: titleTerms, ownTerms: ownTerms, fields: fields, snip: snip });
          }
          loadAll([names[i]], next);
        })();
      });
    });
  }

  /* ---- page state and URL ---- */

  var el = {}, state = { q: "", unit: -1, from: 0, to: 0, type: -1 }, gen = 0, current = null;

  function readUrl() {
    var p = new URLSearchParams(location.search), i;
    state.q = p.get("q") || "";
    state.unit = -1;
    var up = p.get("unit");
    if (up) for (i = 0; i < ix.units.length; i++) if (ix.units[i].path === up) state.unit = i;
    state.from = parseInt(p.get("from"), 10) || 0;
    state.to = parseInt(p.get("to"), 10) || 0;
    state.type = p.has("type") ? ix.kinds.indexOf(p.get("type")) : -1;
  }

  function urlQuery() {
    var p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    if (state.unit >= 0) p.set("unit", ix.units[state.unit].path);
    if (state.from) p.set("from", state.from);
    if (state.to) p.set("to", state.to);
    if (state.type >= 0) p.set("type", ix.kinds[state.type]);
    var s = p.toString();
    return s ? "?" + s : "";
  }

  function writeUrl() {
    var q = urlQuery();
    if (q === location.search) return;
    try { history.replaceState(null, "", q || location.pathname); } catch (e) { /* some file:// setups refuse */ }
  }

  /* The status line; `st` is "loading", "partial" (results shown, count
   * still an estimate), "done" (all exact), "empty" or "error". */
  function status(text, st, count) {
    el.status.textContent = text;
    el.status.setAttribute("data-state", st);
    el.status.setAttribute("data-for", urlQuery());
    if (count === undefined) el.status.removeAttribute("data-count");
    else el.status.setAttribute("data-count", String(count));
  }

  /* ---- facets ---- */

  function isUnder(u, ancestor) {
    for (; u >= 0; u = ix.units[u].parent) if (u === ancestor) return true;
    return false;
  }

  /* Unit and type of a number, once its facet file is decoded (null before). */
  function facet(num) {
    var i = Math.floor(num / ix.metaSpan), fa = facetsOf(i);
    if (!fa) return null;
    var o = num - i * ix.metaSpan;
    return [fa.u[o], fa.t[o]];
  }

  /* Units and types of facet shard i ({u, t} by number within it), null before it is loaded. */
  function facetsOf(i) {
    var sh = shards[metaLeaf().f[i]];
    if (!sh) return null;
    if (!sh.facets) {
      var r = new Bits(sh[0]), k = Math.min(ix.metaSpan, ix.n - i * ix.metaSpan);
      var u = new Int32Array(k), t = new Int32Array(k);
      for (var j = 0; j < k; j++) { u[j] = r.bits(ix.wu); t[j] = r.bits(ix.wk); }
      sh.facets = { u: u, t: t };
    }
    return sh.facets;
  }

  function passes(num, skip) {
    if (skip !== "year" && state.from && num < yearStart(state.from)) return false;
    if (skip !== "year" && state.to && num >= yearStart(state.to + 1)) return false;
    if (state.unit < 0 && state.type < 0) return true;
    var f = facet(num);
    if (skip !== "unit" && state.unit >= 0 && !isUnder(f[0], state.unit)) return false;
    if (skip !== "type" && state.type >= 0 && f[1] !== state.type) return false;
    return true;
  }

  /* A filter's options; a count of null (not known yet) is left out. */
  function fillSelect(sel, items, value, allLabel, about) {
    var html = ['<option value="">' + esc(allLabel) + "</option>"];
    items.forEach(function (it) {
      var count = it.count === null ? "" : " (" + (about ? "约" : "") + it.count + ")";
      html.push('<option value="' + esc(it.value) + '"' + (it.value === value ? " selected" : "") +
        (it.count !== 0 || it.value === value ? "" : " disabled") + ">" + esc(it.label) + count + "</option>");
    });
    sel.innerHTML = html.join("");
  }

  /* Facet counts: each filter counts the matches that pass the other filters.
   * `nums`: the matches (or candidates, while `about`). Without the facet
   * files yet, unit and type list no counts. */
  function renderFilters(nums, haveFacets, about) {
    drawFilters(drain(filterCounts(nums, haveFacets)), haveFacets, about);
  }

  /* The counts of renderFilters (a generator, see `sliced`). */
  function* filterCounts(nums, haveFacets) {
    var units = new Int32Array(ix.units.length), kinds = new Int32Array(ix.kinds.length);
    // Years need the facets only when a unit or type filter is set (which loads them).
    var years = new Int32Array(Math.max(0, ix.ymax - ix.ymin + 1));
    // Without filters every number counts everywhere: the common case, made quick.
    var all = state.unit < 0 && state.type < 0 && !state.from && !state.to;
    var shard = -1, fa = null, yi = -1, year = ix.ymin, u;
    for (var i = 0; i < nums.length; i++) {
      if ((i & 1023) === 1023) yield;
      var d = nums[i];
      // As yearOf(d), for increasing numbers.
      while (yi + 1 < ix.years.length && ix.years[yi + 1][1] <= d) year = ix.years[++yi][0];
      if (all) {
        years[year - ix.ymin]++;
        if (haveFacets) {
          var s = Math.floor(d / ix.metaSpan);
          if (s !== shard) { shard = s; fa = facetsOf(s); }
          if (fa) { units[fa.u[d - s * ix.metaSpan]]++; kinds[fa.t[d - s * ix.metaSpan]]++; }
        }
        continue;
      }
      var f = haveFacets ? facet(d) : null;
      if (f && passes(d, "unit")) units[f[0]]++;
      if (f && passes(d, "type")) kinds[f[1]]++;
      if (passes(d, "year")) years[year - ix.ymin]++;
    }
    // A unit counts its sub-units' reports too; a unit's parent comes before it in ix.units.
    for (u = units.length - 1; u >= 0; u--) if (ix.units[u].parent >= 0) units[ix.units[u].parent] += units[u];
    return { units: units, kinds: kinds, years: years };
  }

  function drawFilters(c, haveFacets, about) {
    var units = c.units, kinds = c.kinds, years = c.years;
    fillSelect(el.unit, ix.units.map(function (u, i) {
      return { value: u.path, label: new Array(u.depth + 1).join("\u3000") + u.name, count: haveFacets ? units[i] : null };
    }), state.unit >= 0 ? ix.units[state.unit].path : "", "全部单位", about);
    fillSelect(el.type, ix.kinds.map(function (k, i) { return { value: k, label: k, count: haveFacets ? kinds[i] : null }; }),
      state.type >= 0 ? ix.kinds[state.type] : "", "全部类型", about);
    var ys = [];
    for (var y = ix.ymax; y >= ix.ymin; y--) ys.push({ value: String(y), label: String(y), count: years[y - ix.ymin] });
    fillSelect(el.from, ys, state.from ? String(state.from) : "", "不限", about);
    fillSelect(el.to, ys, state.to ? String(state.to) : "", "不限", about);
  }

  /* ---- results ---- */

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* Display text s with every occurrence of the terms marked, limited to [from, to) of s. */
  function highlight(s, terms, from, to, nm, base) {
    nm = nm || normMap(s);
    base = base || 0;
    var spans = [];
    terms.forEach(function (t) {
      for (var i = nm.n.indexOf(t); i >= 0; i = nm.n.indexOf(t, i + 1)) spans.push([base + nm.from[i], base + nm.to[i + t.length - 1]]);
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

  /* The text around the first term found. Only the clusters around it are
   * mapped to display positions (a piece is thousands of characters, and
   * the page shows 160 of them): the same marks as mapping all of it,
   * which it falls back to when a match crosses the edge of the window. */
  function snippet(text, termStrs) {
    var n = norm(text), first = -1;
    termStrs.forEach(function (t) {
      var i = n.indexOf(t);
      if (i >= 0 && (first < 0 || i < first)) first = i;
    });
    // Walk the clusters: display index i and normalized length k at each boundary.
    var i = 0, k = 0, len = text.length;
    function step() {
      var u = text.charCodeAt(i);
      if (plain(u) && (i + 1 === len || plain(text.charCodeAt(i + 1)))) { i++; k++; return 1; }
      var c = clusterAt(text, i), m = normCluster(text.substr(i, c)).length;
      i += c;
      k += m;
      return m;
    }
    var at = 0;
    if (first >= 0) {
      // To the cluster holding normalized index `first`: `at` is where it starts.
      for (;;) {
        var i0 = i, k0 = k;
        step();
        if (k > first) { i = i0; k = k0; break; }
      }
      at = i;
    }
    var from = Math.max(0, at - 40), to = Math.min(len, from + 160);
    // The window: from the last boundary at or before `from` to the first past `to` + 64.
    i = 0;
    k = 0;
    while (i < len) {
      var i1 = i, k1 = k;
      step();
      if (i > from) { i = i1; k = k1; break; }
    }
    var bi = i, bk = k;
    while (i < len && i < to + 64) step();
    var ei = i, ek = k;
    var crosses = termStrs.some(function (t) {
      var j = bk > 0 ? n.indexOf(t, Math.max(0, bk - t.length + 1)) : -1;
      if (j >= 0 && j < bk) return true;
      j = ek < n.length ? n.indexOf(t, Math.max(0, ek - t.length + 1)) : -1;
      return j >= 0 && j < ek;
    });
    var marked = crosses ? highlight(text, termStrs, from, to) :
      highlight(text, termStrs, from, to, normMap(text.slice(bi, ei)), bi);
    return (from > 0 ? "…" : "") + marked + (to < len ? "…" : "");
  }

  function resultHtml(r, termStrs) {
    var f = r.fields, root = window.DANGAN_ROOT || "";
    return '<li class="dg-result"><a class="dg-title" href="' + esc(root + f.url) + '">' +
      highlight(f.title, termStrs, 0, f.title.length) + '</a><div class="dg-meta"><span class="dg-unit">' +
      esc(f.unit) + '</span><span class="dg-date">' + esc(f.date) +
      '</span><span class="dg-kind">' + esc(f.kind) + '</span></div><p class="dg-snippet">' +
      (r.snip.part === null ? "" : '<span class="dg-part">附件：' + esc(r.snip.part) + "</span> ") +
      snippet(r.snip.text.slice(r.snip.from, r.snip.to), termStrs) + "</p></li>";
  }

  /* ---- ranking: a heap of candidates, best first ---- */

  /* Candidate a ranks above b: more terms in the title, then more in the
   * report's own text (not only an attachment's), then a higher score, then newer. */
  function better(cur, a, b) {
    return cur.kt[a] !== cur.kt[b] ? cur.kt[a] > cur.kt[b] :
      cur.ko[a] !== cur.ko[b] ? cur.ko[a] > cur.ko[b] :
      cur.ks[a] !== cur.ks[b] ? cur.ks[a] > cur.ks[b] : cur.num[a] > cur.num[b];
  }

  function heapPush(cur, i) {
    var h = cur.heap, j = h.length;
    h.push(i);
    while (j > 0) {
      var p = (j - 1) >> 1;
      if (!better(cur, h[j], h[p])) break;
      var t = h[j]; h[j] = h[p]; h[p] = t; j = p;
    }
  }

  function heapPop(cur) {
    var h = cur.heap, top = h[0], last = h.pop();
    if (h.length) {
      h[0] = last;
      siftDown(cur, 0);
    }
    return top;
  }

  /* Moves the entry at j down until its children rank below it. */
  function siftDown(cur, j) {
    var h = cur.heap;
    for (;;) {
      var l = 2 * j + 1, r = l + 1, m = j;
      if (l < h.length && better(cur, h[l], h[m])) m = l;
      if (r < h.length && better(cur, h[r], h[m])) m = r;
      if (m === j) break;
      var t = h[j]; h[j] = h[m]; h[m] = t; j = m;
    }
  }

  /* Runs fn as a task of its own, soon: the page can handle a keystroke in between. */
  var soon = (function () {
    var ch = new MessageChannel(), queue = [];
    ch.port1.onmessage = function () { taskStart = performance.now(); queue.shift()(); };
    return function (fn) { queue.push(fn); ch.port2.postMessage(0); };
  })();
  var SLICE_MS = 12;

  /* Whether the current task has run for a slice already: work done result
   * by result (texts checked, snippets cut) then goes on in a task of its
   * own. taskStart is set where a task of this script starts that goes on
   * to such work: a file loaded, a `soon`, an event. */
  function late() { return performance.now() - taskStart > SLICE_MS; }

  /* Runs the generator `it` in slices of about SLICE_MS, each a task of its
   * own, so that no task of a search keeps the page from reacting for long;
   * the generators yield every thousand or so steps. cb(its return value) at
   * the end; nothing once a newer search has started (my !== gen). */
  function sliced(it, my, cb) {
    (function step() {
      if (my !== gen) return;
      var t0 = performance.now(), r;
      while (!(r = it.next()).done) {
        if (performance.now() - t0 > SLICE_MS) return soon(step);
      }
      cb(r.value);
    })();
  }

  /* Runs a generator to its end at once (for small work). */
  function drain(it) {
    var r;
    while (!(r = it.next()).done) { /* on */ }
    return r.value;
  }

  /* Builds the heap in slices (a large candidate set takes a while): the
   * candidates that pass the filters, then each parent sifted down from the
   * last (Floyd's, linear in their number). */
  function* rankAll(cur) {
    var n = cur.num.length, h = cur.heap, i;
    for (i = 0; i < n; i++) {
      if ((i & 1023) === 1023) yield;
      if (passes(cur.num[i], "")) h.push(i);
    }
    for (i = (h.length >> 1) - 1; i >= 0; i--) {
      if ((i & 1023) === 1023) yield;
      siftDown(cur, i);
    }
  }

  /* Texts are loaded for this many of the best candidates at once: those of
   * a page, and a few more for candidates that turn out not to hold a long
   * term; without a long term every candidate is a result, so a page's
   * texts are enough, and whether there are more is whether candidates are
   * left (each text is a file, and each file costs the page a few ms). */
  var AHEAD = PAGE + 5;

  /* Whether candidate i's first text piece is loaded. */
  function fetched(cur, i) { return cur.fetched[i] === 1; }

  /* Loads the text names and first pieces of the best AHEAD candidates not
   * yet loaded (all at once), then cb. */
  function prefetch(cur, my, cb) {
    var took = [];
    var ahead = cur.long ? AHEAD : PAGE;
    while (took.length < ahead && cur.heap.length) took.push(heapPop(cur));
    took.forEach(function (i) { heapPush(cur, i); });
    var want = took.filter(function (i) { return !fetched(cur, i); }), left = want.length;
    if (!left) return cb();
    want.forEach(function (i) {
      namesOf(cur.num[i], function (names) {
        loadAll(names ? [names[0]] : [], function () {
          cur.fetched[i] = 1;
          if (--left === 0 && my === gen) cb();
        });
      });
    });
  }

  /* The next result in order: pops candidates, checks each on its text
   * (long terms, exact title), puts back one whose title holds fewer terms
   * than its estimate said, drops one that lacks a term. cb(result or null). */
  function nextResult(cur, my, cb) {
    (function next() {
      if (my !== gen) return;
      if (late()) return soon(next);
      if (!cur.heap.length) return cb(null);
      var i = cur.heap[0];
      if (!cur.alive[i]) { heapPop(cur); return next(); }
      if (!fetched(cur, i)) return prefetch(cur, my, next);
      heapPop(cur);
      checkText({ num: cur.num[i], i: i }, cur, function (r) {
        if (my !== gen) return;
        if (!r) { cur.alive[i] = 0; return next(); }
        if (!r.ok) { cur.alive[i] = 0; cur.falseSeen++; return next(); }
        if (!cur.checked[i]) cur.trueSeen++;
        cur.checked[i] = 1;
        if (r.titleTerms < cur.kt[i] || (r.titleTerms === cur.kt[i] && r.ownTerms < cur.ko[i])) {
          cur.kt[i] = r.titleTerms;
          cur.ko[i] = r.ownTerms;
          heapPush(cur, i);
          return next();
        }
        cb(r);
      });
    })();
  }

  /* Shows the next page. With a long term, finds the result after it, so
   * that "more" is offered only when there is one; without, every candidate
   * left is one. Each result's HTML is made as it is found (its text checked,
   * its snippet cut: a few ms each), in slices of about SLICE_MS, so that
   * the page can react in between. */
  function showMore(my) {
    var cur = current, out = [];
    if (cur.ahead) { out.push(resultHtml(cur.ahead, cur.termStrs)); cur.ahead = null; }
    (function fill() {
      if (my !== gen) return;
      if (late()) return soon(fill);
      if (out.length === PAGE && !cur.long) return shown(cur.heap.length > 0);
      nextResult(cur, my, function (r) {
        if (r && out.length < PAGE) { out.push(resultHtml(r, cur.termStrs)); return fill(); }
        cur.ahead = r;
        shown(!!r);
      });
    })();
    function shown(more) {
      el.results.insertAdjacentHTML("beforeend", out.join(""));
      cur.shown += out.length;
      cur.firstShown = true;
      el.more.hidden = !more;
      trimShards(using);
      report();
    }
  }

  /* The status and the filters' counts as far as they are known: counted
   * in slices (many candidates take a while), then shown, unless a later
   * report or search came first. */
  function report() {
    var cur = current;
    if (!cur || !ix) return;
    var rep = cur.reports = (cur.reports || 0) + 1, exact = cur.exact, facets = cur.facets;
    sliced(reportCounts(cur, facets), gen, function (r) {
      if (cur === current && rep === cur.reports) showReport(cur, r, exact, facets);
    });
  }

  function* reportCounts(cur, facets) {
    var nums = new Int32Array(cur.num.length), m = 0, total = 0;
    for (var i = 0; i < cur.num.length; i++) {
      if ((i & 1023) === 1023) yield;
      if (cur.alive[i]) {
        nums[m++] = cur.num[i];
        if (passes(cur.num[i], "")) total++;
      }
    }
    nums = nums.subarray(0, m);
    return { nums: nums, total: total, filters: yield* filterCounts(nums, facets) };
  }

  function showReport(cur, r, exact, facets) {
    var nums = r.nums, total = r.total;
    if (!exact) {
      // Of the candidates checked on their text so far, this share held every term.
      var seen = cur.trueSeen + cur.falseSeen;
      total = seen ? Math.round(r.total * cur.trueSeen / seen) : r.total;
    }
    drawFilters(r.filters, facets, !exact);
    if (!cur.firstShown) return;
    if (!total && exact) {
      return status(nums.length ? "筛选条件下没有结果（共 " + nums.length + " 篇含有该词句）" :
        "没有找到包含“" + cur.termStrs.join(" ") + "”的报告", facets ? "done" : "partial", 0);
    }
    var note = cur.filtered ? "（已筛选）" : "";
    // Done: nothing more will be loaded for this count (exact, or an estimate the page gave up refining).
    status((exact ? "找到 " : "找到约 ") + total + " 篇报告" + note,
      facets && (exact || cur.gaveUp) ? "done" : "partial", exact ? total : undefined);
  }

  /* ---- the exact count, in the background ---- */

  /* Candidates of a long term checked on their texts in the background, at
   * most: past that, the count stays an estimate (until paged through). */
  var BACKGROUND_TEXTS = 200;

  /* Loads the facet files of every candidate (the filters' counts), then,
   * for a term longer than four characters, checks the candidates not yet
   * checked on their texts, AHEAD at a time; the count is exact at the end. */
  function refine(my) {
    var cur = current, mf = metaLeaf(), i;
    loadAll(shardsOf(cur.num).map(function (s) { return mf.f[s]; }), function () {
      if (my !== gen) return;
      cur.facets = true;
      report();
      if (cur.exact) return;
      var todo = [];
      for (i = 0; i < cur.num.length; i++) if (cur.alive[i] && !cur.checked[i]) todo.push(i);
      if (todo.length > BACKGROUND_TEXTS) { cur.gaveUp = true; return report(); }
      var at = 0;
      (function batch() {
        if (my !== gen) return;
        var part = todo.slice(at, at + AHEAD), left = part.length;
        at += part.length;
        if (!left) { cur.exact = true; return report(); }
        part.forEach(function (i) {
          if (cur.checked[i] || !cur.alive[i]) { if (--left === 0) { report(); batch(); } return; }
          checkText({ num: cur.num[i], i: i }, cur, function (r) {
            if (my !== gen) return;
            if (!r || !r.ok) { cur.alive[i] = 0; if (r) cur.falseSeen++; }
            else if (!cur.checked[i]) { cur.checked[i] = 1; cur.trueSeen++; }
            if (--left === 0) { report(); batch(); }
          });
        });
      })();
    });
  }

  /* ---- a search ---- */

  function run() {
    var my = ++gen;
    taskStart = performance.now();
    writeUrl();
    using = Object.create(null);
    using.index = 1;
    var termStrs = queryTerms(state.q);
    var terms = termStrs.map(function (t) { return Array.from(t).map(function (c) { return c.codePointAt(0); }); });
    el.results.innerHTML = "";
    el.more.hidden = true;
    current = null;
    if (!terms.length) {
      renderFilters([], false, false);
      return status(state.q ? "" : "输入词句开始查找", "empty", 0);
    }
    status("正在查找…", "loading");
    var leaves = {};
    terms.forEach(function (cps) {
      termKeys(cps).forEach(function (k) { leaves[ix.leafNames.d[Math.floor(listBucket(k) / ix.leafSpan)]] = 1; });
    });
    leaves[ix.leafNames.mf] = 1;
    loadAll(Object.keys(leaves), function (ok) {
      if (my !== gen) return;
      if (!ok) return status("索引文件缺失，请重新生成网站。", "error");
      var files = [];
      terms.forEach(function (cps) { termKeys(cps).forEach(function (k) { files.push(listFile(k)); }); });
      // One key with a file of its own: its reports (a few thousand or more)
      // are the candidates, and are in every length shard but by chance, so
      // those files load alongside the list instead of after it.
      if (files.length === 1 && /^k\//.test(files[0])) files = files.concat(metaLeaf().m);
      loadAll(files, function (ok) {
        if (my !== gen) return;
        if (!ok) return status("索引文件缺失，请重新生成网站。", "error");
        sliced(candidates(terms), my, function (c) {
          var mf = metaLeaf(), need = {}, facets = state.unit >= 0 || state.type >= 0;
          shardsOf(c.num).forEach(function (s) {
            need[mf.m[s]] = 1;
            // A unit or type filter needs the facets of every candidate first.
            if (facets) need[mf.f[s]] = 1;
          });
          loadAll(Object.keys(need), function (ok) {
            if (my !== gen) return;
            if (!ok) return status("索引文件缺失，请重新生成网站。", "error");
            sliced(start(termStrs, terms, c), my, function () {
              sliced(rankAll(current), my, function () {
                showMore(my);
                refine(my);
              });
            });
          });
        });
      });
    });
  }

  /* The m/ and f/ shards (by number) that hold the numbers `nums` (increasing). */
  function shardsOf(nums) {
    var out = [];
    for (var i = 0; i < nums.length;) {
      var s = Math.floor(nums[i] / ix.metaSpan);
      out.push(s);
      i = lowerBound(nums, (s + 1) * ix.metaSpan, i);
    }
    return out;
  }

  /* The first index from `i` on where a[index] >= v (a increasing). */
  function lowerBound(a, v, i) {
    var hi = a.length;
    while (i < hi) {
      var mid = (i + hi) >> 1;
      if (a[mid] < v) i = mid + 1;
      else hi = mid;
    }
    return i;
  }

  /* Scores the candidates (a generator, see `sliced`), making them `current`. */
  function* start(termStrs, terms, c) {
    var n = c.num.length, i, t, lens = {};
    var idfs = terms.map(function (cps, k) { return idf(ix.n, c.df[k]); });
    var kt = new Uint8Array(n), ko = new Uint8Array(n), ks = new Float64Array(n);
    // tfPart depends on the count's class (the same from 12 on) and the length class only.
    var tfs = new Float64Array(13 * 128).fill(-1);
    for (i = 0; i < n; i++) {
      if ((i & 1023) === 1023) yield;
      var s = Math.floor(c.num[i] / ix.metaSpan);
      if (!lens[s]) {
        var r = new Bits(shards[metaLeaf().m[s]][0]), k = Math.min(ix.metaSpan, ix.n - s * ix.metaSpan);
        lens[s] = new Uint8Array(k);
        for (var j = 0; j < k; j++) lens[s][j] = r.bits(7);
      }
      var lc = lens[s][c.num[i] - s * ix.metaSpan], title = 0, own = 0, score = 0;
      for (t = 0; t < terms.length; t++) {
        title += c.per[t].title[i];
        own += c.per[t].own[i];
        var at = Math.min(c.per[t].tfc[i], 12) * 128 + lc;
        if (tfs[at] < 0) tfs[at] = tfPart(c.per[t].tfc[i], lenOfClass(lc), ix.avgLen);
        score += idfs[t] * tfs[at];
      }
      kt[i] = title;
      ko[i] = own;
      ks[i] = score;
    }
    // Terms of up to four characters are known exactly from their lists.
    var long = terms.some(function (cps) { return cps.length > 4; });
    current = {
      termStrs: termStrs, terms: terms, long: long, num: c.num, per: c.per, kt: kt, ko: ko, ks: ks, heap: [],
      alive: new Uint8Array(n).fill(1), checked: new Uint8Array(n), fetched: new Uint8Array(n),
      shown: 0, trueSeen: 0, falseSeen: 0, exact: !long, gaveUp: false, ahead: null, firstShown: false,
      facets: state.unit >= 0 || state.type >= 0,
      filtered: state.unit >= 0 || state.type >= 0 || !!state.from || !!state.to
    };
  }

  function readFilters() {
    state.unit = -1;
    for (var i = 0; i < ix.units.length; i++) if (ix.units[i].path === el.unit.value) state.unit = i;
    state.type = el.type.value ? ix.kinds.indexOf(el.type.value) : -1;
    state.from = parseInt(el.from.value, 10) || 0;
    state.to = parseInt(el.to.value, 10) || 0;
  }

  function init() {
    ["q", "unit", "from", "to", "type", "status", "results", "more", "form"].forEach(function (id) {
      el[id] = document.getElementById("dg-" + id);
    });
    if (!el.q) return;
    status("正在载入索引…", "loading");
    load("index", function (ok) {
      if (!ok) return status("找不到搜索索引（_search/index.js）。", "error");
      ix = parseEntry(shards.index[0], shards.index[1]);
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
      el.more.addEventListener("click", function () { taskStart = performance.now(); showMore(gen); });
      run();
    });
  }

  window.DANGAN_SEARCH = {
    queryTerms: queryTerms, keyHash: keyHash, normMap: normMap, norm: norm, snippet: snippet,
    loaded: function () { return Object.keys(shards).sort(); },
    units: function () { return Object.keys(shards).reduce(function (t, n) { return t + shards[n].size; }, 0); }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
