// Vigil's live client: one websocket per page (/ws), shared by every live feed on it.
//
// A feed is an element the server rendered with components/live.py (`live_feed`):
// it names its channels, a dcc.Store that receives the updates and a
// dcc.Interval used instead while websockets cannot be opened. The client
//  - reconnects with backoff (0.5 s doubling to 30 s, with jitter) and
//    subscribes again to every channel;
//  - never drops, merges or suppresses a message: each gets a sequence number
//    and the Store holds the latest MAX_KEPT of them, so a callback that
//    remembers the last number it applied misses none, even when Dash runs it
//    once for several flushes (the fault of dash-extensions' WebSocket,
//    issues #212 and #214);
//  - after a reconnect sets `reconnected` in the next batch: updates may have
//    been missed meanwhile, so the page re-reads the store;
//  - pings every 20 s (the server closes a socket silent for 60 s);
//  - falls back to polling (enables the feed's Interval) while the socket is down.
(function () {
  "use strict";
  var MAX_KEPT = 500;
  var PING_MS = 20000;
  var FIRST_DELAY_MS = 500;
  var MAX_DELAY_MS = 30000;
  var OPEN_TIMEOUT_MS = 5000;

  var feeds = {}; // store id -> feed
  var socket = null;
  var open = false;
  var delay = FIRST_DELAY_MS;
  var pinger = null;
  var reconnectTimer = null;
  var wasOpen = false;

  function setProps(id, props) {
    var clientside = window.dash_clientside;
    if (clientside && clientside.set_props) {
      clientside.set_props(id, props);
    }
  }

  function status(feed, text) {
    if (feed.status !== text) {
      feed.status = text;
      setProps(feed.id + "-status", { children: text });
    }
  }

  function channels() {
    var all = {};
    Object.keys(feeds).forEach(function (id) {
      feeds[id].channels.forEach(function (c) { all[c] = true; });
    });
    return Object.keys(all);
  }

  function polling(on) {
    Object.keys(feeds).forEach(function (id) {
      var feed = feeds[id];
      setProps(id + "-fallback", { disabled: !on });
      status(feed, on ? "polling" : "live");
    });
  }

  function flush(feed) {
    feed.timer = null;
    if (!feed.pending.length && !feed.reconnected) {
      return;
    }
    feed.kept = feed.kept.concat(feed.pending).slice(-MAX_KEPT);
    feed.pending = [];
    var batch = { seq: feed.seq, messages: feed.kept, reconnected: feed.reconnected };
    feed.reconnected = false;
    setProps(feed.id, { data: batch });
  }

  function schedule(feed) {
    if (feed.timer === null) {
      feed.timer = window.setTimeout(function () { flush(feed); }, feed.flushMs);
    }
  }

  function take(message) {
    if (!message || typeof message.channel !== "string") {
      if (message && message.error) {
        console.warn("Vigil live:", message.error.message);
      }
      return;
    }
    var kind = message.channel.split(":")[0];
    Object.keys(feeds).forEach(function (id) {
      var feed = feeds[id];
      var wanted = feed.channels.some(function (c) {
        return c === message.channel || c === kind + ":*";
      });
      if (wanted) {
        feed.seq += 1;
        feed.pending.push({ seq: feed.seq, channel: message.channel, data: message.data });
        schedule(feed);
      }
    });
  }

  function send(message) {
    if (socket && open) {
      socket.send(JSON.stringify(message));
    }
  }

  function subscribeAll() {
    var names = channels();
    if (names.length) {
      send({ subscribe: names });
    }
  }

  function connect() {
    reconnectTimer = null;
    if (!Object.keys(feeds).length || socket) {
      return;
    }
    if (typeof window.WebSocket !== "function") {
      polling(true);
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var opened = false;
    try {
      socket = new window.WebSocket(scheme + window.location.host + "/ws");
    } catch (err) {
      socket = null;
      polling(true);
      retry();
      return;
    }
    var guard = window.setTimeout(function () {
      if (!opened) { polling(true); }
    }, OPEN_TIMEOUT_MS);
    socket.onopen = function () {
      opened = true;
      open = true;
      window.clearTimeout(guard);
      delay = FIRST_DELAY_MS;
      polling(false);
      subscribeAll();
      if (wasOpen) {
        Object.keys(feeds).forEach(function (id) {
          feeds[id].reconnected = true;
          schedule(feeds[id]);
        });
      }
      wasOpen = true;
      pinger = window.setInterval(function () { send({ ping: { t: Date.now() } }); }, PING_MS);
    };
    socket.onmessage = function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      take(message);
    };
    socket.onclose = function () {
      window.clearTimeout(guard);
      window.clearInterval(pinger);
      socket = null;
      open = false;
      polling(true);
      Object.keys(feeds).forEach(function (id) { status(feeds[id], "reconnecting"); });
      retry();
    };
    socket.onerror = function () {}; // onclose follows and reconnects
  }

  function retry() {
    if (reconnectTimer !== null || !Object.keys(feeds).length) {
      return;
    }
    var jitter = 0.8 + 0.4 * Math.random();
    reconnectTimer = window.setTimeout(connect, delay * jitter);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }

  // Feeds come and go with Dash's page changes: find them whenever the page changes.
  function scan() {
    var found = {};
    document.querySelectorAll("[data-vigil-live]").forEach(function (el) {
      var id = el.getAttribute("data-vigil-live");
      found[id] = true;
      if (!feeds[id]) {
        feeds[id] = {
          id: id,
          channels: JSON.parse(el.getAttribute("data-channels") || "[]"),
          flushMs: parseInt(el.getAttribute("data-flush-ms") || "250", 10),
          seq: 0,
          pending: [],
          kept: [],
          timer: null,
          reconnected: false,
          status: null,
        };
        if (open) {
          send({ subscribe: feeds[id].channels });
          status(feeds[id], "live");
        }
      }
    });
    var before = channels();
    Object.keys(feeds).forEach(function (id) {
      if (!found[id]) {
        window.clearTimeout(feeds[id].timer);
        delete feeds[id];
      }
    });
    var now = channels();
    var dropped = before.filter(function (c) { return now.indexOf(c) < 0; });
    if (!now.length && socket) {
      socket.onclose = null; // nothing on this page is live any more
      socket.close();
      socket = null;
      open = false;
      wasOpen = false;
      window.clearInterval(pinger);
    } else if (dropped.length) {
      send({ unsubscribe: dropped });
    }
    if (now.length && !socket && reconnectTimer === null) {
      connect();
    }
  }

  function start() {
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
    scan();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  // Graphs that follow a feed (components/live.py `follow_graphs`): the readings of
  // one channel after the last time the server drew become `extendData`, one per
  // graph (one column each). `base` is what the server drew: {stamp, channel,
  // after (epoch ms, null: not following), columns, keep}; `applied` is what this
  // function has added since: {stamp, time}. When the server draws again (a new
  // stamp), the kept messages after its `after` are applied again to the new figure.
  function extend(batch, base, applied) {
    var none = window.dash_clientside.no_update;
    var columns = (base && base.columns) || [];
    var out = columns.map(function () { return none; });
    if (!base || base.after === null || base.after === undefined) {
      return out.concat([none]);
    }
    var since = applied && applied.stamp === base.stamp ? applied.time : base.after;
    var xs = columns.map(function () { return []; });
    var ys = columns.map(function () { return []; });
    var last = since;
    ((batch && batch.messages) || []).forEach(function (m) {
      var t = m.data && m.data.time;
      if (m.channel !== base.channel || typeof t !== "number" || t <= last) {
        return;
      }
      last = t;
      columns.forEach(function (c, i) {
        if (typeof m.data[c] === "number") {
          xs[i].push(t);
          ys[i].push(m.data[c]);
        }
      });
    });
    columns.forEach(function (c, i) {
      if (xs[i].length) {
        out[i] = [{ x: [xs[i]], y: [ys[i]] }, [0], base.keep];
      }
    });
    var moved = !applied || applied.stamp !== base.stamp || applied.time !== last;
    return out.concat([moved ? { stamp: base.stamp, time: last } : none]);
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    vigil_live: { extend: extend },
  });

  // For tests and the console: the socket now, and a way to drop it.
  window.vigilLive = {
    feeds: feeds,
    isOpen: function () { return open; },
    dropConnection: function () { if (socket) { socket.close(); } },
  };
})();
