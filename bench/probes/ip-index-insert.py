"""Index maintenance cost of an IP index for GET /v1/events/stats on SQLite (bench/RESULTS.md, "Filtered
histograms: free text through its blocks, IP indexes measured").

Appends bench-shaped rows (1,000 actors, 2,000 IPs, 15 actions, time-ordered, ~1.2 KB body) in 500-row
transactions (WAL, synchronous=FULL, 8 KiB pages) into the events table with main's index set and with an IP
index led by the IP, by the hour of occurred_at, or by its quarter hour, alternating, and prints the process
CPU per event of the timed rows. --spacing-us sets the time between events: 2,592,000 (default) is the stats
bench's 1,000,000 events over 30 days; 10,000 is a tenant sending 100 events a second.
    python3 bench/probes/ip-index-insert.py [--preload N] [--timed N] [--rounds N] [--spacing-us N]
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
# IP first (tried in session 9 and again in session 11).
IP_FIRST = AFTER + [
    "CREATE INDEX ix_events_ip ON events (tenant_id, ip, occurred_at, seq, type, outcome, category, action, actor_id, actor_email) WHERE ip IS NOT NULL",
]
# The hour of occurred_at first, then the IP: an append's entries land in the current hour's part of the index.
HOUR_IP = AFTER + [
    "CREATE INDEX ix_events_ip ON events (tenant_id, occurred_at / 3600000000, ip, occurred_at, seq, type, outcome, category, action, actor_id, actor_email) WHERE ip IS NOT NULL",
]
# The quarter hour (a stats slot) first, then the IP.
QUARTER_IP = AFTER + [
    "CREATE INDEX ix_events_ip ON events (tenant_id, occurred_at / 900000000, ip, occurred_at, seq, type, outcome, category, action, actor_id, actor_email) WHERE ip IS NOT NULL",
]
ACTIONS = [("user.login", "access", "Authentication"), ("inbox.update", "activity", "Inboxes"), ("team.create", "activity", "Teams"),
           ("macro.execute", "activity", "Macros"), ("webhook.delivery_failed", "webhook_failure", "Webhooks")] * 3


def rows(start, count, rnd):
    for seq in range(start, start + count):
        action, type_, category = ACTIONS[rnd.randrange(15)]
        user = rnd.randrange(1000)
        ip = bytes(10) + b"\xff\xff" + bytes([203, 0, rnd.randrange(8), rnd.randrange(250)])
        yield (2**40 + seq, 1, seq, f"evt_{seq:012d}", 1_790_899_200_000_000 + seq * SPACING, 0, type_, action, category,
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
parser.add_argument("--spacing-us", type=int, default=2_592_000)
args = parser.parse_args()
SPACING = args.spacing_us
print(f"| index set | CPU us/event ({args.timed:,} rows after {args.preload:,}) | load |")
print("| --- | ---: | --- |")
for _ in range(args.rounds):
    for name, indexes in (("main (017)", AFTER), ("+ IP first", IP_FIRST), ("+ hour, IP", HOUR_IP), ("+ quarter hour, IP", QUARTER_IP)):
        us = run(indexes, args.preload, args.timed)
        print(f"| {name} | {us:.1f} | {os.getloadavg()[0]:.1f} |", flush=True)

