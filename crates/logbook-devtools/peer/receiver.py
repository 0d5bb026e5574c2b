"""The peer for `logbook bench ingest --peer`: what a user writes in an afternoon with Python's
standard library. It verifies Watson's HS256 JWT (signature and expiry), commits each request to
SQLite (WAL, synchronous=FULL, the body and a dedup key) and answers 200.

    python3 receiver.py PORT DATABASE SECRET
"""
import base64, hashlib, hmac, json, sqlite3, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, DATABASE, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
# One connection, one commit per request, taken in turn (SQLite has one writer anyway).
conn = sqlite3.connect(DATABASE, isolation_level=None, check_same_thread=False)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=FULL")
conn.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, received_at REAL,"
             " log_id TEXT UNIQUE, body BLOB)")
lock = threading.Lock()


def b64(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified(header):
    try:
        head, claims, signature = header.removeprefix("Bearer ").split(".")
        expected = hmac.new(SECRET, f"{head}.{claims}".encode(), hashlib.sha256).digest()
        return hmac.compare_digest(expected, b64(signature)) and json.loads(b64(claims))["exp"] > time.time()
    except (ValueError, KeyError):
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verified(self.headers.get("Authorization", "")):
            return self.answer(401, b'{"error":"unauthorized"}')
        log_id = json.loads(body).get("payload", {}).get("log_id")
        with lock:
            conn.execute("INSERT OR IGNORE INTO events (received_at, log_id, body) VALUES (?, ?, ?)",
                         (time.time(), log_id, body))
        self.answer(200, b'{"status":"stored"}')

    def answer(self, status, text):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.request_queue_size = 128  # the default of 5 refuses a burst of clients
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
