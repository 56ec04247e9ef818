using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Witness.Events;
using Witness.Privacy;
using Witness.Server;
using Witness.Storage;
using Witness.Storage.Postgres;

namespace Witness.Bench;

/// <summary>
/// Erasure of a subject who is the actor of every tenth event: fills a store of <c>--query-events</c>
/// events (SQLite kept in <c>--store DIR</c> when given, so reruns skip the fill; PostgreSQL when
/// <c>--postgres CONNSTR</c> names a database), then times one <see cref="IPersonalDataStore.EraseSubjectAsync"/>
/// by email (wall and process CPU). A rerun on a kept store finds the subject erased already: copy a store
/// filled with <c>--fill-only</c> and time the copy.
/// </summary>
internal static class EraseBench
{
    public const string Email = "erin.subject@example.com";

    public static async Task RunAsync(int count, string? kept, string? postgres, bool fillOnly, StringBuilder report)
    {
        var folder = kept ?? Path.Combine(Path.GetTempPath(), $"bench-erase-{Guid.NewGuid():N}");
        IWitnessStore store;
        if (postgres is not null)
        {
            store = new PostgresStore(new PostgresStoreOptions { ConnectionString = postgres });
        }
        else
        {
            Directory.CreateDirectory(folder);
            var services = new ServiceCollection().AddWitnessStore(folder, null, TimeProvider.System);
            store = services.BuildServiceProvider().GetRequiredService<IWitnessStore>();
        }

        await using var owned = store;
        await store.InitializeAsync(CancellationToken.None);
        var size = (await store.GetFrontierAsync("bench", CancellationToken.None))?.Size ?? 0;
        if (size == 0)
        {
            var fill = Stopwatch.StartNew();
            var subject = new EventActor { Type = ActorTypes.User, Id = "u_erin", Name = "Erin Subject", Email = Email };
            var events = BenchEvents.Generate(count, "bench");
            for (var i = 0; i < events.Length; i += 10)
            {
                events[i] = events[i] with { Actor = subject };
            }

            foreach (var group in events.Chunk(5000))
            {
                await store.AppendAsync([[.. group.Select(e => new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: true))]], DateTimeOffset.UtcNow, CancellationToken.None);
            }

            Console.WriteLine($"filled {count:N0} events in {fill.Elapsed.TotalSeconds:N1} s");
        }
        else if (size != count)
        {
            throw new InvalidOperationException($"{(postgres is null ? folder : "the database")} holds {size:N0} events, not {count:N0}: name another store");
        }

        if (fillOnly)
        {
            return;
        }

        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var erased = await ((IPersonalDataStore)store).EraseSubjectAsync("bench", ErasureSubject.ByEmail(Email), CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        report.AppendLine(CultureInfo.InvariantCulture, $"## Erasing a subject in a {count:N0}-event {(postgres is null ? "SQLite" : "PostgreSQL")} tenant (load {load}{(postgres is null ? $", store {folder}" : "")})");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"- {erased.Events:N0} events erased ({erased.Kept:N0} kept) in {seconds:N2} s wall, {cpuSeconds:N2} s CPU of this process{(postgres is null ? "" : " (the PostgreSQL server's own CPU is not counted)")}");
        if (store is IStaleTextBlockStore stale)
        {
            // The free-text blocks the erasure left stale, rebuilt as the server's loop does it after the erasure (256 per transaction).
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            clock.Restart();
            var blocks = 0;
            for (int n; (n = await stale.RebuildStaleTextBlocksAsync("bench", 256, CancellationToken.None)) > 0;)
            {
                blocks += n;
            }

            report.AppendLine(CultureInfo.InvariantCulture,
                $"- then the {blocks:N0} stale free-text blocks rebuilt in {clock.Elapsed.TotalSeconds:N2} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:N2} s CPU of this process (apart from the erasure, behind it)");
        }

        if (kept is null && postgres is null)
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
