#!/usr/bin/env python3
"""Redis test data and comparison for tests/cli/db (python3 stdlib only; speaks RESP itself).

  _redis.py load HOST:PORT [--keys N]   flush, then load N keys of every type into dbs 0, 1 and 3
  _redis.py compare A B [--ttl-slack S] exit 0 when both servers hold the same keys in every
                                        database with the same type, value and TTL (within S
                                        seconds); print "same (N keys in D databases)"

Values are compared, not DUMP payloads: sets and hashes in hashtable encoding serialize in a
per-process order, so equal data need not DUMP equal bytes.
"""
import argparse
import random
import socket
import sys


class Redis:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.f = self.sock.makefile("rb")

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def run(self, cmds):
        """Sends every command at once (pipelined) and returns the replies in order."""
        self.sock.sendall(b"".join(self.encode(c) for c in cmds))
        return [self.reply() for _ in cmds]

    def cmd(self, *args):
        return self.run([args])[0]

    def reply(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("the server closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)

    def databases(self):
        """The databases that hold keys, from INFO keyspace."""
        info = self.cmd("INFO", "keyspace").decode()
        return sorted(int(l.split(":")[0][2:]) for l in info.splitlines() if l.startswith("db"))

    def keys(self):
        cursor, out = b"0", set()
        while True:
            cursor, batch = self.cmd("SCAN", cursor, "COUNT", 1000)
            out.update(batch)
            if cursor == b"0":
                return sorted(out)

    READ = {"string": ("GET",), "list": ("LRANGE", 0, -1), "set": ("SMEMBERS",), "hash": ("HGETALL",),
            "zset": ("ZRANGE", 0, -1, "WITHSCORES"), "stream": ("XRANGE", "-", "+")}

    def values(self, keys):
        types = [t.decode() for t in self.run([("TYPE", k) for k in keys])]
        cmds = []
        for k, t in zip(keys, types):
            if t not in self.READ:
                raise RuntimeError("key %r has a type this script does not know: %s" % (k, t))
            read = self.READ[t]
            cmds += [(read[0], k) + read[1:], ("PTTL", k)]
        res = self.run(cmds)
        out = []
        for i, t in enumerate(types):
            v = res[2 * i]
            if t == "set":
                v = sorted(v)
            elif t == "hash":
                v = sorted(zip(v[::2], v[1::2]))
            out.append((t, v, res[2 * i + 1]))
        return out


def load(addr, n):
    r = Redis(addr)
    r.cmd("FLUSHALL")
    rng = random.Random(7)
    for db in (0, 1, 3):
        r.cmd("SELECT", db)
        cmds = []
        for i in range(n):
            k = "db%d:%s:%d" % (db, ["str", "int", "bin", "hash", "list", "set", "iset", "zset", "ttl"][i % 9], i)
            kind = i % 9
            if kind == 0:
                cmds.append(("SET", k, "value %d %s" % (i, "x" * (i % 50))))
            elif kind == 1:
                cmds.append(("SET", k, i * 1000003))
            elif kind == 2:
                cmds.append(("SET", k, rng.randbytes(1 + i % 300)))
            elif kind == 3:  # small hashes stay listpacks; every 50th is big (hashtable)
                fields = 4 if i % 50 else 300
                cmds.append(("HSET", k) + tuple(x for f in range(fields) for x in ("f%d" % f, "v%d-%d" % (i, f))))
            elif kind == 4:
                cmds.append(("RPUSH", k) + tuple("item%d" % j for j in range(1 + i % 40)))
            elif kind == 5:
                cmds.append(("SADD", k) + tuple("member%d" % j for j in range(1 + i % 200)))
            elif kind == 6:
                cmds.append(("SADD", k) + tuple(j * 7 for j in range(1 + i % 30)))
            elif kind == 7:
                cmds.append(("ZADD", k) + tuple(x for j in range(1 + i % 150) for x in (j / 3, "z%d" % j)))
            else:
                cmds.append(("SET", k, "expires %d" % i, "EX", 3600 + i))
            if len(cmds) >= 1000:
                r.run(cmds)
                cmds = []
        for j in range(20):
            cmds.append(("XADD", "db%d:stream" % db, "%d-1" % (j + 1), "n", j, "body", "event %d" % j))
        cmds.append(("SET", "db%d:big" % db, rng.randbytes(1 << 20)))
        r.run(cmds)
    total = sum(r.run([("SELECT", db), ("DBSIZE",)])[1] for db in (0, 1, 3))
    print("loaded %d keys" % total)


def compare(a_addr, b_addr, slack_s):
    a, b = Redis(a_addr), Redis(b_addr)
    dbs = a.databases()
    if dbs != b.databases():
        sys.exit("different databases hold keys: %s vs %s" % (dbs, b.databases()))
    diffs, total = [], 0
    for db in dbs:
        a.cmd("SELECT", db)
        b.cmd("SELECT", db)
        ka, kb = a.keys(), b.keys()
        if ka != kb:
            only_a, only_b = sorted(set(ka) - set(kb)), sorted(set(kb) - set(ka))
            diffs.append("db%d: %d keys only in A %s, %d only in B %s" % (db, len(only_a), only_a[:3], len(only_b), only_b[:3]))
            continue
        for i in range(0, len(ka), 500):
            batch = ka[i:i + 500]
            for k, (ta, va, pa), (tb, vb, pb) in zip(batch, a.values(batch), b.values(batch)):
                total += 1
                if ta != tb or va != vb:
                    diffs.append("db%d %r: %s and %s values differ" % (db, k, ta, tb))
                elif (pa < 0) != (pb < 0) or abs(pa - pb) > slack_s * 1000:
                    diffs.append("db%d %r: ttl %d ms vs %d ms" % (db, k, pa, pb))
    if diffs:
        print("\n".join(diffs[:20]))
        sys.exit("different: %d differences" % len(diffs))
    print("same (%d keys in %d databases)" % (total, len(dbs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    lo = sub.add_parser("load")
    lo.add_argument("addr")
    lo.add_argument("--keys", type=int, default=9000)
    co = sub.add_parser("compare")
    co.add_argument("a")
    co.add_argument("b")
    co.add_argument("--ttl-slack", type=float, default=120.0)
    args = ap.parse_args()
    if args.what == "load":
        load(args.addr, args.keys)
    else:
        compare(args.a, args.b, args.ttl_slack)


if __name__ == "__main__":
    main()
