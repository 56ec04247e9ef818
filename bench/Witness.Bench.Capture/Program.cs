using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Witness.Bench.Capture;

// The .NET capture libraries' costs (issue 18's measures):
//   dotnet run -c Release --project bench/Witness.Bench.Capture -- savechanges     SaveChanges with capture (outbox) vs plain EF Core
//   dotnet run -c Release --project bench/Witness.Bench.Capture -- savechanges-cpu [--rounds N] [--saves N] [--warmup-seconds N] [--entities N] [--synchronous S]   the same, CPU and wall time of alternating blocks
//   dotnet run -c Release --project bench/Witness.Bench.Capture -- savechanges-profile [--capture] [--entities N] [--synchronous S] [--seconds N]   one kind of save in a loop, for perf
//   dotnet run -c Release --project bench/Witness.Bench.Capture -- record          IAuditLog.Record on the request path
//   dotnet run -c Release --project bench/Witness.Bench.Capture -- throughput [--events N] [--clients N] [--warmup N] [--rounds N] [--in-flight N]
// The first two are BenchmarkDotNet runs, kept short for a shared machine (ShortRun: 1 launch, 3 warm-ups,
// 3 iterations (9 for savechanges), in process). `throughput` starts a real `witness serve` on SQLite and times sending to it.
var mode = args.FirstOrDefault() ?? "";
static IConfig Config(int iterations) => ManualConfig.CreateMinimumViable()
    .AddJob(Job.ShortRun.WithIterationCount(iterations).WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(StatisticColumn.Median, StatisticColumn.P95);
switch (mode)
{
    case "savechanges":
        // A save waits for the disk, which other work on the machine shares: more iterations than ShortRun's three.
        BenchmarkRunner.Run<SaveChangesBench>(Config(9));
        break;
    case "savechanges-cpu":
        return SaveChangesCpu.Run(args);
    case "savechanges-profile":
        return SaveChangesProfile.Run(args);
    case "record":
        BenchmarkRunner.Run<RecordBench>(Config(3));
        break;
    case "throughput":
        return await ThroughputBench.RunAsync(args);
    default:
        Console.Error.WriteLine("usage: Witness.Bench.Capture savechanges | savechanges-cpu [--rounds N] [--saves N] [--warmup-seconds N] [--entities N] [--synchronous S] | record | throughput [--events N] [--clients N] [--warmup N] [--rounds N] [--in-flight N] | savechanges-profile [--capture] [--entities N] [--synchronous S] [--seconds N]");
        return 2;
}

return 0;
