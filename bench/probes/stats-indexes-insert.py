"""Index maintenance cost of migration 017 (stats indexes) on SQLite, as bench/RESULTS.md reports it.

Appends bench-shaped rows (1,000 actors, 2,000 IPs, 15 actions, time-ordered, ~1.2 KB body) in
500-row transactions (WAL, synchronous=FULL, 8 KiB pages) into the events table with the index set
before 017 and after it, alternating, and prints the process CPU per event of the timed rows.
    python3 bench/probes/stats-indexes-insert.py [--preload N] [--timed N] [--rounds N]
"""
import argparse, os, random, sqlite3, tempfile, time

BEFORE = [
    "CREATE UNIQUE INDEX ux_events_id ON events (tenant_id, event_id)",
    "CREATE INDEX ix_events_time ON events (tenant_id, occurred_at, seq, type, outcome, category, action, ip)",
    "CREATE INDEX ix_events_actor ON events (tenant_id, actor_id, occurred_at, seq) WHERE actor_id IS NOT NULL",
    "CREATE INDEX ix_events_action ON events (tenant_id, action, occurred_at, seq)",
]
# 017 as kept: the time index also carries actor_id and actor_email.
AFTER = [
    BEFORE[0],
    "CREATE INDEX ix_events_time ON events (tenant_id, occurred_at, seq, type, outcome, category, action, ip, actor_id, actor_email)",
    BEFORE[2],
    BEFORE[3],
]
# Tried and dropped: also an IP index carrying the same columns.
WITH_IP = AFTER + [
    "CREATE INDEX ix_events_ip ON events (tenant_id, ip, occurred_at, seq, type, outcome, category, action, actor_id, actor_email) WHERE ip IS NOT NULL",
]
# Tried and dropped: also the actor index widened to carry the same columns.
WITH_IP_AND_ACTOR = [AFTER[0], AFTER[1], "CREATE INDEX ix_events_actor ON events (tenant_id, actor_id, occurred_at, seq, type, outcome, category, action, ip) WHERE actor_id IS NOT NULL", AFTER[3], WITH_IP[4]]
ACTIONS = [("user.login", "access", "Authentication"), ("inbox.update", "activity", "Inboxes"), ("team.create", "activity", "Teams"),
           ("macro.execute", "activity", "Macros"), ("webhook.delivery_failed", "webhook_failure", "Webhooks")] * 3


def rows(start, count, rnd):
    for seq in range(start, start + count):
        action, type_, category = ACTIONS[rnd.randrange(15)]
        user = rnd.randrange(1000)
        ip = bytes(10) + b"\xff\xff" + bytes([203, 0, rnd.randrange(8), rnd.randrange(250)])
        yield (2**40 + seq, 1, seq, f"evt_{seq:012d}", 1_790_899_200_000_000 + seq * 2_592_000, 0, type_, action, category,
               "failure" if rnd.randrange(20) == 0 else "success", f"u_{user}", f"user{user}@acme.example", ip,
               f"{action} by user {user}", b"d" * 32, b"h" * 32, rnd.randbytes(1200))


def run(indexes, preload, timed, seed=7):
    folder = tempfile.mkdtemp(prefix="bench-stats-probe-")
    db = sqlite3.connect(os.path.join(folder, "w.db"), isolation_level=None)
    db.executescript("PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE events (rid INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL,"
                     " occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, type TEXT NOT NULL, action TEXT NOT NULL, category TEXT,"
                     " outcome TEXT NOT NULL, actor_id TEXT, actor_email TEXT, ip BLOB, search_text TEXT NOT NULL, content_digest BLOB NOT NULL,"
                     " hash BLOB NOT NULL, body BLOB NOT NULL);" + ";".join(indexes) + ";")
    rnd = random.Random(seed)
    insert = "INSERT INTO events VALUES (" + ",".join("?" * 17) + ")"

    def append(start, count):
        for batch in range(start, start + count, 500):
            db.execute("BEGIN")
            db.executemany(insert, rows(batch, 500, rnd))
            db.execute("COMMIT")

    append(1, preload)
    cpu = time.process_time()
    append(1 + preload, timed)
    cpu = time.process_time() - cpu
    db.close()
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    os.rmdir(folder)
    return cpu / timed * 1e6


parser = argparse.ArgumentParser()
parser.add_argument("--preload", type=int, default=100_000)
parser.add_argument("--timed", type=int, default=50_000)
parser.add_argument("--rounds", type=int, default=2)
args = parser.parse_args()
print(f"| index set | CPU us/event ({args.timed:,} rows after {args.preload:,}) | load |")
print("| --- | ---: | --- |")
for _ in range(args.rounds):
    for name, indexes in (("before 017", BEFORE), ("017: time index + actor_id, actor_email", AFTER),
                          ("017 + IP index (dropped)", WITH_IP), ("017 + IP index + wide actor index (dropped)", WITH_IP_AND_ACTOR)):
        us = run(indexes, args.preload, args.timed)
        print(f"| {name} | {us:.1f} | {os.getloadavg()[0]:.1f} |", flush=True)
