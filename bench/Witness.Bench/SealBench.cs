using System.Diagnostics;
using System.Globalization;
using System.Text;
using Witness.Events;
using Witness.Integrity;

namespace Witness.Bench;

/// <summary>
/// The CPU of sealing one event into its leaf (issue 20), in one thread, without HTTP or storage:
/// canonical parts + splice + leaf hash of the body (leaf version 1's work) against the same with the
/// personal values sealed (salts, commitments, leaf form) as ingest does now. Medians of 10 timed rounds
/// of --events events after 5 untimed ones; process CPU time, so the figure holds up on a loaded machine.
/// </summary>
internal static class SealBench
{
    public static void Run(int count, StringBuilder report)
    {
        var events = BenchEvents.Generate(count, "bench");
        var received = BenchEvents.End;
        var process = Process.GetCurrentProcess();
        var plain = new List<double>();
        var sealedCpu = new List<double>();
        long sink = 0;
        for (var round = 0; round < 15; round++)
        {
            var c0 = Cpu(process);
            for (var i = 0; i < events.Length; i++)
            {
                var body = CanonicalParts.Of(events[i]).Complete(i + 1, received);
                sink += MerkleHash.Leaf(body)[0];
            }

            var c1 = Cpu(process);
            for (var i = 0; i < events.Length; i++)
            {
                var parts = CanonicalParts.Of(events[i]);
                parts.Seal();
                parts.Complete(i + 1, received, out var hash);
                sink += hash[0] + parts.Personal![1];
            }

            var c2 = Cpu(process);
            if (round >= 5)
            {
                plain.Add((c1 - c0) / events.Length);
                sealedCpu.Add((c2 - c1) / events.Length);
            }
        }

        plain.Sort();
        sealedCpu.Sort();
        report.AppendLine(CultureInfo.InvariantCulture, $"## Seal: {count:N0} events, CPU µs/event, median of 10 rounds (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; {sink % 2})");
        report.AppendLine();
        report.AppendLine("| work | CPU µs/event |");
        report.AppendLine("| --- | ---: |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| canonical parts, splice, leaf hash of the body (version 1) | {plain[5]:N2} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| the same with six personal values sealed (version 2) | {sealedCpu[5]:N2} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| cost of sealing | {sealedCpu[5] - plain[5]:N2} |");
        report.AppendLine();
    }

    private static double Cpu(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalMicroseconds;
    }
}
