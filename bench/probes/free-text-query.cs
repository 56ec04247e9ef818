#:project ../../src/Witness.Storage.Sqlite/Witness.Storage.Sqlite.csproj
#:property TreatWarningsAsErrors=false
using System.Diagnostics;
using Witness.Search;
using Witness.Storage.Sqlite;
// First page (50) of free-text searches on an existing store: dotnet run bench/probes/free-text-query.cs -- <data folder> (tenant "bench", as Witness.Bench fills it).
var store = new SqliteStore(SqliteStoreOptions.InFolder(args[0]));
await store.InitializeAsync(CancellationToken.None);
string[] queries = ["", "\"user 417\"", "Berlin", "user417", "\"inbox 42\"", "milan", "\"user 417\" OR \"user 418\"", "(berlin OR \"wrong password\") -user417", "zzzzzz", "ab"];
Console.WriteLine($"| q | found | p50 ms | p99 ms | max ms |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
foreach (var q in queries)
{
    var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
    var samples = new List<double>();
    var found = 0;
    for (var i = 0; i < 120; i++)
    {
        var t = Stopwatch.GetTimestamp();
        var page = await store.SearchAsync("bench", filter, 50, null, CancellationToken.None);
        found = page.Events.Count;
        if (i >= 20) samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }
    samples.Sort();
    double P(double p) => samples[(int)Math.Min(samples.Count - 1, Math.Ceiling(p / 100 * samples.Count) - 1)];
    Console.WriteLine($"| `{q}` | {found} | {P(50):F2} | {P(99):F2} | {samples[^1]:F2} |");
}
await store.DisposeAsync();
