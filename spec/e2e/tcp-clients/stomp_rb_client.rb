# A STOMP session of Debian's ruby-stomp (the stomp gem, 1.4) over TCP, driven by
# spec/e2e/tcp-clients.spec.ts: ARGV host port version (1.0, 1.1, 1.2) in-destination
# out-destination. Prints READY once subscribed (client ack, with a receipt), waits for one
# MESSAGE on in-destination, acknowledges it, publishes a binary body with NUL bytes to
# out-destination, counts the server's heart-beats for a while, disconnects with a receipt and
# prints one JSON line of what it saw. Exits 1 on any error.
require 'json'
require 'stomp'

host, port, version, inbound, outbound = ARGV[0], ARGV[1].to_i, ARGV[2], ARGV[3], ARGV[4]
OUT_BODY = "\x00tcp\x00\xff\xfe rb\x00".b

# The gem speaks 1.0 unless connect_headers name 1.1+ (then it requires accept-version and host).
connect_headers = version == '1.0' ? {} : { 'accept-version' => version, 'host' => 'localhost', 'heart-beat' => '200,200' }
conn = Stomp::Connection.new(
  hosts: [{ host: host, port: port, login: 'rb-user', passcode: 'secret' }],
  connect_headers: connect_headers,
  reliable: false,
  connect_timeout: 5,
)
raise "no CONNECTED: #{conn.connection_frame.inspect}" unless conn.connection_frame.command == 'CONNECTED'

def next_frame(conn, what)
  frame = nil
  Timeout.timeout(10) { frame = conn.receive }
  raise "connection lost waiting for #{what}" if frame.nil?
  raise "ERROR waiting for #{what}: #{frame.headers['message']}" if frame.command == 'ERROR'
  frame
end

receipts = []
ack_mode = version == '1.0' ? 'client' : 'client-individual'
conn.subscribe(inbound, { 'id' => 'sub-1', 'ack' => ack_mode, 'receipt' => 'sub-receipt' })
receipts << next_frame(conn, 'the SUBSCRIBE receipt').headers['receipt-id']
puts 'READY'
$stdout.flush

msg = next_frame(conn, 'a MESSAGE')
raise "expected MESSAGE, got #{msg.command}" unless msg.command == 'MESSAGE'
case version
when '1.2' then conn.ack(msg.headers['ack'], 'receipt' => 'ack-receipt')
when '1.1' then conn.ack(msg.headers['message-id'], 'subscription' => msg.headers['subscription'], 'receipt' => 'ack-receipt')
else conn.ack(msg.headers['message-id'], 'receipt' => 'ack-receipt')
end
receipts << next_frame(conn, 'the ACK receipt').headers['receipt-id']

conn.publish(outbound, OUT_BODY, 'content-type' => 'application/octet-stream', 'receipt' => 'send-receipt', 'x-from' => 'ruby-stomp')
receipts << next_frame(conn, 'the SEND receipt').headers['receipt-id']

sleep 1.0 if version != '1.0' # the server beats every 200 ms: about 5 of them
beats = conn.hbrecv_count
conn.disconnect('receipt' => 'bye')
receipts << conn.disconnect_receipt.headers['receipt-id']

puts JSON.generate(
  'connected' => conn.connection_frame.headers,
  'body' => msg.body.unpack1('H*'),
  'contentLength' => msg.headers['content-length'],
  'contentType' => msg.headers['content-type'],
  'receipts' => receipts,
  'errors' => [],
  'heartbeats' => beats,
)
$stdout.flush
