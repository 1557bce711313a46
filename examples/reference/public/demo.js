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
 * MESSAGE, text = body), #log (last close or error reason).
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
      messages: $('messages'), log: $('log'),
    };
    var client = null;
    var sock = null;
    var transport;

    function setState(state) {
      ui.state.textContent = state;
      ui.state.className = 'state ' + state;
      ui.connect.disabled = state !== 'disconnected';
      ui.disconnect.disabled = state === 'disconnected';
      ui.send.disabled = state !== 'connected';
    }

    function log(text) {
      ui.log.textContent = text;
    }

    function addMessage(body) {
      var li = document.createElement('li');
      li.textContent = body;
      ui.messages.appendChild(li);
      ui.messages.scrollTop = ui.messages.scrollHeight;
    }

    function clientOptions() {
      var common = {
        reconnectDelay: 0, // a demo shows a failure instead of hiding it behind retries
        heartbeatIncoming: 10000,
        heartbeatOutgoing: 10000,
        onConnect: onConnect,
        onStompError: function (frame) {
          log('ERROR ' + (frame.headers.message || '') + ' ' + frame.body);
        },
        onWebSocketClose: function (evt) {
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
      client.subscribe(opts.subscribeTo, function (message) {
        addMessage(message.body);
      });
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
    } catch (err) {
      log(String(err.message));
      ui.connect.disabled = true;
      ui.disconnect.disabled = true;
      ui.send.disabled = true;
      ui.state.textContent = 'disconnected';
    }
  }

  global.StompDemo = {
    start: start,
    transports: SOCKJS_TRANSPORTS.slice(),
    roundTrip: function () { return Promise.reject(new Error('StompDemo.start() not called')); },
  };
})(window);
