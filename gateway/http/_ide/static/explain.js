// The explain panel: a GraphiQL plugin drawing the last run's upstream calls
// (extensions.explain, asked for with X-Gateway-Explain: 1) as a waterfall: one bar per
// call from its start to its end on the request's time axis, labelled by endpoint and
// key, coloured by how the cache served it, retries and errors marked, with the totals.
// Plain JavaScript on the React global: no build step.
(function () {
  'use strict';

  var h = React.createElement;
  var OUTCOMES = [
    ['miss', 'miss: called upstream'],
    ['none', 'uncached call'],
    ['hit', 'cache hit'],
    ['stale', 'stale (served after a failed refresh)'],
    ['join', 'joined a call in flight'],
  ];

  function createStore() {
    var snapshot = { enabled: true, explain: null, clientMs: null, runs: 0 };
    var listeners = new Set();
    function publish(next) {
      snapshot = Object.assign({}, snapshot, next);
      listeners.forEach(function (listener) {
        listener();
      });
    }
    return {
      enabled: function () {
        return snapshot.enabled;
      },
      setEnabled: function (enabled) {
        publish({ enabled: enabled });
      },
      // The last explained answer (null when it had none, e.g. a refused request).
      set: function (explain, clientMs) {
        publish({ explain: explain || null, clientMs: clientMs, runs: snapshot.runs + 1 });
      },
      get: function () {
        return snapshot;
      },
      subscribe: function (listener) {
        listeners.add(listener);
        return function () {
          listeners.delete(listener);
        };
      },
    };
  }

  // What the call was for, from its query parameters (which never hold a credential).
  function key(call) {
    var p = call.params || {};
    if (call.endpoint === 'promotion' && p.promotionId) {
      return p.programId + '/' + p.promotionId;
    }
    if (call.endpoint === 'customer_promotions') {
      return [p.identifierName, p.identifierValue].join(' ') + (p.offset && p.offset !== '0' ? ' @' + p.offset : '');
    }
    if (call.endpoint === 'promotion_list') {
      return ['program ' + (p.program || '*'), p.status, p.offset ? '@' + p.offset : null]
        .filter(Boolean)
        .join(' ');
    }
    return Object.keys(p)
      .map(function (name) {
        return name + '=' + p[name];
      })
      .join(' ');
  }

  function ms(value) {
    if (value === null || value === undefined) {
      return '–';
    }
    return value < 10 ? value.toFixed(1) + ' ms' : Math.round(value) + ' ms';
  }

  function Totals(props) {
    var totals = props.explain.totals || {};
    var cache = totals.cache || {};
    var estimate = totals.estimatedUpstreamCalls;
    var budget = totals.maxUpstreamCalls;
    var items = [
      ['Upstream calls', String(totals.upstreamCalls) + (totals.retries ? ' (' + totals.retries + ' retries)' : '')],
      ['Cache hits', String(cache.hit || 0) + (cache.stale ? ', ' + cache.stale + ' stale' : '') + (cache.join ? ', ' + cache.join + ' joined' : '')],
      ['Wall time', ms(totals.wallMs) + (props.clientMs ? ' (browser ' + ms(props.clientMs) + ')' : '')],
      ['Upstream time', ms(totals.upstreamMs) + ' summed over calls'],
      [
        'Estimated cost',
        estimate === null || estimate === undefined ? '–' : estimate + ' of ' + budget + ' calls allowed',
      ],
    ];
    return h(
      'dl',
      { className: 'gx-totals' },
      items.map(function (item) {
        return h(React.Fragment, { key: item[0] }, h('dt', null, item[0]), h('dd', null, item[1]));
      }),
      budget
        ? h(
            'div',
            { className: 'gx-budget', title: 'estimated upstream calls against MAX_UPSTREAM_CALLS_PER_OPERATION' },
            h('span', {
              className: 'gx-budget-used' + (estimate > budget ? ' gx-over' : ''),
              style: { width: Math.min(100, (100 * (estimate || 0)) / budget) + '%' },
            })
          )
        : null
    );
  }

  function Waterfall(props) {
    var calls = (props.explain.calls || []).slice().sort(function (a, b) {
      return a.startMs - b.startMs;
    });
    var span = Math.max(
      props.explain.totals && props.explain.totals.wallMs ? props.explain.totals.wallMs : 0,
      calls.reduce(function (most, call) {
        return Math.max(most, call.endMs === null ? call.startMs : call.endMs);
      }, 0),
      1
    );
    function at(value) {
      return (100 * value) / span + '%';
    }
    var ticks = [0, 0.5, 1].map(function (share) {
      return h('span', { key: share, className: 'gx-tick', style: { left: share * 100 + '%' } }, ms(share * span));
    });
    // One grid for the axis and every call, so that all bars share one time axis.
    return h(
      'div',
      { className: 'gx-waterfall', role: 'list' },
      h('span', { className: 'gx-label gx-axis' }, 'call'),
      h('span', { className: 'gx-track gx-axis' }, ticks),
      calls.map(function (call, index) {
        var end = call.endMs === null ? call.startMs : call.endMs;
        var marks = [];
        if (call.retries) {
          marks.push(h('span', { key: 'r', className: 'gx-retry', title: call.retries + ' retries' }, '↻' + call.retries));
        }
        if (call.error) {
          marks.push(h('span', { key: 'e', className: 'gx-failed', title: call.error }, '✕ ' + call.error));
        }
        var title = [
          call.endpoint + ' ' + key(call),
          'cache: ' + call.cache,
          'status: ' + (call.status === null ? '–' : call.status),
          'from ' + ms(call.startMs) + ' to ' + ms(end),
        ].join('\n');
        return h(
          React.Fragment,
          { key: index },
          h('span', { className: 'gx-label', title: title, role: 'listitem' }, h('b', null, call.endpoint), ' ', key(call)),
          h(
            'span',
            { className: 'gx-track', title: title },
            h('span', {
              className: 'gx-bar gx-' + call.cache + (call.retries ? ' gx-retried' : '') + (call.error ? ' gx-errored' : ''),
              'data-endpoint': call.endpoint,
              'data-cache': call.cache,
              'data-start-ms': call.startMs,
              'data-end-ms': end,
              style: { left: at(call.startMs), width: at(end - call.startMs) },
            }),
            marks.length ? h('span', { className: 'gx-marks' }, marks) : null
          )
        );
      })
    );
  }

  function Legend() {
    return h(
      'ul',
      { className: 'gx-legend' },
      OUTCOMES.map(function (outcome) {
        return h('li', { key: outcome[0] }, h('span', { className: 'gx-swatch gx-' + outcome[0] }), outcome[1]);
      }),
      h('li', { key: 'retry' }, h('span', { className: 'gx-swatch gx-miss gx-retried' }), 'retried'),
      h('li', { key: 'error' }, h('span', { className: 'gx-swatch gx-miss gx-errored' }), 'failed')
    );
  }

  function plugin(store) {
    function Panel() {
      var state = React.useSyncExternalStore(store.subscribe, store.get);
      var body;
      if (!state.enabled) {
        body = h('p', { className: 'gx-note' }, 'Explain is off: runs are sent without X-Gateway-Explain.');
      } else if (state.runs === 0) {
        body = h('p', { className: 'gx-note' }, 'Run a query: its upstream calls are drawn here.');
      } else if (state.explain === null) {
        body = h('p', { className: 'gx-note' }, 'The last answer carried no explanation (it was refused before running).');
      } else {
        body = h(
          React.Fragment,
          null,
          h(Totals, { explain: state.explain, clientMs: state.clientMs }),
          h(Legend),
          h(Waterfall, { explain: state.explain })
        );
      }
      return h(
        'section',
        { className: 'gx-panel', 'aria-label': 'Explain' },
        h('div', { className: 'graphiql-doc-explorer-title' }, 'Explain'),
        h(
          'label',
          { className: 'gx-switch' },
          h('input', {
            type: 'checkbox',
            checked: state.enabled,
            onChange: function (event) {
              store.setEnabled(event.target.checked);
            },
          }),
          ' explain each run (X-Gateway-Explain: 1)'
        ),
        body
      );
    }

    function Icon() {
      return h(
        'svg',
        { viewBox: '0 0 24 24', width: '1em', height: '1em', fill: 'currentColor', 'aria-hidden': 'true' },
        h('rect', { x: 2, y: 4, width: 10, height: 3, rx: 1 }),
        h('rect', { x: 6, y: 10.5, width: 12, height: 3, rx: 1 }),
        h('rect', { x: 6, y: 17, width: 15, height: 3, rx: 1 })
      );
    }

    return { title: 'Explain', icon: Icon, content: Panel };
  }

  window.GatewayExplain = { createStore: createStore, plugin: plugin };
})();
