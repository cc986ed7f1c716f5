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

// A session that ends while a page is open (it expired, the user logged out in
// another tab, an admin disabled the account): the gate answers Dash's requests
// with 401 and the page would sit still, every click ignored. Go to the login
// page instead, which comes back here; label drafts live in localStorage.
(function () {
  "use strict";
  var fetch0 = window.fetch.bind(window);
  var leaving = false;
  window.fetch = function (input, init) {
    return fetch0(input, init).then(function (response) {
      var url = typeof input === "string" ? input : input.url;
      if (response.status === 401 && !leaving && url.indexOf("/_dash-") !== -1) {
        leaving = true;
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
