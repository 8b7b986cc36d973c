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
	document.documentElement.setAttribute('data-js', 'on');
	poll();
})();
