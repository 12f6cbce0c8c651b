"""A CPU-bound Python workload for the perfgate benchmark, traced by the real viztracer.

It is shaped like the services perfgate gates: requests that parse input, walk a graph, score
candidates and format a result, with many small Python and builtin calls and a few deep
recursions, so the trace has realistic names (``qualname (/abs/path.py:LINE)``), depths and
durations. ``REQUESTS`` (argv[1]) scales the number of calls, and so the size of the trace.
"""

import sys


def tokenize(text):
    return [word.strip(".,") for word in text.split()]


def normalise(word):
    return word.lower()


def parse_request(i):
    words = tokenize(f"Request {i}: find the shortest path, then score it.")
    return [normalise(w) for w in words]


def neighbours(graph, node):
    return graph.get(node, ())


def traverse_graph(graph, start, limit):
    seen = {start}
    frontier = [start]
    while frontier and len(seen) < limit:
        node = frontier.pop()
        for nxt in neighbours(graph, node):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return len(seen)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def score(candidate, weight):
    return (candidate * 2654435761 % 1000) * weight


def select_best(candidates):
    return max(candidates, key=lambda c: score(c, 0.5))


def format_result(i, best, reached):
    return {"request": i, "best": best, "reached": reached}


def handle(graph, i):
    words = parse_request(i)
    reached = traverse_graph(graph, i % 50, 12)
    best = select_best(range(len(words) + fib(6)))
    return format_result(i, best, reached)


def build_graph(n):
    return {k: ((k * 7 + 1) % n, (k * 13 + 5) % n, (k + 1) % n) for k in range(n)}


def main():
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    graph = build_graph(200)
    total = 0
    for i in range(requests):
        total += handle(graph, i)["best"]
    print(total)


if __name__ == "__main__":
    main()
