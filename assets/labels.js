// Label drafts (components/label_drafts.py): the only code that changes them.
// Each function takes the drafts as they stand now and returns a new object, so
// a result from the server is applied to the latest drafts, never to a stale copy.
(function () {
  "use strict";
  var NO = function () { return window.dash_clientside.no_update; };

  function text(value) {
    var t = typeof value === "string" ? value.trim() : "";
    return t === "" ? null : t;
  }

  // The label fields of the form's values ("yes"/"no", free text).
  function fields(verdict, anomalyType, comment) {
    var verified = verdict === "yes" ? true : verdict === "no" ? false : null;
    return { verified: verified, anomaly_type: text(anomalyType), comment: text(comment) };
  }

  function same(a, b) {
    return !!a && !!b && a.verified === b.verified && a.anomaly_type === b.anomaly_type &&
      a.comment === b.comment;
  }

  function copy(drafts) {
    return Object.assign({}, drafts || {});
  }

  // The anomaly `step` places from the chosen one, and its index. A chosen anomaly
  // that left the queue (labelled under a status filter) is replaced by the one
  // that took its place, so j keeps walking forward.
  function neighbour(order, selected, index, step) {
    if (!order || !order.length || !step) { return null; }
    var at = order.indexOf(selected);
    var to;
    if (at >= 0) {
      to = at + step;
    } else if (!selected) {
      to = step > 0 ? step - 1 : order.length + step;
    } else {
      to = Math.min(Math.max(index || 0, 0), order.length) + (step > 0 ? step - 1 : step);
    }
    return to >= 0 && to < order.length ? [order[to], to] : null;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    vigilLabels: {
      // A row clicked, steps (j / k), or Save & next that stored its label. Clicks
      // that arrive together run this once, so steps count the clicks since the
      // last run (kept with the position), not the runs.
      select: function (rows, prev, next, saved, order, selected, position) {
        var ctx = window.dash_clientside.callback_context;
        var trigger = ctx.triggered_id;
        var where = Object.assign({ index: 0, prev: 0, next: 0 }, position || {});
        var seen = Object.assign({}, where, { prev: prev || 0, next: next || 0 });
        var step = (seen.next - where.next) - (seen.prev - where.prev);
        if (trigger && typeof trigger === "object" && trigger.type === "anomalies-row") {
          var clicked = ctx.triggered.length && ctx.triggered[0].value;
          if (!clicked) { return [NO(), NO()]; }  // a row (re)drawn, not clicked
          var at = (order || []).indexOf(trigger.id);
          return [trigger.id, Object.assign(seen, { index: at >= 0 ? at : where.index })];
        }
        if (saved && saved.outcome === "saved" && saved.advance && saved.anomaly_id === selected &&
            ctx.triggered.some(function (t) { return t.prop_id.indexOf("save-result") >= 0; })) {
          step += 1;
        }
        var found = neighbour(order, selected, where.index, step);
        if (!found) { return [NO(), seen]; }
        return [found[0], Object.assign(seen, { index: found[1] })];
      },

      // The form changed: keep what differs from the stored label as a draft.
      trackDraft: function (verdict, anomalyType, comment, shown, drafts) {
        if (!shown || !shown.anomaly_id) { return NO(); }
        var id = shown.anomaly_id;
        var now = fields(verdict, anomalyType, comment);
        var old = (drafts || {})[id];
        if (old && same(old, now)) { return NO(); }  // unchanged: keep its key and state
        var next = copy(drafts);
        if (same(shown.label, now)) {
          delete next[id];
        } else {
          next[id] = Object.assign(now, { base: shown.label.base || null, pending: false,
            key: null, error: null, at: Date.now() });
        }
        return next;
      },

      // A save answered: forget the draft it stored, or keep it pending or refused.
      applySave: function (result, drafts) {
        if (!result || !result.anomaly_id) { return NO(); }
        var id = result.anomaly_id;
        var next = copy(drafts);
        var old = next[id];
        if (result.outcome === "saved") {
          if (!old || same(old, result.content)) { delete next[id]; }
        } else if (result.outcome === "pending") {
          next[id] = Object.assign({}, result.content, { base: result.base || null,
            pending: true, key: result.key, error: result.message, at: Date.now() });
        } else if (old) {  // refused: the draft stays, with the reason
          next[id] = Object.assign({}, old, { pending: false, key: null, error: result.message });
        } else {
          return NO();
        }
        return next;
      },

      // A retry round answered: drop what it stored (same key), mark what was refused.
      applyRetry: function (result, drafts) {
        if (!result) { return NO(); }
        var next = copy(drafts);
        (result.saved || []).forEach(function (pair) {
          var old = next[pair[0]];
          if (old && old.key === pair[1]) { delete next[pair[0]]; }
        });
        (result.refused || []).forEach(function (item) {
          var old = next[item[0]];
          if (old && old.key === item[1]) {
            next[item[0]] = Object.assign({}, old, { pending: false, key: null, error: item[2] });
          }
        });
        Object.keys(next).forEach(function (id) {
          if (next[id] && next[id].pending && result.message) {
            next[id] = Object.assign({}, next[id], { error: result.message });
          }
        });
        return next;
      },

      // The list is stale when a save happened since it was last read.
      relist: function (shown, saved, listed) {
        return saved && saved !== listed ? saved : NO();
      },

      // What the form holds that the store does not, in words.
      draftNote: function (drafts, shown) {
        var draft = shown && shown.anomaly_id ? (drafts || {})[shown.anomaly_id] : null;
        if (!draft) { return ["", "d-none"]; }
        if (draft.pending) {
          return ["Not saved yet: the store did not answer" +
            (draft.error ? " (" + draft.error + ")" : "") +
            ". The label is kept in this browser and retried every few seconds.",
            "alert alert-warning py-2"];
        }
        if (draft.error) {
          return ["Not saved: " + draft.error, "alert alert-danger py-2 vigil-error"];
        }
        return ["Unsaved changes, kept in this browser.", "alert alert-info py-2 small"];
      },

      // Highlight the chosen anomaly's row once the list has been drawn.
      markSelected: function (selected) {
        window.setTimeout(function () {
          document.querySelectorAll("tr.anomalies-row").forEach(function (row) {
            var id = null;
            try { id = JSON.parse(row.id).id; } catch (e) { id = null; }
            row.classList.toggle("table-active", id === selected);
          });
        }, 0);
        return "anomalies-list";
      },

      // The retry timer runs and the navbar badge shows only while labels wait.
      pendingState: function (drafts) {
        var n = Object.values(drafts || {}).filter(function (d) { return d && d.pending; }).length;
        var label = n === 1 ? "1 label waiting for the store" : n + " labels waiting for the store";
        return [n === 0, n ? label : "", n ? "ms-2" : "ms-2 d-none",
          n ? "Saved in this browser; retried every few seconds until the store takes them." : ""];
      },
    },
  });

  // Keyboard shortcuts of the review page (components/label_form.SHORTCUTS).
  function typing(target) {
    return !!target && (target.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function click(id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

  function choose(value) {
    var el = document.querySelector('#anomalies-verified input[value="' + value + '"]');
    if (el) { el.click(); return true; }
    return false;
  }

  function focus(id) {
    var el = document.getElementById(id);
    if (el) { el.focus(); return true; }
    return false;
  }

  var KEYS = {
    y: function () { return choose("yes"); },
    n: function () { return choose("no"); },
    s: function () { return click("anomalies-save"); },
    S: function () { return click("anomalies-save-next"); },
    u: function () { return click("anomalies-undo"); },
    j: function () { return click("anomalies-next"); },
    k: function () { return click("anomalies-prev"); },
    t: function () { return focus("anomalies-type"); },
    c: function () { return focus("anomalies-comment"); },
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (!document.getElementById("anomalies-form")) { return; }
    var action = KEYS[event.key];
    if (action && action()) { event.preventDefault(); }
  });
})();
