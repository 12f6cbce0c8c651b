"""A small SQLite-backed "next lesson" service: the workload of the verdict-quality harness.

Traced by viztracer (`python -m viztracer -o trace.json service.py`), it serves REQUESTS
requests. Per request (defaults):

    handle_request
      parse_request            tiny CPU
      make_key x3              ~0.5 us helper (count variants target it)
      load_user                real sqlite3 SELECT by primary key
      traverse_graph           pure-Python BFS, ~10 ms of CPU, on 2 requests in 5 (60 per run)
      load_items               real sqlite3 SELECT with a join, LIMIT 20
      call_llm                 mocked LLM call: time.sleep(3-6 ms)
      score_items              ~0.3 ms CPU
      save_event               real sqlite3 INSERT
    once per run: setup_db (schema + 2000 rows), report (COUNT, commit)

Variants (environment variable PERFGATE_VARIANT, comma-separated; empty = the baseline):

    slow:OP:FACTOR           every call of OP does FACTOR x its work (traverse_graph, score_items,
                             call_llm, parse_request)
    tail:OP:FRAC:FACTOR      exactly FRAC of the calls of OP (every round(1/FRAC)-th, from a
                             per-run offset) do FACTOR x the work
    count:OP:FACTOR          OP is called FACTOR x as often per request (make_key, call_llm,
                             load_user, traverse_graph)

PERFGATE_SEED (default: random per run) seeds the request mix of timings, so repeated runs
differ the way repeated CI runs do. REQUESTS (default 150) sets the number of requests.
"""

import os
import random
import sqlite3
import tempfile
import time

GRAPH_NODES = 1500
GRAPH_DEGREE = 4
BFS_PASSES = 10  # ~1 ms each: traverse_graph ~10 ms

_slow = {}
_tail = {}
_count = {}
_calls = {}
_rng = random.Random()
_graph = []


def parse_variant(text):
    for part in filter(None, (p.strip() for p in text.split(","))):
        fields = part.split(":")
        kind = fields[0]
        if kind == "slow" and len(fields) == 3:
            _slow[fields[1]] = float(fields[2])
        elif kind == "tail" and len(fields) == 4:
            _tail[fields[1]] = (float(fields[2]), float(fields[3]))
        elif kind == "count" and len(fields) == 3:
            _count[fields[1]] = float(fields[2])
        else:
            raise SystemExit("PERFGATE_VARIANT: cannot read %r" % part)


def factor(op):
    """The work factor of this call of op: slow and tail variants."""
    n = _calls.get(op, 0)
    _calls[op] = n + 1
    f = _slow.get(op, 1.0)
    if op in _tail:
        frac, tail_factor = _tail[op]
        period = max(1, round(1 / frac))
        if (n + _tail_offset) % period == 0:
            f *= tail_factor
    return f


def repeat(op):
    return _count.get(op, 1.0)


def build_graph(seed):
    graph = []
    state = seed
    for _ in range(GRAPH_NODES):
        edges = []
        for _ in range(GRAPH_DEGREE):
            state = (state * 1103515245 + 12345) % 2147483648
            edges += (state % GRAPH_NODES,)
        graph += (edges,)
    return graph


def busy(iterations):
    acc = 0
    for i in range(iterations):
        acc = (acc + i * i) % 1000003
    return acc


def setup_db(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, level INTEGER)")
    conn.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, topic INTEGER, title TEXT, difficulty REAL)"
    )
    conn.execute("CREATE INDEX items_topic ON items(topic)")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, user INTEGER, item INTEGER, score REAL)")
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?)", [(i, "user%d" % i, i % 7) for i in range(500)]
    )
    conn.executemany(
        "INSERT INTO items VALUES (?, ?, ?, ?)",
        [(i, i % 50, "item %d" % i, (i * 37 % 100) / 100) for i in range(2000)],
    )
    conn.commit()
    return conn


def parse_request(i):
    busy(int(200 * factor("parse_request")))
    return {"user": i * 7 % 500, "topic": i % 50, "node": i * 13 % GRAPH_NODES}


def make_key(user, topic):
    return "%d:%d" % (user, topic)


def load_user(conn, user):
    return conn.execute("SELECT id, name, level FROM users WHERE id = ?", (user,)).fetchone()


def traverse_graph(start):
    passes = int(round(BFS_PASSES * factor("traverse_graph")))
    graph = _graph
    n_nodes = GRAPH_NODES
    reached = 0
    for p in range(passes):
        seen = [False] * n_nodes
        queue = [(start + p) % n_nodes]
        seen[queue[0]] = True
        for node in queue:
            reached += 1
            for nb in graph[node]:
                if not seen[nb]:
                    seen[nb] = True
                    queue += (nb,)
    return reached


def load_items(conn, topic, level):
    return conn.execute(
        "SELECT i.id, i.title, i.difficulty FROM items i JOIN users u ON u.level = ? "
        "WHERE i.topic = ? AND u.id = ? ORDER BY i.difficulty LIMIT 20",
        (level, topic, level),
    ).fetchall()


def call_llm(prompt):
    """Mocked LLM call: 3-6 ms of waiting."""
    time.sleep(_rng.uniform(0.003, 0.006) * factor("call_llm"))
    return "next: " + prompt[:20]


def score_items(items, reached):
    busy(int(6000 * factor("score_items")))
    return sorted(items, key=lambda it: (it[2] * reached) % 1)[:5]


def save_event(conn, user, item, score):
    conn.execute("INSERT INTO events (user, item, score) VALUES (?, ?, ?)", (user, item, score))


def handle_request(conn, i):
    req = parse_request(i)
    key = ""
    for _ in range(int(3 * repeat("make_key"))):
        key = make_key(req["user"], req["topic"])
    user = None
    for _ in range(int(repeat("load_user"))):
        user = load_user(conn, req["user"])
    reached = 0
    if i % 5 in (0, 2):
        for _ in range(int(repeat("traverse_graph"))):
            reached = traverse_graph(req["node"])
    items = load_items(conn, req["topic"], user[2])
    reply = ""
    for _ in range(int(repeat("call_llm"))):
        reply = call_llm("key=%s reached=%d items=%d" % (key, reached, len(items)))
    best = score_items(items, reached + len(reply))
    save_event(conn, req["user"], best[0][0] if best else 0, float(reached))
    return best


def report(conn):
    conn.commit()
    return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def main():
    global _graph, _tail_offset
    seed = os.environ.get("PERFGATE_SEED")
    _rng.seed(int(seed) if seed else None)
    _tail_offset = _rng.randrange(1000)
    parse_variant(os.environ.get("PERFGATE_VARIANT", ""))
    requests = int(os.environ.get("REQUESTS", "150"))
    _graph = build_graph(12345)
    with tempfile.TemporaryDirectory() as tmp:
        conn = setup_db(os.path.join(tmp, "service.db"))
        for i in range(requests):
            handle_request(conn, i)
        report(conn)
        conn.close()


_tail_offset = 0

if __name__ == "__main__":
    main()
