#:package Microsoft.Data.Sqlite@10.0.11
using Microsoft.Data.Sqlite;
using System.Diagnostics;
// CPU per row of an INSERT into a plain table with and without an FTS5 index kept by a trigger, for several FTS5 options:
// dotnet run bench/probes/fts5-insert.cs (20,000 rows of bench-like search text, 4,000 per transaction).
var rnd = new Random(1);
string Text(int i) => $"inbox.update by user {rnd.Next(1000)}\ninbox.update\ninboxes\nuser {rnd.Next(1000)}\nuser{rnd.Next(1000)}@acme.example\nu_{rnd.Next(1000)}\ninbox {rnd.Next(60)}\n{24000+rnd.Next(60)}\n203.0.{rnd.Next(8)}.{rnd.Next(250)}\nit\nmilan\n";
var texts = Enumerable.Range(0, 20000).Select(Text).ToArray();
Console.WriteLine(texts[0].Length);
foreach (var opts in new[]{"", "tokenize='trigram case_sensitive 1', detail=none, content='', contentless_delete=1", "tokenize='trigram case_sensitive 1', detail=none, content=''", "tokenize='trigram case_sensitive 1', detail=full, content=''", "tokenize='unicode61', detail=none, content=''"}) {
  var path = $"/tmp/ftsx/x{Guid.NewGuid():N}.db";
  using var c = new SqliteConnection($"Data Source={path};Pooling=False"); c.Open();
  void X(string sql){ using var cmd=c.CreateCommand(); cmd.CommandText=sql; cmd.ExecuteNonQuery(); }
  X("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA page_size=8192;");
  X("create table t(rid integer primary key, s text)");
  if (opts != "") X($"create virtual table f using fts5(s, {opts})");
  if (opts != "") X("create trigger ti after insert on t begin insert into f(rowid, s) values (new.rid, new.s); end");
  var sw = Stopwatch.StartNew(); var cpu = Process.GetCurrentProcess().TotalProcessorTime;
  var id = 0;
  foreach (var chunk in texts.Chunk(4000)) {
    using var tx = c.BeginTransaction();
    using var cmd = c.CreateCommand(); cmd.CommandText = "insert into t(rid, s) values ($r, $s)"; var pr = cmd.Parameters.Add("$r", SqliteType.Integer); var ps = cmd.Parameters.Add("$s", SqliteType.Text);
    foreach (var s in chunk) { pr.Value = (1L<<40) + (++id); ps.Value = s; cmd.ExecuteNonQuery(); }
    tx.Commit();
  }
  var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
  Console.WriteLine($"{(opts==""?"none":opts)}: cpu {used.TotalMicroseconds/texts.Length:F1} us/row, wall {sw.Elapsed.TotalMicroseconds/texts.Length:F1}");
  c.Close(); SqliteConnection.ClearAllPools(); File.Delete(path);
}
