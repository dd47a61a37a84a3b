/*
 * certgraph query editor: starts YASGUI with one tab per named query (see certgraph/web/editor.py).
 *
 * Reads its settings from the JSON in <script id="certgraph-editor-config">:
 *   {"endpoint": "/sparql", "persistenceId": "certgraph-editor-<hash>",
 *    "examples": [{"name": "lineage/ancestors", "query": "..."}]}
 * Nothing here fetches from outside the page's own server.
 */
(function () {
  "use strict";

  var CONFIG_ELEMENT_ID = "certgraph-editor-config";
  var STORAGE_PREFIX = "certgraph-editor-";
  // Autocompleters that ask a remote vocabulary service (Linked Open Vocabularies).
  var REMOTE_AUTOCOMPLETERS = ["class", "property"];

  function readConfig() {
    return JSON.parse(document.getElementById(CONFIG_ELEMENT_ID).textContent);
  }

  function disableRemoteAutocompleters(Yasqe) {
    Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
      return REMOTE_AUTOCOMPLETERS.indexOf(name) < 0;
    });
  }

  // YASGUI reads a share link from the fragment if there is one, else from the query string.
  function hasShareLink() {
    var params = window.location.hash.length > 1 ? window.location.hash.slice(1) : window.location.search.slice(1);
    return new URLSearchParams(params).has("query");
  }

  // The persistence id changes with the examples: forget tabs stored for older example sets.
  function dropStaleStorage(persistenceId) {
    try {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf(STORAGE_PREFIX) === 0 && key.indexOf(persistenceId + "_") !== 0) {
          window.localStorage.removeItem(key);
        }
      });
    } catch (error) {
      // Storage disabled: YASGUI then persists nothing either.
    }
  }

  function exampleTabId(persistenceId, index) {
    return persistenceId + "-" + index;
  }

  // Example tabs the user kept (maybe edited) stay as they are; closed or new ones come back.
  function addMissingExamples(yasgui, config, endpoint) {
    var present = yasgui.persistentConfig.getTabs();
    config.examples.forEach(function (example, index) {
      var id = exampleTabId(config.persistenceId, index);
      if (present.indexOf(id) >= 0) return;
      yasgui.addTab(
        false,
        { id: id, name: example.name, yasqe: { value: example.query }, requestConfig: { endpoint: endpoint } },
        { atIndex: index }
      );
    });
  }

  function selectTab(yasgui, tabId) {
    if (yasgui.getTab()) {
      yasgui.selectTabId(tabId);
    } else {
      // No tab is active yet (fresh storage): selectTabId needs a current tab to switch from.
      yasgui.persistentConfig.setActive(tabId);
      yasgui.getTab(tabId).show();
    }
  }

  function start() {
    var config = readConfig();
    var Yasgui = window.Yasgui;
    var endpoint = new URL(config.endpoint, window.location.href).href;
    var fromShareLink = hasShareLink();
    disableRemoteAutocompleters(Yasgui.Yasqe);
    dropStaleStorage(config.persistenceId);
    var yasgui = new Yasgui(document.getElementById("yasgui"), {
      persistenceId: config.persistenceId,
      autoAddOnInit: false,
      requestConfig: { endpoint: endpoint, method: "POST" },
      endpointCatalogueOptions: {
        getData: function () {
          return [{ endpoint: endpoint }];
        },
      },
    });
    addMissingExamples(yasgui, config, endpoint);
    if (yasgui.persistentConfig.getTabs().length === 0) {
      yasgui.addTab(true);
    } else if (!fromShareLink && config.examples.length > 0) {
      selectTab(yasgui, exampleTabId(config.persistenceId, 0));
    }
    window.certgraphEditor = yasgui;
  }

  start();
})();
