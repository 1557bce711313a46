"""A STOMP session of Debian's stomp.py (python3-stomp, 8.x) over TCP, driven by
spec/e2e/tcp-clients.spec.ts: argv host port version (1.0, 1.1, 1.2) in-destination
out-destination. Prints READY once subscribed (client ack, with a receipt), waits for one
MESSAGE on in-destination, acknowledges it, publishes a binary body with NUL bytes to
out-destination, counts the server's heart-beats for a while, disconnects with a receipt and
prints one JSON line of what it saw. Exits 1 on any error."""
import json
import sys
import threading
import time

import stomp

host, port, version, inbound, outbound = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
OUT_BODY = b"\x00tcp\x00\xff\xfe py\x00"


class Recorder(stomp.ConnectionListener):
    def __init__(self):
        self.messages = []
        self.receipts = []
        self.errors = []
        self.heartbeats = 0
        self.connected = {}
        self.changed = threading.Condition()

    def _note(self):
        with self.changed:
            self.changed.notify_all()

    def on_connected(self, frame):
        self.connected = dict(frame.headers)
        self._note()

    def on_message(self, frame):
        self.messages.append(frame)
        self._note()

    def on_receipt(self, frame):
        self.receipts.append(frame.headers["receipt-id"])
        self._note()

    def on_error(self, frame):
        self.errors.append(frame.headers.get("message", ""))
        self._note()

    def on_heartbeat(self):
        self.heartbeats += 1

    def wait(self, what, check, timeout=10):
        deadline = time.time() + timeout
        with self.changed:
            while not check():
                left = deadline - time.time()
                if left <= 0:
                    raise RuntimeError("timed out waiting for " + what)
                self.changed.wait(left)


if version == "1.0":
    conn = stomp.Connection10([(host, port)], auto_decode=False)
elif version == "1.1":
    conn = stomp.Connection11([(host, port)], heartbeats=(200, 200), auto_decode=False)
else:
    conn = stomp.Connection12([(host, port)], heartbeats=(200, 200), auto_decode=False)
rec = Recorder()
conn.set_listener("recorder", rec)
conn.connect("py-user", "secret", wait=True, headers={"client-id": "py"})

ack_mode = "client" if version == "1.0" else "client-individual"
conn.subscribe(destination=inbound, id="sub-1", ack=ack_mode, headers={"receipt": "sub-receipt"})
rec.wait("the SUBSCRIBE receipt", lambda: "sub-receipt" in rec.receipts)
print("READY", flush=True)

rec.wait("a MESSAGE", lambda: len(rec.messages) > 0)
msg = rec.messages[0]
if version == "1.2":
    conn.ack(msg.headers["ack"], receipt="ack-receipt")
elif version == "1.1":
    conn.ack(msg.headers["message-id"], msg.headers["subscription"], receipt="ack-receipt")
else:
    conn.ack(msg.headers["message-id"], receipt="ack-receipt")
rec.wait("the ACK receipt", lambda: "ack-receipt" in rec.receipts)

conn.send(outbound, OUT_BODY, content_type="application/octet-stream", headers={"receipt": "send-receipt", "x-from": "stomp.py"})
rec.wait("the SEND receipt", lambda: "send-receipt" in rec.receipts)

if version != "1.0":
    time.sleep(1.0)  # the server beats every 200 ms: about 5 of them
beats = rec.heartbeats
conn.disconnect(receipt="bye")

print(json.dumps({
    "connected": rec.connected,
    "body": msg.body.hex(),
    "contentLength": msg.headers.get("content-length"),
    "contentType": msg.headers.get("content-type"),
    "receipts": rec.receipts,
    "errors": rec.errors,
    "heartbeats": beats,
}), flush=True)
