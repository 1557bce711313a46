/*
 * Shared wiring of the reference demo pages (topic.html, queue.html).
 *
 * Each page calls StompDemo.start({ endpoint, subscribeTo, sendTo }) from a small inline
 * script. Everything this file needs is served by the reference app itself (offline):
 *   lib/sockjs.min.js     sockjs-client, global SockJS
 *   lib/stomp.umd.min.js  @stomp/stompjs 7, global StompJs
 * Every URL (scripts, styles, the endpoint) is relative to the page, so the pages keep working
 * behind a reverse proxy that serves them under a path prefix (/app/topic.html) and strips it.
 *
 * `?transport=` picks how to reach the broker:
 *   - a SockJS transport name (websocket, xhr-streaming, xhr-polling, eventsource,
 *     iframe-htmlfile, iframe-eventsource, iframe-xhr-polling, jsonp-polling) forces
 *     SockJS to that one transport, so a page shows whether that transport works;
 *   - `ws` skips SockJS and uses a plain WebSocket at ws(s)://<host><endpoint>;
 *   - absent: SockJS chooses, as a user's browser would.
 *
 * Element ids are a contract with spec/e2e/pages.spec.ts: #connect, #disconnect, #state
 * (disconnected | connecting | connected), #transport, #name, #send, #messages (one <li> per
 * MESSAGE, text = body), #log (last close or error reason), #recovered (what a resume brought
 * back).
 *
 * Retention and resume (docs/retention.md): the broker numbers the messages of a retained
 * destination (`x-stream-offset`, `x-stream-epoch`). The page keeps, in sessionStorage, the
 * first offset it showed and its epoch, and whether it was connected. Reloaded while
 * connected, it connects again by itself and subscribes from that first offset: the broker
 * replays what the page had shown and what it missed meanwhile, then goes live, and the page
 * shows each offset once and says how many messages the replay brought. Connect is enabled
 * while connected (clicking it reconnects and resumes the same way).
 */
(function (global) {
  'use strict';

  var SOCKJS_TRANSPORTS = [
    'websocket', 'xhr-streaming', 'xhr-polling', 'eventsource',
    'iframe-htmlfile', 'iframe-eventsource', 'iframe-xhr-polling', 'jsonp-polling',
  ];
  var PLAIN_WEBSOCKET = 'ws';

  function $(id) {
    return document.getElementById(id);
  }

  /** Reads `?transport=`; returns '' when absent, throws on an unknown name. */
  function requestedTransport(params) {
    var t = params.get('transport') || '';
    if (t && t !== PLAIN_WEBSOCKET && SOCKJS_TRANSPORTS.indexOf(t) === -1) {
      throw new Error('unknown ?transport=' + t + ' (expected ws or one of ' +
        SOCKJS_TRANSPORTS.join(', ') + ')');
    }
    return t;
  }

  /** The endpoint as an absolute http(s) URL, resolved against the page (so a proxy's prefix is kept). */
  function endpointUrl(endpoint) {
    return new URL(endpoint, location.href);
  }

  function plainWebSocketUrl(endpoint) {
    var url = endpointUrl(endpoint);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = '';
    url.hash = '';
    return url.href;
  }

  function start(opts) {
    var params = new URLSearchParams(location.search);
    var ui = {
      connect: $('connect'), disconnect: $('disconnect'), state: $('state'),
      transport: $('transport'), name: $('name'), send: $('send'),
      messages: $('messages'), log: $('log'), recovered: $('recovered'),
    };
    var client = null;
    var sock = null;
    var transport;
    var store = positionStore(opts.subscribeTo);
    /** Offsets shown since the page loaded (one <li> each). */
    var shown = {};
    var shownEpoch = null;

    function setState(state) {
      ui.state.textContent = state;
      ui.state.className = 'state ' + state;
      ui.connect.disabled = state === 'connecting';
      ui.disconnect.disabled = state === 'disconnected';
      ui.send.disabled = state !== 'connected';
    }

    function log(text) {
      ui.log.textContent = text;
    }

    /** Shows a MESSAGE once per offset; false when it was already shown. */
    function show(message) {
      var offset = message.headers['x-stream-offset'];
      var epoch = message.headers['x-stream-epoch'];
      if (offset !== undefined && epoch !== undefined) {
        if (epoch !== shownEpoch) {
          shownEpoch = epoch;
          shown = {};
        }
        if (shown[offset]) return false;
        shown[offset] = true;
        var saved = store.read();
        if (!saved || saved.epoch !== epoch) store.write({ epoch: epoch, first: Number(offset), connected: true });
      }
      addMessage(message.body);
      return true;
    }

    function addMessage(body) {
      var li = document.createElement('li');
      li.textContent = body;
      ui.messages.appendChild(li);
      ui.messages.scrollTop = ui.messages.scrollHeight;
    }

    /** Each Connect makes a new client; callbacks of a replaced one are ignored. */
    var generation = 0;

    function clientOptions() {
      var mine = ++generation;
      var current = function () { return mine === generation; };
      var common = {
        reconnectDelay: 0, // a demo shows a failure instead of hiding it behind retries
        heartbeatIncoming: 10000,
        heartbeatOutgoing: 10000,
        onConnect: function () {
          if (current()) onConnect();
        },
        onStompError: function (frame) {
          if (current()) log('ERROR ' + (frame.headers.message || '') + ' ' + frame.body);
        },
        onWebSocketClose: function (evt) {
          if (!current()) return;
          sock = null;
          ui.transport.textContent = '-';
          if (evt && evt.code !== 1000) log('closed: ' + evt.code + ' ' + (evt.reason || ''));
          setState('disconnected');
        },
      };
      if (transport === PLAIN_WEBSOCKET) {
        common.brokerURL = plainWebSocketUrl(opts.endpoint);
      } else {
        var sockOpts = transport ? { transports: [transport] } : {};
        common.webSocketFactory = function () {
          sock = new global.SockJS(endpointUrl(opts.endpoint).href, null, sockOpts);
          return sock;
        };
      }
      return common;
    }

    function onConnect() {
      // sockjs-client sets `transport` to the transport's name once the session is open.
      ui.transport.textContent = transport === PLAIN_WEBSOCKET
        ? 'websocket (plain)'
        : (sock && sock.transport) || 'unknown';
      var saved = store.read();
      var headers = {};
      var replaying = false;
      var recovered = 0;
      if (saved && typeof saved.first === 'number') {
        // Resume from the first message this page showed: the broker replays it all, once.
        headers['x-stream-offset'] = 'offset=' + saved.first;
        headers['x-stream-epoch'] = saved.epoch;
        headers.receipt = 'resume-' + Date.now().toString(36);
        replaying = true;
        client.watchForReceipt(headers.receipt, function (frame) {
          replaying = false;
          var complete = frame.headers['x-stream-recovered'] === 'true';
          ui.recovered.textContent = 'Recovered ' + recovered + ' message' + (recovered === 1 ? '' : 's') +
            (complete ? '' : ' (not all: some were no longer retained, or the server restarted)');
          ui.recovered.setAttribute('data-count', String(recovered));
          ui.recovered.setAttribute('data-complete', String(complete));
        });
      }
      store.write({ epoch: saved && saved.epoch, first: saved && saved.first, connected: true });
      client.subscribe(opts.subscribeTo, function (message) {
        // What arrives before the RECEIPT is the replay (the broker queues it first).
        if (replaying) recovered++;
        show(message);
      }, headers);
      log('');
      setState('connected');
    }

    ui.connect.addEventListener('click', function () {
      if (client) client.deactivate();
      client = new global.StompJs.Client(clientOptions());
      setState('connecting');
      log('');
      client.activate();
    });

    ui.disconnect.addEventListener('click', function () {
      if (!client) return;
      var saved = store.read();
      if (saved) store.write({ epoch: saved.epoch, first: saved.first, connected: false });
      var c = client;
      client = null;
      c.deactivate().then(function () { setState('disconnected'); });
    });

    ui.send.addEventListener('click', function () {
      if (!client || !client.connected) return;
      client.publish({
        destination: opts.sendTo,
        body: JSON.stringify({ name: ui.name.value }),
        headers: { 'content-type': 'application/json' },
      });
    });

    /**
     * Resolves once the broker has answered a SUBSCRIBE carrying a receipt on this tab's
     * connection. Frames on one connection stay in order, so anything the server queued for
     * this tab before the RECEIPT has arrived by then: tests use it to prove a tab received
     * nothing, or nothing more, without sleeping.
     */
    function roundTrip() {
      return new Promise(function (resolve, reject) {
        if (!client || !client.connected) {
          reject(new Error('not connected'));
          return;
        }
        var receipt = 'sync-' + Date.now() + '-' + Math.random().toString(36).slice(2);
        var sub = null;
        client.watchForReceipt(receipt, function () {
          if (sub) sub.unsubscribe();
          resolve(receipt);
        });
        sub = client.subscribe('/topic/stompbox-demo-sync', function () {}, { receipt: receipt });
      });
    }
    global.StompDemo.roundTrip = roundTrip;

    ui.name.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !ui.send.disabled) ui.send.click();
    });

    $('endpoint').textContent = endpointUrl(opts.endpoint).pathname;
    $('destination').textContent = opts.subscribeTo;
    try {
      transport = requestedTransport(params);
      $('requested').textContent = transport || 'any (SockJS chooses)';
      setState('disconnected');
      var before = store.read();
      if (before && before.connected) ui.connect.click(); // reloaded while connected: resume
    } catch (err) {
      log(String(err.message));
      ui.connect.disabled = true;
      ui.disconnect.disabled = true;
      ui.send.disabled = true;
      ui.state.textContent = 'disconnected';
    }
  }

  /** The page's position for one destination in sessionStorage (per tab, survives a reload). */
  function positionStore(destination) {
    var key = 'stompbox-demo:' + location.pathname + ':' + destination;
    return {
      read: function () {
        try {
          var value = JSON.parse(global.sessionStorage.getItem(key) || 'null');
          return value && typeof value === 'object' ? value : null;
        } catch (e) {
          return null;
        }
      },
      write: function (value) {
        try {
          global.sessionStorage.setItem(key, JSON.stringify(value));
        } catch (e) {
          // Storage full or disabled: the page still works, it only cannot resume.
        }
      },
    };
  }

  global.StompDemo = {
    start: start,
    transports: SOCKJS_TRANSPORTS.slice(),
    roundTrip: function () { return Promise.reject(new Error('StompDemo.start() not called')); },
  };
})(window);
