using System.Diagnostics;
using System.Globalization;

namespace Witness.Bench.Capture;

/// <summary>
/// The same saves as <see cref="SaveChangesBench"/>, timed by CPU as well as by clock: blocks of saves alternate
/// plain / with capture on the same two contexts, and each row gives the median of the rounds. On a loaded machine the
/// process's CPU time per save (user + system, all its threads) moves far less than the wall time does. Blocks alternate
/// for <c>--warmup-seconds</c> (default 3) before the timed rounds, and on until a pair of blocks compiled no method (at
/// most a minute), so that both paths run tiered-up code and the JIT's own CPU is not counted in either.
/// <c>--entities N</c> and <c>--synchronous FULL|NORMAL</c> run only that row.
/// </summary>
internal static class SaveChangesCpu
{
    public static int Run(string[] args)
    {
        int Arg(string name, int fallback) =>
            args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var rounds = Arg("--rounds", 7);
        var block = Arg("--saves", 200);
        var warmup = TimeSpan.FromSeconds(Arg("--warmup-seconds", 3));
        Console.WriteLine($"load average at the start: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"EF Core's own SQLite configuration (EnsureCreated, no pragmas): {SaveChangesBench.DefaultConfiguration()}");
        Console.WriteLine("| entities | synchronous | plain µs/save (CPU) | capture µs/save (CPU) | CPU ratio | plain µs/save (wall) | capture µs/save (wall) | wall ratio | plain KB/save | capture KB/save |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        // --entities N and --synchronous S pick one row (for long runs of the row being worked on); by default all four.
        var onlyEntities = Arg("--entities", 0);
        var jitted = new List<string>();
        var onlySynchronous = args.SkipWhile(a => a != "--synchronous").Skip(1).FirstOrDefault();
        foreach (var entities in new[] { 1, 100 }.Where(e => onlyEntities == 0 || e == onlyEntities))
        {
            foreach (var synchronous in new[] { "FULL", "NORMAL" }.Where(s => onlySynchronous is null || s == onlySynchronous))
            {
                var bench = new SaveChangesBench { Entities = entities, Synchronous = synchronous };
                bench.Setup();
                try
                {
                    // Fewer saves of 100 entities: each does about a hundred times the work.
                    var saves = entities == 1 ? block : Math.Max(block / 20, 5);
                    // Until the JIT has tiered both paths up: a short run otherwise times tier-0 code and the compiler, the more so
                    // for whichever path has more code (capture).
                    // On a loaded machine the JIT's background thread (tier-up of EF Core's and the capture's methods) may still be
                    // busy long after that: its CPU counts in the process's time, whichever block runs meanwhile. So the warm-up
                    // goes on until a whole pair of blocks compiled nothing (at most a minute), and the row says how many methods
                    // were compiled during its timed rounds.
                    var warming = Stopwatch.StartNew();
                    long compiled;
                    do
                    {
                        compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
                        Time(bench.Plain, saves);
                        Time(bench.WithCapture, saves);
                    }
                    while (warming.Elapsed < warmup || (System.Runtime.JitInfo.GetCompiledMethodCount() != compiled && warming.Elapsed < TimeSpan.FromMinutes(1)));

                    var compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();

                    var plain = new List<(double Cpu, double Wall, double Kilobytes)>();
                    var capture = new List<(double Cpu, double Wall, double Kilobytes)>();
                    for (var r = 0; r < rounds; r++)
                    {
                        plain.Add(Time(bench.Plain, saves));
                        capture.Add(Time(bench.WithCapture, saves));
                    }

                    jitted.Add(string.Create(CultureInfo.InvariantCulture, $"{entities} {synchronous}: warm-up {warming.Elapsed.TotalSeconds:N1} s, {System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore} methods compiled during the timed rounds"));
                    var (plainCpu, plainWall) = (Median(plain.Select(p => p.Cpu)), Median(plain.Select(p => p.Wall)));
                    var (captureCpu, captureWall) = (Median(capture.Select(p => p.Cpu)), Median(capture.Select(p => p.Wall)));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {entities} | {synchronous} | {plainCpu:N1} | {captureCpu:N1} | {captureCpu / plainCpu:N2} | {plainWall:N1} | {captureWall:N1} | {captureWall / plainWall:N2} | {Median(plain.Select(p => p.Kilobytes)):N1} | {Median(capture.Select(p => p.Kilobytes)):N1} |"));
                }
                finally
                {
                    bench.Cleanup();
                }
            }
        }

        jitted.ForEach(Console.WriteLine);
        Console.WriteLine($"load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static (double Cpu, double Wall, double Kilobytes) Time(Func<Task<int>> save, int saves)
    {
        var process = Process.GetCurrentProcess();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < saves; i++)
        {
            save().GetAwaiter().GetResult();
        }

        var wall = clock.Elapsed;
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMicroseconds / saves, wall.TotalMicroseconds / saves, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / saves);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
