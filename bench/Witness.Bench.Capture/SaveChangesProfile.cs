using System.Diagnostics;
using System.Globalization;

namespace Witness.Bench.Capture;

/// <summary>
/// Many saves of one kind in a row (plain or with capture), for a profiler to attach to:
/// <c>DOTNET_PerfMapEnabled=1 perf record -g dotnet Witness.Bench.Capture.dll savechanges-profile --capture --entities 1 --synchronous NORMAL --seconds 20</c>.
/// Prints the CPU and wall time per save of the timed part (after a warm-up of a quarter of the time).
/// </summary>
internal static class SaveChangesProfile
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var entities = int.Parse(Arg("--entities") ?? "1", CultureInfo.InvariantCulture);
        var seconds = double.Parse(Arg("--seconds") ?? "10", CultureInfo.InvariantCulture);
        var capture = args.Contains("--capture");
        var bench = new SaveChangesBench { Entities = entities, Synchronous = Arg("--synchronous") ?? "NORMAL" };
        bench.Setup();
        try
        {
            Func<Task<int>> save = capture ? bench.WithCapture : bench.Plain;
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed.TotalSeconds < seconds / 4)
            {
                save().GetAwaiter().GetResult();
            }

            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
            var jitTime = System.Runtime.JitInfo.GetCompilationTime();
            var gcs = GC.CollectionCount(0);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var saves = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                save().GetAwaiter().GetResult();
                saves++;
            }

            var wall = clock.Elapsed;
            process.Refresh();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"timed part: {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted} methods jitted ({(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:N0} ms), {GC.CollectionCount(0) - gcs} gen0 GCs, {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / saves:N1} KB per save"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(capture ? "capture" : "plain")} {entities} {bench.Synchronous}: {saves} saves, {(process.TotalProcessorTime - cpu).TotalMicroseconds / saves:N1} µs CPU, {wall.TotalMicroseconds / saves:N1} µs wall per save; load {File.ReadAllText("/proc/loadavg").Trim()}"));
        }
        finally
        {
            bench.Cleanup();
        }

        return 0;
    }
}
