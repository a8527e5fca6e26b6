#!/usr/bin/env python3
"""A TCP/HTTP fault proxy on 127.0.0.1 for the push fault cases (python3 stdlib only).

It relays connections to 127.0.0.1:UPSTREAM and spoils some of them:
  drop    forward AFTER bytes from the client, then cut both sides (a dropped connection)
  stall   forward AFTER bytes from the client, then go silent, holding the connection open
          (a stalled server), until the client gives up
  503     read the request head and answer "503 Service Unavailable" (a 5xx burst)
Connection number c (1, 2, ...) is spoiled when (c - 1) % EVERY == 0, until FAULTS
connections were spoiled; the others are relayed untouched. The listening port is written
to PORT_FILE once the proxy accepts connections; the number of spoiled connections so far is
kept in STATS_FILE ("faults N connections M"), so a test can check that faults happened.

Usage: _fault_proxy.py --upstream PORT --port-file FILE --stats-file FILE
                       --mode drop|stall|503 [--after BYTES] [--faults N] [--every K]
"""

import argparse
import socket
import sys
import threading

lock = threading.Lock()
state = {"connections": 0, "faults": 0}


def write_stats(cfg):
    with open(cfg.stats_file + ".tmp", "w") as f:
        f.write("faults %d connections %d\n" % (state["faults"], state["connections"]))
    import os
    os.replace(cfg.stats_file + ".tmp", cfg.stats_file)


def pump(src, dst, budget, on_spent):
    """Copies src to dst. With a budget, stops after that many bytes and calls on_spent()."""
    try:
        while True:
            want = 65536 if budget is None else min(65536, budget[0])
            if want == 0:
                on_spent()
                return
            data = src.recv(want)
            if not data:
                break
            dst.sendall(data)
            if budget is not None:
                budget[0] -= len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, cfg, spoil):
    if spoil and cfg.mode == "503":
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = client.recv(4096)
                if not data:
                    break
                head += data
            client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
                           b"Connection: close\r\nContent-Length: 93\r\n\r\n"
                           b"<Error><Code>SlowDown</Code><Message>injected by the fault proxy</Message>"
                           b"</Error>      ")
        except OSError:
            pass
        client.close()
        return
    try:
        upstream = socket.create_connection(("127.0.0.1", cfg.upstream))
    except OSError:
        client.close()
        return
    stop = threading.Event()

    def spent():
        if cfg.mode == "drop":
            for s in (client, upstream):
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.close()
                except OSError:
                    pass
        else:  # stall: hold everything until the client hangs up
            try:
                while client.recv(65536):
                    pass
            except OSError:
                pass
        stop.set()

    budget = [cfg.after] if spoil else None
    back = threading.Thread(target=pump, args=(upstream, client, None, lambda: None), daemon=True)
    if spoil and cfg.mode == "stall":
        # Nothing comes back from the server either once the budget is spent.
        def guarded():
            try:
                while not stop.is_set():
                    data = upstream.recv(65536)
                    if not data or stop.is_set():
                        break
                    client.sendall(data)
            except OSError:
                pass
        back = threading.Thread(target=guarded, daemon=True)
    back.start()
    pump(client, upstream, budget, spent)
    for s in (client, upstream):
        try:
            s.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", type=int, required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--stats-file", required=True)
    p.add_argument("--mode", choices=("drop", "stall", "503"), required=True)
    p.add_argument("--after", type=int, default=0)
    p.add_argument("--faults", type=int, default=1)
    p.add_argument("--every", type=int, default=1)
    cfg = p.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    write_stats(cfg)
    with open(cfg.port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    import os
    os.replace(cfg.port_file + ".tmp", cfg.port_file)
    while True:
        client, _ = listener.accept()
        with lock:
            state["connections"] += 1
            c = state["connections"]
            spoil = state["faults"] < cfg.faults and (c - 1) % cfg.every == 0
            if spoil:
                state["faults"] += 1
            write_stats(cfg)
        threading.Thread(target=serve, args=(client, cfg, spoil), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
