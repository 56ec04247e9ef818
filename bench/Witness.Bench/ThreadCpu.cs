using System.Globalization;

namespace Witness.Bench;

/// <summary>CPU seconds of this process's threads by thread name, from /proc (Linux only; empty elsewhere).</summary>
internal static class ThreadCpu
{
    public static Dictionary<int, (string Name, double Seconds)> Sample()
    {
        var threads = new Dictionary<int, (string, double)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return threads;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (name, ticks / 100.0);
            }
            catch (IOException)
            {
                // The thread ended while it was being read.
            }
        }

        return threads;
    }

    /// <summary>CPU seconds per thread name since <paramref name="before"/>, largest first.</summary>
    public static IReadOnlyList<(string Name, double Seconds)> Since(Dictionary<int, (string Name, double Seconds)> before) =>
        [.. Sample()
            .Select(t => (t.Value.Name, Seconds: t.Value.Seconds - (before.TryGetValue(t.Key, out var b) && b.Name == t.Value.Name ? b.Seconds : 0)))
            .GroupBy(t => t.Name, t => t.Seconds)
            .Select(g => (Name: g.Key, Seconds: g.Sum()))
            .Where(t => t.Seconds > 0)
            .OrderByDescending(t => t.Seconds)];
}
