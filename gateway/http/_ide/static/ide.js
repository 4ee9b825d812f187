// The gateway's IDE: GraphiQL with the explorer and the explain panel (explain.js; the
// IDE is served only outside production, where explain mode is always allowed). Its
// configuration is the page's JSON data block (#ide-config); nothing here is inline in
// the page, so its policy allows no inline script.
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('ide-config').textContent);
  // GraphiQL's dialogs add a <style> element; it carries this nonce, which the page's
  // Content-Security-Policy allows (read by react-remove-scroll as __webpack_nonce__).
  window.__webpack_nonce__ = config.styleNonce;

  var explain = window.GatewayExplain.createStore();

  // Sends the request as GraphiQL asks (its headers editor's headers included), adds
  // X-Gateway-Explain while the panel's switch is on, and hands the answer's
  // extensions.explain to the panel. GraphiQL's own schema query is not explained.
  function fetcher(params, options) {
    var headers = Object.assign(
      { Accept: 'application/graphql-response+json, application/json', 'Content-Type': 'application/json' },
      (options && options.headers) || {}
    );
    var explained = explain.enabled() && params.operationName !== 'IntrospectionQuery';
    if (explained) {
      headers['X-Gateway-Explain'] = '1';
    }
    var started = performance.now();
    return fetch(config.endpoint, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params),
      credentials: 'same-origin',
    }).then(function (response) {
      return response.json().then(function (body) {
        if (explained) {
          var extensions = body && body.extensions;
          explain.set(extensions && extensions.explain, performance.now() - started);
        }
        return body;
      });
    });
  }

  // GraphiQL's history (graphiql:queries, graphiql:favorites) keeps each run's headers
  // even with shouldPersistHeaders off: unless headers may persist, they are dropped
  // from what is written to localStorage.
  function withoutHeaders(key, value) {
    if (!/:(queries|favorites)$/.test(key)) {
      return value;
    }
    try {
      var stored = JSON.parse(value);
      Object.keys(stored).forEach(function (list) {
        (Array.isArray(stored[list]) ? stored[list] : []).forEach(function (item) {
          delete item.headers;
        });
      });
      return JSON.stringify(stored);
    } catch (error) {
      return '{}';
    }
  }

  function storageWithoutHeaders() {
    function ours(key) {
      return key.indexOf('graphiql:') === 0;
    }
    return {
      getItem: function (key) {
        return localStorage.getItem(key);
      },
      setItem: function (key, value) {
        localStorage.setItem(key, withoutHeaders(key, value));
      },
      removeItem: function (key) {
        localStorage.removeItem(key);
      },
      get length() {
        return Object.keys(localStorage).filter(ours).length;
      },
      clear: function () {
        Object.keys(localStorage).filter(ours).forEach(function (key) {
          localStorage.removeItem(key);
        });
      },
    };
  }

  var explainPanel = window.GatewayExplain.plugin(explain);
  var plugins = [GraphiQLPluginExplorer.explorerPlugin(), explainPanel];

  var props = {
    fetcher: fetcher,
    plugins: plugins,
    query: config.query,
    variables: config.variables,
    // The sandbox's demo credential on the sandbox; elsewhere the editor starts empty,
    // and what a user types is never written to the browser's storage.
    headers: config.headers || undefined,
    shouldPersistHeaders: config.persistHeaders,
    storage: config.persistHeaders ? undefined : storageWithoutHeaders(),
    // Open on the explain panel: what a run cost upstream, at a glance.
    visiblePlugin: explainPanel,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
  };

  document.title = config.title;
  var root = ReactDOM.createRoot(document.getElementById('ide'));
  root.render(
    React.createElement(
      GraphiQL,
      props,
      React.createElement(
        GraphiQL.Logo,
        null,
        React.createElement('span', { className: 'ide-product' }, config.title)
      )
    )
  );
})();
