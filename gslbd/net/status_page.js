/* gslbd status page: polls /v1/status twice a second and updates the map
 * and tables that the server rendered. Read-only: it never writes. */
(function () {
	'use strict';
	var POLL_MS = 500;
	var cfg = JSON.parse(document.getElementById('gslb-config').textContent);
	var errBox = document.getElementById('js-error');
	var dcIndex = {}, probeIndex = {};

	function jsError(msg) {
		errBox.hidden = false;
		errBox.textContent = 'page error: ' + msg;
	}
	window.addEventListener('error', function (e) { jsError(e.message); });
	window.addEventListener('unhandledrejection', function (e) { jsError(String(e.reason)); });

	cfg.datacenters.forEach(function (d, i) { dcIndex[d.name] = i; });
	cfg.probes.forEach(function (p, i) { probeIndex[p.id] = i; });

	function el(id) { return document.getElementById(id); }
	function setText(node, text) { if (node && node.textContent !== text) node.textContent = text; }
	function setClass(node, prefix, value) {
		if (!node) return;
		var keep = node.getAttribute('class').split(' ').filter(function (c) {
			return c.indexOf(prefix) !== 0;
		});
		keep.push(prefix + value);
		node.setAttribute('class', keep.join(' '));
	}
	function badge(node, state) {
		if (!node) return;
		setText(node, state);
		setClass(node, 'st-', state);
	}
	function ms(v) { return v === null || v === undefined ? '' : v.toFixed(1) + ' ms'; }
	function age(v) {
		if (v === null || v === undefined) return 'never';
		return v < 1000 ? v + ' ms ago' : (v / 1000).toFixed(1) + ' s ago';
	}

	/* The state a person cares about: overrides first, then what DNS does. */
	function dcState(d) {
		if (d.admin === 'drain') return 'drained';
		if (d.admin === 'force-up') return 'forced';
		if (d.state === 'down') return 'down';
		if (d.health === 'unknown') return 'unknown';
		return 'up';
	}

	function rad(x) { return x * Math.PI / 180; }
	function distance(a, b) {
		var s = Math.sin(rad(b.lat - a.lat) / 2), t = Math.sin(rad(b.lon - a.lon) / 2);
		var h = s * s + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * t * t;
		return 2 * Math.asin(Math.min(1, Math.sqrt(h)));
	}

	/* The datacenters a pool would answer near a probe region (policy order,
	 * usable ones first), as far as the page can tell without a client. */
	function expectedAnswers(pool, region, status, up) {
		var dcs = pool.datacenters.slice();
		var where = null;
		cfg.probes.forEach(function (p) { if (p.region === region && !where) where = p; });
		if (pool.policy === 'nearest' && where) {
			dcs.sort(function (a, b) {
				return distance(where, cfg.datacenters[dcIndex[a]]) -
					distance(where, cfg.datacenters[dcIndex[b]]);
			});
		} else if (pool.policy === 'latency' && status.latency && status.latency[region]) {
			var rank = status.latency[region].map(function (r) { return r.datacenter; });
			dcs.sort(function (a, b) {
				var ia = rank.indexOf(a), ib = rank.indexOf(b);
				return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
			});
		}
		var usable = dcs.filter(function (n) { return up[n]; });
		if (usable.length === 0) return pool.all_down + ' (every datacenter down)';
		return usable.slice(0, pool.answers).join(', ');
	}

	/* A reload that added or removed datacenters or probes changes the map:
	 * fetch the page again rather than draw it here a second time. */
	function configChanged(status) {
		return status.datacenters.length !== cfg.datacenters.length ||
			status.probes.length !== cfg.probes.length ||
			status.datacenters.some(function (d) { return dcIndex[d.name] === undefined; }) ||
			status.probes.some(function (p) { return probeIndex[p.id] === undefined; });
	}

	function update(status) {
		var up = {};
		if (configChanged(status)) {
			window.location.reload();
			return;
		}
		setText(el('gen'), 'generation ' + status.generation);
		status.datacenters.forEach(function (d) {
			var i = dcIndex[d.name];
			if (i === undefined) return;
			var st = dcState(d);
			up[d.name] = d.state === 'up';
			var row = el('dc-' + i);
			row.setAttribute('data-state', st);
			badge(row.querySelector('.badge'), st);
			setText(row.querySelector('.admin'), d.admin === 'none' ? '' : d.admin);
			setText(row.querySelector('.reason'), d.reason || '');
			// utilisation and spill-over share of a datacenter with a capacity
			setText(row.querySelector('.load'), !d.load ? '' :
				(d.load.utilisation === null ? 'no load' :
					Math.round(d.load.utilisation * 100) + '%') +
				(d.load.share < 1 ? ', keeps ' + Math.round(d.load.share * 100) + '%' : ''));
			setText(row.querySelector('.votes'), d.probes.map(function (v) {
				return v.probe + ': ' + v.verdict + (v.rtt_ms === null ? '' : ' ' + ms(v.rtt_ms)) +
					(v.fresh ? '' : ' (stale)');
			}).join('; '));
			var dot = el('m-dc-' + i);
			setClass(dot, 'st-', st);
			dot.setAttribute('data-state', st);
			cfg.probes.forEach(function (p, pi) {
				var link = el('l-p' + pi + '-d' + i);
				if (link) setClass(link, 'v-', 'unknown');
			});
			d.probes.forEach(function (v) {
				var pi = probeIndex[v.probe];
				var link = el('l-p' + pi + '-d' + i);
				if (!link) return;
				setClass(link, 'v-', v.fresh ? v.verdict : 'stale');
				setText(link.querySelector('text'), ms(v.rtt_ms));
				setText(link.querySelector('title'), v.probe + ' \u2192 ' + d.name + ': ' +
					v.verdict + ' ' + ms(v.rtt_ms));
			});
		});
		status.probes.forEach(function (p) {
			var i = probeIndex[p.id];
			if (i === undefined) return;
			var cell = el('probe-' + i).querySelector('.age');
			setText(cell, age(p.last_report_age_ms));
			cell.className = 'age' + (p.last_report_age_ms === null ||
				p.last_report_age_ms > 10000 ? ' stale' : '');
		});
		var regions = [];
		cfg.probes.forEach(function (p) { if (regions.indexOf(p.region) < 0) regions.push(p.region); });
		cfg.pools.forEach(function (pool, i) {
			var cell = el('pool-' + i).querySelector('.answers');
			setText(cell, regions.map(function (r) {
				return r + ' \u2192 ' + expectedAnswers(pool, r, status, up);
			}).join('\n'));
		});
		setText(el('updated'), 'updated ' + new Date().toLocaleTimeString());
	}

	function poll() {
		var conn = el('conn');
		fetch('/v1/status', { cache: 'no-store' }).then(function (r) {
			if (!r.ok) throw new Error('HTTP ' + r.status);
			return r.json();
		}).then(function (s) {
			update(s);
			setText(conn, 'live');
			conn.className = 'meta';
		}, function (e) {
			setText(conn, 'cannot reach gslbd: ' + e.message);
			conn.className = 'meta bad';
		}).then(function () {
			setTimeout(poll, POLL_MS);
		});
	}

	/* The last hour, from GET /v1/history: a row per datacenter coloured by
	 * its state over time (samples every 10 s, events at their time), the
	 * answer share per sample interval and the events, newest first. */
	var HISTORY_POLL_MS = 2000, SVGNS = 'http://www.w3.org/2000/svg';
	var PALETTE = ['#3b73b9', '#e08a00', '#2e9d4f', '#9b59b6', '#d33a2c', '#16a2a2',
		'#8a6d3b', '#c0509b', '#5d6d7e', '#7fb800'];

	function svgEl(name, attrs, parent) {
		var n = document.createElementNS(SVGNS, name);
		Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
		if (parent) parent.appendChild(n);
		return n;
	}
	function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
	function hhmmss(t) { return new Date(t).toLocaleTimeString(); }
	function shown(st) {
		if (st.admin === 'drain') return 'drained';
		if (st.admin === 'force') return 'forced';
		return st.up === null ? 'unknown' : (st.up ? 'up' : 'down');
	}

	/* A datacenter's states over time: [{t, state}], each until the next. */
	function changes(d, times, events) {
		var steps = [];
		times.forEach(function (t, i) {
			var s = d.states[i];
			if (s !== null && s !== undefined) steps.push({ t: t, sample: s, order: 0 });
		});
		events.forEach(function (e) {
			if (e.datacenter === d.name) steps.push({ t: e.time_ms, event: e.event, order: 1 });
		});
		steps.sort(function (a, b) { return a.t - b.t || a.order - b.order; });
		var st = { admin: 'none', up: null }, out = [];
		steps.forEach(function (x) {
			if (x.sample) {
				st.admin = x.sample === 'drained' ? 'drain' : x.sample === 'forced' ? 'force' : 'none';
				if (x.sample === 'up' || x.sample === 'forced') st.up = true;
				if (x.sample === 'down') st.up = false;
			} else if (x.event === 'drained') st.admin = 'drain';
			else if (x.event === 'forced_up') st.admin = 'force';
			else if (x.event === 'undrained') st.admin = 'none';
			else if (x.event === 'down') st.up = false;
			else if (x.event === 'up') st.up = true;
			var now = shown(st);
			if (out.length === 0 || out[out.length - 1].state !== now) out.push({ t: x.t, state: now });
		});
		return out;
	}

	function drawHistory(h) {
		var tl = el('timeline'), share = el('share'), W = 1000, L = 130, R = 10, ROW = 22;
		/* From the oldest sample or event kept (at most the window), at
		 * least 10 s, so that a short history fills the width. */
		var now = h.now_ms, t0 = now - 10000;
		h.times.forEach(function (t) { if (t < t0) t0 = t; });
		h.events.forEach(function (e) { if (e.time_ms < t0) t0 = e.time_ms; });
		t0 = Math.max(t0, now - h.window_ms);
		function x(t) { return L + (W - L - R) * Math.max(0, t - t0) / Math.max(1, now - t0); }

		clear(tl);
		var height = h.datacenters.length * ROW + 24;
		tl.setAttribute('viewBox', '0 0 ' + W + ' ' + height);
		h.datacenters.forEach(function (d, i) {
			var y = i * ROW + 2;
			var row = svgEl('g', { 'class': 'tl-row', 'data-name': d.name }, tl);
			var label = svgEl('text', { 'class': 'tl-label', x: 4, y: y + 15 }, row);
			label.textContent = d.name;
			var steps = changes(d, h.times, h.events);
			steps.forEach(function (s, k) {
				var end = k + 1 < steps.length ? steps[k + 1].t : now;
				var r = svgEl('rect', { 'class': 'band st-' + s.state, 'data-state': s.state,
					x: x(s.t).toFixed(1), y: y, height: ROW - 6,
					width: Math.max(1, x(end) - x(s.t)).toFixed(1) }, row);
				svgEl('title', {}, r).textContent = d.name + ': ' + s.state + ' from ' + hhmmss(s.t);
			});
			h.events.forEach(function (e) {
				if (e.datacenter !== d.name) return;
				var g = svgEl('g', { 'class': 'ev', 'data-event': e.event }, row), xe = x(e.time_ms);
				svgEl('line', { x1: xe, x2: xe, y1: y - 1, y2: y + ROW - 5 }, g);
				svgEl('path', { d: 'M' + (xe - 4) + ' ' + (y - 2) + 'h8l-4 5z' }, g);
				svgEl('title', {}, g).textContent = hhmmss(e.time_ms) + ' ' + e.event + ': ' + e.reason;
			});
		});
		var axis = svgEl('g', { 'class': 'axis' }, tl), ay = h.datacenters.length * ROW + 18;
		[t0, (t0 + now) / 2, now].forEach(function (t, k) {
			svgEl('line', { x1: x(t), x2: x(t), y1: 0, y2: ay - 12 }, axis);
			var lab = svgEl('text', { x: x(t), y: ay, 'text-anchor': ['start', 'middle', 'end'][k] }, axis);
			lab.textContent = k === 2 ? 'now' : hhmmss(t);
		});

		/* Answer share: interval k ends at times[k] and holds answers[k]. */
		clear(share);
		var H = 90, legend = el('share-legend');
		for (var k = 1; k < h.times.length; k++) {
			var sum = 0;
			h.datacenters.forEach(function (d) { sum += d.answers[k] || 0; });
			if (sum === 0) continue;
			var yy = 5;
			h.datacenters.forEach(function (d, i) {
				var part = (d.answers[k] || 0) / sum;
				if (part <= 0) return;
				var r = svgEl('rect', { 'class': 'share', 'data-name': d.name,
					x: x(h.times[k - 1]).toFixed(1), y: yy.toFixed(1),
					width: Math.max(1, x(h.times[k]) - x(h.times[k - 1])).toFixed(1),
					height: (part * H).toFixed(1), fill: PALETTE[i % PALETTE.length] }, share);
				svgEl('title', {}, r).textContent = d.name + ': ' + Math.round(part * 100) +
					'% of ' + sum + ' answers until ' + hhmmss(h.times[k]);
				yy += part * H;
			});
		}
		clear(legend);
		h.datacenters.forEach(function (d, i) {
			var sp = document.createElement('span');
			var sw = document.createElement('span');
			sw.className = 'swatch';
			sw.style.background = PALETTE[i % PALETTE.length];
			sp.appendChild(sw);
			sp.appendChild(document.createTextNode(d.name));
			legend.appendChild(sp);
		});

		var tbody = el('event-table').querySelector('tbody');
		clear(tbody);
		h.events.slice(-50).reverse().forEach(function (e) {
			var tr = document.createElement('tr');
			var about = e.datacenter || e.pool || e.zone || e.subject || '';
			tr.setAttribute('data-event', e.event);
			tr.setAttribute('data-about', about);
			[hhmmss(e.time_ms), e.event, about, e.reason].forEach(function (v, c) {
				var td = document.createElement('td');
				td.textContent = v;
				if (c === 0) td.className = 'when';
				tr.appendChild(td);
			});
			tbody.appendChild(tr);
		});
	}

	function pollHistory() {
		fetch('/v1/history', { cache: 'no-store' }).then(function (r) {
			if (!r.ok) throw new Error('HTTP ' + r.status);
			return r.json();
		}).then(drawHistory, function () { /* the status poll reports the link */ })
			.then(function () { setTimeout(pollHistory, HISTORY_POLL_MS); });
	}
	document.documentElement.setAttribute('data-js', 'on');
	poll();
	pollHistory();
})();
