# tests/cli/notify/_receiver.py MODE DIR: a local receiver for the notify cases (started by
# _receivers.sh; not a case). It binds 127.0.0.1 port 0, writes the port it got to DIR/port
# (atomically), and keeps what it receives in DIR as numbered files, each written in full
# before the sender gets its answer:
#   http       an HTTP server (Python's http.server): every POST becomes N.body (the bytes)
#              and N.meta.json ({"path", "content_type", "authorization"}); it answers 200, or the status in
#              DIR/status if that file exists
#   smtp       a real SMTP server (aiosmtpd, Debian's python3-aiosmtpd, RFC 5321): every
#              message becomes N.eml (as received) and N.envelope.json ({"mail_from", "rcpt_tos"});
#              when DIR/auth holds "USER:PASSWORD" it requires AUTH (PLAIN or LOGIN; allowed
#              without TLS, this is 127.0.0.1) with exactly those and records N.login
#   blackhole  accepts TCP connections and never answers (a hung webhook)
# Runs until killed; prints nothing.
import json
import os
import socket
import sys
import threading

mode, folder = sys.argv[1], sys.argv[2]
lock = threading.Lock()
count = [0]


def write_atomic(name, data):
    tmp = os.path.join(folder, "." + name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(folder, name))


def next_number():
    with lock:
        count[0] += 1
        return count[0]


def publish_port(port):
    write_atomic("port", b"%d\n" % port)


if mode == "http":
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            n = next_number()
            write_atomic("%03d.body" % n, body)
            meta = {"path": self.path, "content_type": self.headers.get("Content-Type"),
                    "authorization": self.headers.get("Authorization")}
            write_atomic("%03d.meta.json" % n, json.dumps(meta).encode())
            status = 200
            try:
                with open(os.path.join(folder, "status")) as f:
                    status = int(f.read())
            except FileNotFoundError:
                pass
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    publish_port(server.server_address[1])
    server.serve_forever()

elif mode == "smtp":
    import asyncio

    from aiosmtpd.smtp import SMTP, AuthResult

    auth = None
    try:
        with open(os.path.join(folder, "auth")) as f:
            auth = f.read().strip().split(":", 1)
    except FileNotFoundError:
        pass

    def authenticator(server, session, envelope, mechanism, data):
        ok = auth is not None and data.login.decode() == auth[0] and data.password.decode() == auth[1]
        return AuthResult(success=ok, handled=False, auth_data=data)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            n = next_number()
            write_atomic("%03d.eml" % n, envelope.original_content)
            env = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
            write_atomic("%03d.envelope.json" % n, json.dumps(env).encode())
            if session.authenticated and session.auth_data is not None:
                write_atomic("%03d.login" % n, session.auth_data.login)
            return "250 Message accepted for delivery"

    def protocol():
        if auth is None:
            return SMTP(Handler(), hostname="receiver.test")
        return SMTP(Handler(), hostname="receiver.test", authenticator=authenticator,
                    auth_required=True, auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(protocol, "127.0.0.1", 0))
    publish_port(server.sockets[0].getsockname()[1])
    loop.run_forever()

elif mode == "blackhole":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    publish_port(s.getsockname()[1])
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # kept open, never read, never answered

else:
    sys.exit("unknown mode " + mode)
