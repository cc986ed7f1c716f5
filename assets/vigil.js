// Small browser-side helpers for Vigil's pages.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  vigil: {
    // Mirror a page's state into the address bar without a reload or a new
    // history entry, so a copied link reopens the same view.
    replaceQuery: function (query) {
      if (typeof query !== "string") {
        return window.dash_clientside.no_update;
      }
      var target = window.location.pathname + (query ? "?" + query : "");
      if (target !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", target);
      }
      return window.dash_clientside.no_update;
    },
  },
});
